// Device-side helpers shared by the backend's kernels: darknet's activations, programmatic dependent launch.
#pragma once
#include <cuda_runtime.h>

#include "lightnet/network.h"

namespace lightnet::cuda {

// Programmatic dependent launch (Hopper): a kernel may start while its predecessor finishes; it waits here
// before touching the predecessor's output, and lets its own successor start with allow_successor(). Both are
// no-ops for a kernel launched without the attribute, and before Hopper.
__device__ __forceinline__ void wait_for_predecessor() {
#if __CUDA_ARCH__ >= 900
  asm volatile("griddepcontrol.wait;\n" ::: "memory");
#endif
}
__device__ __forceinline__ void allow_successor() {
#if __CUDA_ARCH__ >= 900
  asm volatile("griddepcontrol.launch_dependents;\n" ::);
#endif
}

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

// Epilogues that store many values (a conv tile) choose the activation once: `body(act)` is compiled once with
// linear, leaky and ReLU as one slope (x > 0 ? x : slope * x; the activations of the LightNet cfgs), and once
// with the switch above for the others. A switch inlined per stored value made the conv kernels 4,000–13,000
// instructions long and left memory-bound layers stalled on instruction fetch (H200, 1x1 conv 64 -> 32
// channels at 240x320: 16.7 us before, 12.0 us with one epilogue per activation; the slope saves 1–3 % more).
struct SlopedActivation {
  float slope;  // 1 linear, 0.1 leaky (darknet's), 0 ReLU
  __device__ __forceinline__ float operator()(float x) const { return x > 0.f ? x : slope * x; }
};
struct AnyActivation {
  Activation a;
  __device__ __forceinline__ float operator()(float x) const { return activate(x, a); }
};
template <class Body>
__device__ __forceinline__ void with_activation(Activation a, const Body& body) {
  if (a == Activation::Linear || a == Activation::Leaky || a == Activation::Relu)
    body(SlopedActivation{a == Activation::Linear ? 1.f : a == Activation::Leaky ? 0.1f : 0.f});
  else
    body(AnyActivation{a});
}

}  // namespace lightnet::cuda
