// darknet's activations in double precision: the reference the GPU tests compare against (independent of the
// engine's float implementations in src/cpu and src/cuda).
#pragma once
#include <cmath>

#include "lightnet/network.h"

namespace lightnet {

inline double reference_activation(double x, Activation a) {
  switch (a) {
    case Activation::Linear: return x;
    case Activation::Relu: return x > 0 ? x : 0;
    case Activation::Leaky: return x > 0 ? x : 0.1 * x;
    case Activation::Logistic: return 1 / (1 + std::exp(-x));
    case Activation::Swish: return x / (1 + std::exp(-x));
    case Activation::Mish: return x * std::tanh(x > 20 ? x : std::log1p(std::exp(x)));
  }
  return x;
}

}  // namespace lightnet
