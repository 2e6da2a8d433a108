// Kernel launches with programmatic dependent launch where the GPU has it (compute capability 9.0, Hopper):
// a kernel may then start while its predecessor on the stream drains (its blocks become resident, load what
// does not depend on the predecessor, and wait), which hides most of the gap between two small kernels.
// A kernel launched this way must call wait_for_predecessor() (device_math.cuh) before it reads anything a
// predecessor wrote, and before it writes anything a predecessor may still read.
#pragma once
#include <cuda_runtime.h>

#include <utility>

#include "cuda/cuda_check.h"

namespace lightnet::cuda {

// Whether the current device supports it; asked once per device.
bool programmatic_launch_supported();

// The current device's compute capability major version; 0 where there is no usable device.
int current_device_major();

template <class... Params, class... Args>
void launch_programmatic(void (*kernel)(Params...), dim3 grid, dim3 block, size_t shared_bytes, cudaStream_t s,
                         Args&&... args) {
  cudaLaunchConfig_t config = {};
  config.gridDim = grid;
  config.blockDim = block;
  config.dynamicSmemBytes = shared_bytes;
  config.stream = s;
  cudaLaunchAttribute attribute[1];
  attribute[0].id = cudaLaunchAttributeProgrammaticStreamSerialization;
  attribute[0].val.programmaticStreamSerializationAllowed = 1;
  config.attrs = attribute;
  config.numAttrs = programmatic_launch_supported() ? 1 : 0;
  LN_CUDA(cudaLaunchKernelEx(&config, kernel, std::forward<Args>(args)...));
}

}  // namespace lightnet::cuda
