// The CPU backend's reduced-precision executor: each convolution in the precision a QuantPlan gives it (INT8
// through oneDNN s8 kernels, FP32/FP16 in fp32); see int8_executor.cpp for the numerics.
#pragma once
#include <memory>

#include "cpu/executor.h"
#include "lightnet/quantization.h"

namespace lightnet::cpu {

std::unique_ptr<Executor> make_quantized_executor(const Network& net, const QuantPlan& plan,
                                                  const ExecutorOptions& options);

}  // namespace lightnet::cpu
