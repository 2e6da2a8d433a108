// Small Network IR helpers: enum names, precision parsing, totals.
#include <algorithm>
#include <cctype>
#include <stdexcept>

#include "darknet/conv_weights.h"
#include "lightnet/network.h"

namespace lightnet {

const char* to_string(Activation a) {
  switch (a) {
    case Activation::Linear: return "linear";
    case Activation::Relu: return "relu";
    case Activation::Leaky: return "leaky";
    case Activation::Logistic: return "logistic";
    case Activation::Swish: return "swish";
    case Activation::Mish: return "mish";
  }
  return "?";
}

const char* to_string(Precision p) {
  switch (p) {
    case Precision::FP32: return "fp32";
    case Precision::FP16: return "fp16";
    case Precision::INT8: return "int8";
  }
  return "?";
}

const char* to_string(LayerType t) {
  switch (t) {
    case LayerType::Convolutional: return "convolutional";
    case LayerType::Route: return "route";
    case LayerType::Shortcut: return "shortcut";
    case LayerType::Upsample: return "upsample";
    case LayerType::Maxpool: return "maxpool";
    case LayerType::Dropout: return "dropout";
    case LayerType::Yolo: return "yolo";
    case LayerType::Softmax: return "softmax";
  }
  return "?";
}

Precision parse_precision(const std::string& s) {
  std::string lower(s);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  if (lower == "fp32") return Precision::FP32;
  if (lower == "fp16") return Precision::FP16;
  if (lower == "int8") return Precision::INT8;
  throw std::invalid_argument("precision '" + s + "': expected fp32, fp16 or int8");
}

double Network::gflops() const {
  double total = 0;
  for (const auto& l : layers) total += l.flops;
  return total / 1e9;
}

// Counted as darknet stores them: kernel weights + biases + BN scale, rolling mean and rolling variance. This is
// the count that reproduces LightNet's model table (9.0 M for lightNet-BDD100K-1280x960: 9,021,415; 9.7 M for
// the det-semaseg model: 9,680,251); weights + biases alone would give 9,645,403 = 9.6 M for the latter.
int64_t Network::parameter_count() const { return weights_float_count(); }

int64_t Network::weights_float_count() const {
  int64_t total = 0;
  for (const auto& l : layers)
    if (l.type == LayerType::Convolutional) total += darknet::conv_weight_counts(l).total();
  return total;
}

std::vector<int> Network::yolo_layers() const {
  std::vector<int> out;
  for (const auto& l : layers)
    if (l.type == LayerType::Yolo) out.push_back(l.index);
  return out;
}

}  // namespace lightnet
