// Darknet activations on plain float arrays (the reference path and the ops oneDNN does not fuse).
#pragma once
#include <cmath>
#include <cstddef>

#include "lightnet/network.h"

namespace lightnet::cpu {

// darknet activations.h: leaky slope 0.1, mish = x * tanh(softplus(x)) with softplus threshold 20.
inline float activate(Activation a, float x) {
  switch (a) {
    case Activation::Linear: return x;
    case Activation::Relu: return x > 0 ? x : 0;
    case Activation::Leaky: return x > 0 ? x : 0.1f * x;
    case Activation::Logistic: return 1.f / (1.f + std::exp(-x));
    case Activation::Swish: return x / (1.f + std::exp(-x));
    case Activation::Mish: {
      float sp = x > 20 ? x : (x < -20 ? std::exp(x) : std::log1p(std::exp(x)));
      return x * std::tanh(sp);
    }
  }
  return x;
}

void activate_inplace(Activation a, float* data, size_t n);

}  // namespace lightnet::cpu
