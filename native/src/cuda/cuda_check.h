// Error checks for CUDA runtime and cuDNN calls: a failure throws std::runtime_error naming the call,
// the source line and the library's own message, so a bad GPU state never aborts the process.
#pragma once
#include <cuda_runtime.h>
#include <cudnn.h>

#include <stdexcept>
#include <string>

namespace lightnet::cuda {

[[noreturn]] inline void throw_cuda(cudaError_t e, const char* call, const char* file, int line) {
  cudaGetLastError();  // clear a sticky-free error so the next call starts clean
  throw std::runtime_error(std::string(file) + ":" + std::to_string(line) + ": " + call + " failed: " +
                           cudaGetErrorName(e) + " (" + cudaGetErrorString(e) + ")");
}

[[noreturn]] inline void throw_cudnn(cudnnStatus_t s, const char* call, const char* file, int line) {
  throw std::runtime_error(std::string(file) + ":" + std::to_string(line) + ": " + call +
                           " failed: " + cudnnGetErrorString(s));
}

}  // namespace lightnet::cuda

#define LN_CUDA(call)                                                                  \
  do {                                                                                 \
    cudaError_t ln_e_ = (call);                                                        \
    if (ln_e_ != cudaSuccess) ::lightnet::cuda::throw_cuda(ln_e_, #call, __FILE__, __LINE__); \
  } while (0)

#define LN_CUDNN(call)                                                                       \
  do {                                                                                       \
    cudnnStatus_t ln_s_ = (call);                                                            \
    if (ln_s_ != CUDNN_STATUS_SUCCESS) ::lightnet::cuda::throw_cudnn(ln_s_, #call, __FILE__, __LINE__); \
  } while (0)

// After a kernel launch: launch-configuration errors surface here, not at the next sync.
#define LN_CUDA_LAUNCH() LN_CUDA(cudaGetLastError())
