// RAII owners of device and pinned host memory.
#pragma once
#include <cuda_runtime.h>

#include <cstddef>
#include <utility>
#include <vector>

#include "cuda/cuda_check.h"

namespace lightnet::cuda {

class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  explicit DeviceBuffer(size_t bytes) { resize(bytes); }
  ~DeviceBuffer() { release(); }
  DeviceBuffer(DeviceBuffer&& o) noexcept : ptr_(std::exchange(o.ptr_, nullptr)), bytes_(std::exchange(o.bytes_, 0)) {}
  DeviceBuffer& operator=(DeviceBuffer&& o) noexcept {
    if (this != &o) { release(); ptr_ = std::exchange(o.ptr_, nullptr); bytes_ = std::exchange(o.bytes_, 0); }
    return *this;
  }
  // Grows (never shrinks); contents are not kept.
  void resize(size_t bytes) {
    if (bytes <= bytes_) return;
    release();
    LN_CUDA(cudaMalloc(&ptr_, bytes));
    bytes_ = bytes;
  }
  template <class T = void> T* get() const { return static_cast<T*>(ptr_); }
  size_t bytes() const { return bytes_; }

 private:
  void release() { if (ptr_) cudaFree(ptr_); ptr_ = nullptr; bytes_ = 0; }
  void* ptr_ = nullptr;
  size_t bytes_ = 0;
};

// A device copy of host values (filters, biases), synchronously.
template <class T>
DeviceBuffer upload(const std::vector<T>& values) {
  DeviceBuffer b(values.size() * sizeof(T));
  LN_CUDA(cudaMemcpy(b.get(), values.data(), b.bytes(), cudaMemcpyHostToDevice));
  return b;
}

class PinnedBuffer {
 public:
  PinnedBuffer() = default;
  ~PinnedBuffer() { release(); }
  PinnedBuffer(const PinnedBuffer&) = delete;
  PinnedBuffer& operator=(const PinnedBuffer&) = delete;
  void resize(size_t bytes) {
    if (bytes <= bytes_) return;
    release();
    LN_CUDA(cudaMallocHost(&ptr_, bytes));
    bytes_ = bytes;
  }
  template <class T = void> T* get() const { return static_cast<T*>(ptr_); }
  size_t bytes() const { return bytes_; }

 private:
  void release() { if (ptr_) cudaFreeHost(ptr_); ptr_ = nullptr; bytes_ = 0; }
  void* ptr_ = nullptr;
  size_t bytes_ = 0;
};

}  // namespace lightnet::cuda
