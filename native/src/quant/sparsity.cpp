// 2:4 structured sparsity of convolution weights along the input-channel (GEMM K) dimension.
// Darknet stores weights as [oc][ic/groups][ky][kx]; sparse tensor cores read them as KRSC with C fastest, so a
// group is 4 consecutive input channels at one (oc, ky, kx): stride K·K apart in darknet order.
#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "lightnet/quantization.h"

namespace lightnet {

namespace {

struct ConvDims {
  int oc, icg, kk;
};

ConvDims dims_of(const Layer& conv) {
  if (conv.type != LayerType::Convolutional)
    throw std::invalid_argument("layer " + std::to_string(conv.index) + " [" + to_string(conv.type) +
                                "]: 2:4 sparsity applies to [convolutional] layers only");
  const ConvParams& p = conv.as<ConvParams>();
  ConvDims d{conv.output.c, conv.input_shapes.at(0).c / p.groups, p.size * p.size};
  const size_t expected = size_t(d.oc) * d.icg * d.kk;
  if (conv.weights.size() != expected)
    throw std::invalid_argument("layer " + std::to_string(conv.index) + " [convolutional]: expected " +
                                std::to_string(expected) + " weights, found " + std::to_string(conv.weights.size()));
  return d;
}

// Calls f(indices, count) for every K group of up to 4 weights (indices into conv.weights).
template <class F>
void for_each_group(const ConvDims& d, F&& f) {
  size_t idx[4];
  for (int o = 0; o < d.oc; ++o)
    for (int k = 0; k < d.kk; ++k)
      for (int c0 = 0; c0 < d.icg; c0 += 4) {
        const int n = std::min(4, d.icg - c0);
        for (int j = 0; j < n; ++j) idx[j] = (size_t(o) * d.icg + c0 + j) * d.kk + k;
        f(idx, n);
      }
}

}  // namespace

bool is_2_4_sparse(const Layer& conv) {
  const ConvDims d = dims_of(conv);
  bool ok = true;
  for_each_group(d, [&](const size_t* idx, int n) {
    int nonzero = 0;
    for (int j = 0; j < n; ++j) nonzero += conv.weights[idx[j]] != 0.f;
    ok = ok && nonzero <= 2;
  });
  return ok;
}

double prune_2_4(Layer& conv) {
  const ConvDims d = dims_of(conv);
  double total = 0, removed = 0;
  for (float w : conv.weights) total += std::fabs(w);
  for_each_group(d, [&](const size_t* idx, int n) {
    if (n <= 2) return;
    int order[4] = {0, 1, 2, 3};
    // largest |w| first; stable, so among equal magnitudes the earlier channel is kept
    std::stable_sort(order, order + n, [&](int a, int b) {
      return std::fabs(conv.weights[idx[a]]) > std::fabs(conv.weights[idx[b]]);
    });
    for (int j = 2; j < n; ++j) {
      float& w = conv.weights[idx[order[j]]];
      removed += std::fabs(w);
      w = 0.f;
    }
  });
  return total > 0 ? removed / total : 0.0;
}

}  // namespace lightnet
