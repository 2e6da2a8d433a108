// The CUDA backend (built when CUDA and cuDNN are found).
#pragma once
#include <memory>

#include "lightnet/engine.h"

namespace lightnet {

int cuda_device_count();  // 0 when there is no usable GPU or driver
std::unique_ptr<Engine> make_cuda_engine(const Network& net, const BuildOptions& options,
                                         const ProgressCallback& progress);

}  // namespace lightnet
