#include "cuda/host_upload.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <string>

#include "common/env_switch.h"

namespace lightnet::cuda {

// One upload: its chunks are claimed by whichever thread asks next; `ready` says which are staged.
struct HostUploader::Job {
  const char* src;
  char* staging;
  size_t bytes, chunk;
  int chunks;
  std::atomic<int> next{0};
  std::unique_ptr<std::atomic<bool>[]> ready;

  Job(const void* s, void* st, size_t n, size_t c)
      : src(static_cast<const char*>(s)), staging(static_cast<char*>(st)), bytes(n), chunk(c),
        chunks(int((n + c - 1) / c)), ready(new std::atomic<bool>[chunks]) {
    for (int i = 0; i < chunks; ++i) ready[i].store(false, std::memory_order_relaxed);
  }
  size_t offset(int i) const { return size_t(i) * chunk; }
  size_t size(int i) const { return std::min(chunk, bytes - offset(i)); }
  // Claims the next unclaimed chunk and stages it; false when none was left.
  bool copy_next() {
    const int i = next.fetch_add(1, std::memory_order_relaxed);
    if (i >= chunks) return false;
    std::memcpy(staging + offset(i), src + offset(i), size(i));
    ready[i].store(true, std::memory_order_release);
    return true;
  }
};

int HostUploader::default_helper_threads() {
  const int cores = int(std::thread::hardware_concurrency());
  return env_count("LIGHTNET_CUDA_UPLOAD_THREADS", std::clamp(cores - 1, 0, 3), 0, 64);
}

HostUploader::HostUploader(int helper_threads, size_t chunk_bytes) : chunk_(std::max<size_t>(chunk_bytes, 4096)) {
  for (int i = 0; i < helper_threads; ++i) threads_.emplace_back([this] { work(); });
}

HostUploader::~HostUploader() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  for (auto& t : threads_) t.join();
  for (auto& s : slots_)
    if (s->done) cudaEventDestroy(s->done);
}

void HostUploader::work() {
  unsigned long long seen = 0;
  for (;;) {
    std::shared_ptr<Job> job;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return stop_ || generation_ != seen; });
      if (stop_) return;
      seen = generation_;
      job = job_;
    }
    // A late waker may hold a finished job: it finds no chunk left and touches nothing else.
    if (job)
      while (job->copy_next()) {
      }
  }
}

void HostUploader::upload(void* dst, const void* src, size_t bytes, int slot, cudaStream_t stream) {
  if (bytes == 0) return;
  while (int(slots_.size()) <= slot) slots_.push_back(std::make_unique<Slot>());
  Slot& s = *slots_[slot];
  if (s.done) LN_CUDA(cudaEventSynchronize(s.done));  // the staging buffer's last transfer has left it
  s.staging.resize(bytes);
  auto job = std::make_shared<Job>(src, s.staging.get(), bytes, chunk_);
  const bool helped = !threads_.empty() && job->chunks > 1;
  if (helped) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      job_ = job;
      ++generation_;
    }
    wake_.notify_all();
  }
  char* d = static_cast<char*>(dst);
  int issued = 0;
  auto issue_ready = [&] {
    while (issued < job->chunks && job->ready[issued].load(std::memory_order_acquire)) {
      LN_CUDA(cudaMemcpyAsync(d + job->offset(issued), job->staging + job->offset(issued), job->size(issued),
                              cudaMemcpyHostToDevice, stream));
      ++issued;
    }
  };
  try {
    while (job->copy_next()) issue_ready();
    while (issued < job->chunks) {
      issue_ready();
      if (issued < job->chunks) std::this_thread::yield();  // a helper is still copying its last chunk
    }
    if (!s.done) LN_CUDA(cudaEventCreateWithFlags(&s.done, cudaEventDisableTiming));
    LN_CUDA(cudaEventRecord(s.done, stream));
  } catch (...) {
    // Helpers may still read `src`: the caller owns it, so wait until every chunk is staged before leaving,
    // and let the transfers already enqueued leave the staging buffer before it is written again.
    while (job->copy_next()) {
    }
    for (int i = 0; i < job->chunks; ++i)
      while (!job->ready[i].load(std::memory_order_acquire)) std::this_thread::yield();
    cudaStreamSynchronize(stream);
    cudaGetLastError();
    if (helped) {
      std::lock_guard<std::mutex> lock(mutex_);
      if (job_ == job) job_.reset();
    }
    throw;
  }
  if (helped) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (job_ == job) job_.reset();
  }
}

}  // namespace lightnet::cuda
