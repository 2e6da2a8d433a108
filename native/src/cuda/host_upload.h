// Host-to-GPU uploads at pinned-memory speed from any host buffer.
//
// cudaMemcpyAsync from pageable memory runs at about 11 GB/s on the H100 machine: the driver copies through its
// own small staging buffers one at a time. Here a pageable source is copied into an engine-owned pinned buffer
// in chunks, by the calling thread and a few helper threads, and each chunk's DMA is enqueued as soon as it is
// staged, so host copies and transfers overlap.
#pragma once
#include <cuda_runtime.h>

#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "cuda/device_memory.h"

namespace lightnet::cuda {

class HostUploader {
 public:
  // helper_threads: threads besides the caller that copy chunks (0 = the caller alone).
  explicit HostUploader(int helper_threads, size_t chunk_bytes = size_t(512) << 10);
  ~HostUploader();
  HostUploader(const HostUploader&) = delete;
  HostUploader& operator=(const HostUploader&) = delete;

  // Enqueues device `dst` <- host `src` (`bytes`) on `stream`. Returns once every byte of `src` has been read
  // (the caller may then reuse it); the transfers finish in stream order. `slot` picks the staging buffer, so
  // several uploads may be in flight at once (one per slot); a slot waits for its previous transfer first.
  void upload(void* dst, const void* src, size_t bytes, int slot, cudaStream_t stream);

  int helper_threads() const { return int(threads_.size()); }

  // Helper threads from LIGHTNET_CUDA_UPLOAD_THREADS, else min(3, cores - 1).
  static int default_helper_threads();

 private:
  struct Job;
  struct Slot {
    PinnedBuffer staging;
    cudaEvent_t done = nullptr;  // recorded after the slot's last transfer
  };
  void work();

  size_t chunk_;
  std::vector<std::unique_ptr<Slot>> slots_;
  std::vector<std::thread> threads_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::shared_ptr<Job> job_;
  unsigned long long generation_ = 0;
  bool stop_ = false;
};

}  // namespace lightnet::cuda
