#include "darknet/conv_weights.h"

#include <cmath>
#include <stdexcept>

namespace lightnet::darknet {

ConvWeightCounts conv_weight_counts(const Layer& l) {
  const auto& p = l.as<ConvParams>();
  ConvWeightCounts n;
  n.biases = p.filters;
  n.bn_each = p.batch_normalize ? p.filters : 0;
  n.weights = int64_t(p.filters) * (l.input_shapes.at(0).c / p.groups) * p.size * p.size;
  return n;
}

void fold_conv_weights(const DarknetConvWeights& src, Layer& l) {
  const auto& p = l.as<ConvParams>();
  const ConvWeightCounts n = conv_weight_counts(l);
  if (int64_t(src.biases.size()) != n.biases || int64_t(src.weights.size()) != n.weights ||
      int64_t(src.scales.size()) != n.bn_each || int64_t(src.rolling_mean.size()) != n.bn_each ||
      int64_t(src.rolling_variance.size()) != n.bn_each)
    throw std::logic_error("fold_conv_weights: parameter sizes do not match layer " + std::to_string(l.index));
  const size_t per_filter = size_t(n.weights / p.filters);
  l.weights.resize(size_t(n.weights));
  l.bias.resize(size_t(p.filters));
  for (size_t f = 0; f < size_t(p.filters); ++f) {
    double gain = 1.0, bias = src.biases[f];
    if (p.batch_normalize) {
      gain = double(src.scales[f]) / std::sqrt(double(src.rolling_variance[f]) + kBatchNormEpsilon);
      bias -= gain * double(src.rolling_mean[f]);
    }
    l.bias[f] = float(bias);
    for (size_t i = f * per_filter; i < (f + 1) * per_filter; ++i) l.weights[i] = float(double(src.weights[i]) * gain);
  }
}

void attach_conv_weights(Network& net, const std::vector<DarknetConvWeights>& convs) {
  size_t k = 0;
  for (auto& l : net.layers) {
    if (l.type != LayerType::Convolutional) continue;
    if (k >= convs.size()) throw std::logic_error("attach_conv_weights: fewer parameter sets than convolutions");
    fold_conv_weights(convs[k++], l);
  }
  if (k != convs.size()) throw std::logic_error("attach_conv_weights: more parameter sets than convolutions");
  net.has_weights = true;
}

}  // namespace lightnet::darknet
