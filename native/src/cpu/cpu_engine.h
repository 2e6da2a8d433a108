// The CPU backend: the reference and the fallback, fp32 (oneDNN where built with it) and int8 (calibrated
// through lightnet/quantization.h, run by cpu/int8_executor).
#pragma once
#include <memory>

#include "lightnet/engine.h"

namespace lightnet {

std::unique_ptr<Engine> make_cpu_engine(const Network& net, const BuildOptions& options,
                                        const ProgressCallback& progress);

}  // namespace lightnet
