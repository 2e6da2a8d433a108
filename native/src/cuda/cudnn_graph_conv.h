// One convolutional layer as a cuDNN graph (backend API): conv → + bias → activation in one fused kernel
// (runtime fusion engines on Ampere/Hopper), NHWC with explicit strides so inputs and outputs may be channel
// slices. Plans depend on the batch size, so one is made per batch the engine runs.
#pragma once
#include <cudnn.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "cuda/device_memory.h"
#include "cuda/kernels.h"
#include "lightnet/network.h"

namespace lightnet::cuda {

// Owns one cudnnBackendDescriptor_t.
class BackendDesc {
 public:
  BackendDesc() = default;
  explicit BackendDesc(cudnnBackendDescriptorType_t type);
  ~BackendDesc();
  BackendDesc(BackendDesc&& o) noexcept : d_(o.d_) { o.d_ = nullptr; }
  BackendDesc& operator=(BackendDesc&& o) noexcept;
  BackendDesc(const BackendDesc&) = delete;
  BackendDesc& operator=(const BackendDesc&) = delete;
  cudnnBackendDescriptor_t get() const { return d_; }
 private:
  cudnnBackendDescriptor_t d_ = nullptr;
};

class GraphConv {
 public:
  // `in_channels`: channels as stored (≥ the IR's for a padded network input).
  GraphConv(const Layer& layer, int in_channels, DType dt);

  // Makes (or reuses) the plan for these views. With `choice` < 0 the candidates cuDNN's heuristics offer are
  // timed and the fastest kept; otherwise candidate number `choice` is taken (a cached decision). Returns the
  // chosen candidate number, or -1 when no candidate runs (then the caller uses the legacy path).
  // `timer` (ms per call of its argument, e.g. replayed from a CUDA graph as the network runs) times the
  // candidates; without one, each call is timed alone between two events, which mostly measures the host's
  // launch cost for these small kernels.
  using Timer = std::function<float(const std::function<void()>&)>;
  int prepare(cudnnHandle_t h, const View& in, const View& out, int choice, void* workspace, size_t ws_limit,
              cudaStream_t s, const Timer& timer = nullptr);
  // What the last prepare() without a choice saw: cuDNN's configs, those skipped as nondeterministic, those timed.
  struct Tuning {
    int configs = 0, nondeterministic = 0, timed = 0;
    int compiled = 0;  // of the timed, those whose finalize compiled a kernel (runtime fusion)
  };
  const Tuning& tuning() const { return tuning_; }
  size_t workspace(int batch) const;
  // Binds buffers to the plan prepared for in.n, once: the result runs many times.
  std::shared_ptr<BackendDesc> bind(const View& in, const View& out, void* workspace) const;
  void run(cudnnHandle_t h, const BackendDesc& pack, const View& in, const View& out, cudaStream_t s) const;
  void run(cudnnHandle_t h, const View& in, const View& out, void* workspace, cudaStream_t s) const {
    run(h, *bind(in, out, workspace), in, out, s);
  }
  const Layer& layer() const { return *layer_; }

 private:
  struct Plan {
    BackendDesc plan;
    size_t workspace = 0;
    bool epilogue = false;  // activation not in the graph (mish): bias+act kernel after it
  };
  std::vector<BackendDesc> candidates(cudnnHandle_t h, const View& in, const View& out, bool& epilogue,
                                      std::vector<BackendDesc>& keep_alive) const;

  const Layer* layer_;
  DType dt_;
  int in_channels_;
  DeviceBuffer weights_, bias_;
  std::map<int, Plan> plans_;  // by batch
  std::map<int, std::vector<BackendDesc>> graph_keep_;  // descriptors the plans were made from
  Tuning tuning_;
};

// darknet [K][C][R][S] floats → [K][R][S][C_stored] in the engine's element type on the device.
DeviceBuffer upload_filter(const Layer& layer, int in_channels, DType dt);
DeviceBuffer upload_values(const std::vector<float>& v, DType dt);

}  // namespace lightnet::cuda
