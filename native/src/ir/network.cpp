// Small Network IR helpers: enum names, precision parsing, totals.
#include <algorithm>
#include <cctype>
#include <stdexcept>

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

namespace {
// Floats one convolution holds in a .weights file: biases, BN scale/mean/variance, kernel.
int64_t conv_weight_floats(const Layer& l, bool with_bn_stats) {
  const auto& p = l.as<ConvParams>();
  const int64_t in_c = l.input_shapes[0].c;
  int64_t n = int64_t(p.filters) * (in_c / p.groups) * p.size * p.size + p.filters;
  if (p.batch_normalize && with_bn_stats) n += 3 * int64_t(p.filters);
  return n;
}
}  // namespace

int64_t Network::parameter_count() const {
  int64_t total = 0;
  for (const auto& l : layers)
    if (l.type == LayerType::Convolutional) total += conv_weight_floats(l, true);
  return total;
}

int64_t Network::weights_float_count() const {
  int64_t total = 0;
  for (const auto& l : layers)
    if (l.type == LayerType::Convolutional) total += conv_weight_floats(l, true);
  return total;
}

std::vector<int> Network::yolo_layers() const {
  std::vector<int> out;
  for (const auto& l : layers)
    if (l.type == LayerType::Yolo) out.push_back(l.index);
  return out;
}

}  // namespace lightnet
