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

// Epilogues that store many values (a conv tile) choose the activation once: `body(act)` is compiled with act a
// constant for linear, leaky and ReLU, the activations of the LightNet cfgs, and with the switch above only for
// the others. A switch inlined per stored value made the conv kernels 4,000–13,000 instructions long and left
// memory-bound layers stalled on instruction fetch (H200, 1x1 conv 64 -> 32 channels at 240x320: 16.7 us before,
// 12.0 us with these four epilogues; 8.4 us with one hard-wired activation, an experiment).
template <Activation A>
struct FixedActivation {
  __device__ __forceinline__ float operator()(float x) const { return activate(x, A); }
};
struct AnyActivation {
  Activation a;
  __device__ __forceinline__ float operator()(float x) const { return activate(x, a); }
};
template <class Body>
__device__ __forceinline__ void with_activation(Activation a, const Body& body) {
  switch (a) {
    case Activation::Linear: body(FixedActivation<Activation::Linear>{}); break;
    case Activation::Leaky: body(FixedActivation<Activation::Leaky>{}); break;
    case Activation::Relu: body(FixedActivation<Activation::Relu>{}); break;
    default: body(AnyActivation{a});
  }
}

}  // namespace lightnet::cuda
