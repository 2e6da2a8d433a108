#include "darknet/random_weights.h"

#include <cmath>

#include "darknet/weights_file.h"
#include "lightnet/model_loader.h"

namespace lightnet::darknet {

namespace {

// E[x²] of an image scaled to [0, 1] (mean ≈ 0.45, spread ≈ 0.25).
constexpr double kInputSecondMoment = 0.3;
// Pre-batch-norm variance the random kernels aim for: large, so that the batch-norm epsilon (darknet's 1e-5,
// OpenCV's 1e-6) changes a layer's gain by under 1e-7 and reference implementations agree to float precision.
constexpr double kBatchNormVariance = 64.0;
// A max over a window of correlated activations raises the second moment; a rough factor is enough because each
// convolution renormalises by the estimate.
constexpr double kMaxpoolGain = 2.0;

}  // namespace

double activation_second_moment(Activation a) {
  switch (a) {
    case Activation::Linear: return 1.0;
    case Activation::Relu: return 0.5;
    case Activation::Leaky: return 0.505;  // 0.5 + 0.5·0.1²
    case Activation::Logistic: return 0.2933;
    case Activation::Swish: return 0.3557;
    case Activation::Mish: return 0.4522;
  }
  return 1.0;
}

std::vector<double> estimate_second_moments(const Network& net) {
  std::vector<double> q(net.layers.size(), 1.0);
  auto input_q = [&](int index) { return index < 0 ? kInputSecondMoment : q[size_t(index)]; };
  for (const auto& l : net.layers) {
    double out = input_q(l.inputs.at(0));
    switch (l.type) {
      case LayerType::Convolutional:  // the random weights give every pre-activation unit variance
        out = activation_second_moment(l.as<ConvParams>().activation);
        break;
      case LayerType::Route: {
        double sum = 0, channels = 0;
        for (size_t i = 0; i < l.inputs.size(); ++i) {
          sum += input_q(l.inputs[i]) * l.input_shapes[i].c;
          channels += l.input_shapes[i].c;
        }
        out = sum / channels;
        break;
      }
      case LayerType::Shortcut: {  // independent branches add their second moments
        double sum = 0;
        for (int src : l.inputs) sum += input_q(src);
        out = sum * activation_second_moment(l.as<ShortcutParams>().activation);
        break;
      }
      case LayerType::Maxpool:
        if (l.as<MaxpoolParams>().size > 1) out *= kMaxpoolGain;
        break;
      default:
        break;
    }
    q[size_t(l.index)] = out;
  }
  return q;
}

std::vector<DarknetConvWeights> random_conv_weights(const Network& net, uint64_t seed) {
  const std::vector<double> q = estimate_second_moments(net);
  SplitMix64 rng(seed);
  std::vector<DarknetConvWeights> convs;
  for (const auto& l : net.layers) {
    if (l.type != LayerType::Convolutional) continue;
    const auto& p = l.as<ConvParams>();
    const ConvWeightCounts n = conv_weight_counts(l);
    const double q_in = l.inputs[0] < 0 ? kInputSecondMoment : q[size_t(l.inputs[0])];
    const double fan_in = double(n.weights / p.filters);
    // Uniform(±a) has variance a²/3, so a = sqrt(3·target/(fan_in·q_in)) gives a pre-activation variance of `target`.
    const double target = p.batch_normalize ? kBatchNormVariance : 1.0;
    const double amplitude = std::sqrt(3.0 * target / (fan_in * q_in));
    DarknetConvWeights w;
    for (int64_t i = 0; i < n.biases; ++i) w.biases.push_back(rng.uniform(-0.1, 0.1));
    for (int64_t i = 0; i < n.bn_each; ++i) w.scales.push_back(rng.uniform(0.8, 1.2));
    const double sd = std::sqrt(target);
    for (int64_t i = 0; i < n.bn_each; ++i) w.rolling_mean.push_back(rng.uniform(-0.1 * sd, 0.1 * sd));
    for (int64_t i = 0; i < n.bn_each; ++i) w.rolling_variance.push_back(rng.uniform(0.8 * target, 1.25 * target));
    w.weights.reserve(size_t(n.weights));
    for (int64_t i = 0; i < n.weights; ++i) w.weights.push_back(rng.uniform(-amplitude, amplitude));
    convs.push_back(std::move(w));
  }
  return convs;
}

}  // namespace lightnet::darknet

namespace lightnet {

void randomize_weights(Network& net, uint64_t seed) {
  darknet::attach_conv_weights(net, darknet::random_conv_weights(net, seed));
}

void write_random_weights(const Network& net, const std::string& path, uint64_t seed) {
  darknet::write_weights_file(path, darknet::WeightsHeader{}, darknet::random_conv_weights(net, seed));
}

}  // namespace lightnet
