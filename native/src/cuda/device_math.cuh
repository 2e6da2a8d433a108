// Device-side helpers shared by the backend's kernels: darknet's activations.
#pragma once
#include <cuda_runtime.h>

#include "lightnet/network.h"

namespace lightnet::cuda {

__device__ __forceinline__ float sigmoid(float x) { return 1.f / (1.f + __expf(-x)); }

// darknet's activations (mish with darknet's softplus threshold of 20).
__device__ __forceinline__ float activate(float x, Activation a) {
  switch (a) {
    case Activation::Linear: return x;
    case Activation::Relu: return x > 0.f ? x : 0.f;
    case Activation::Leaky: return x > 0.f ? x : 0.1f * x;
    case Activation::Logistic: return sigmoid(x);
    case Activation::Swish: return x * sigmoid(x);
    case Activation::Mish: {
      float sp = x > 20.f ? x : (x < -20.f ? __expf(x) : log1pf(__expf(x)));
      return x * tanhf(sp);
    }
  }
  return x;
}

}  // namespace lightnet::cuda
