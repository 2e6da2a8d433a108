// darknet activation → oneDNN eltwise algorithm (+ its alpha), shared by the fp32 and int8 executors.
#pragma once
#ifdef LIGHTNET_WITH_ONEDNN
#include <dnnl.hpp>

#include "lightnet/network.h"

namespace lightnet::cpu {

// undef for Linear (no post-op). darknet's leaky slope is 0.1; swish is x·σ(1·x).
inline dnnl::algorithm eltwise_of(Activation a, float& alpha) {
  alpha = 0.f;
  switch (a) {
    case Activation::Relu: return dnnl::algorithm::eltwise_relu;
    case Activation::Leaky: alpha = 0.1f; return dnnl::algorithm::eltwise_relu;
    case Activation::Logistic: return dnnl::algorithm::eltwise_logistic;
    case Activation::Swish: alpha = 1.f; return dnnl::algorithm::eltwise_swish;
    case Activation::Mish: return dnnl::algorithm::eltwise_mish;
    case Activation::Linear: break;
  }
  return dnnl::algorithm::undef;
}

}  // namespace lightnet::cpu
#endif  // LIGHTNET_WITH_ONEDNN
