// Epilogue packers of the own FP16 kernels that store channel pairs: two fp32 sums (bias included) to two FP16
// values, activated, in one 32-bit word. ReLU is one instruction (the conversion clamps at zero, which commutes
// with rounding); the other activations go through fp32 (with_activation, device_math.cuh).
#pragma once
#include <cuda_fp16.h>

#include <type_traits>

#include "cuda/device_math.cuh"

namespace lightnet::cuda {

struct PackRelu {
  __device__ __forceinline__ unsigned operator()(float lo, float hi) const {
    unsigned r;
    asm("cvt.rn.relu.f16x2.f32 %0, %1, %2;\n" : "=r"(r) : "f"(hi), "f"(lo));
    return r;
  }
};
template <class Act>
struct PackActivated {
  Act activation;
  __device__ __forceinline__ unsigned operator()(float lo, float hi) const {
    const __half2 h = __floats2half2_rn(activation(lo), activation(hi));
    return *reinterpret_cast<const unsigned*>(&h);
  }
};
// `body(pack)` compiled once per kind of packer: ReLU's, and with_activation's two.
template <class Body>
__device__ __forceinline__ void with_packer(Activation a, const Body& body) {
  if (a == Activation::Relu) {
    body(PackRelu{});
  } else {
    with_activation(a, [&](const auto& activation) {
      body(PackActivated<std::decay_t<decltype(activation)>>{activation});
    });
  }
}

}  // namespace lightnet::cuda
