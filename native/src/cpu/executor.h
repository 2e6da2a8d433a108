// A planned way of running one Network on the CPU: the reference executor (plain C++) or the oneDNN one.
// Both take an NCHW input batch and write the requested layers' outputs as NCHW floats.
#pragma once
#include <memory>
#include <vector>

#include "lightnet/engine.h"

namespace lightnet::cpu {

struct ExecutorOptions {
  int max_batch = 1;
  int threads = 0;           // 0 = all cores (OpenMP default)
  bool profile = false;
  std::vector<int> outputs;  // layer indices whose outputs run() returns, in this order
};

class Executor {
 public:
  virtual ~Executor() = default;
  // input: batch × net.input floats (NCHW). outputs[i] receives batch × layer(outputs[i]).output floats.
  virtual void run(const float* input, int batch, const std::vector<float*>& outputs) = 0;
  virtual std::vector<LayerTiming> take_profile() = 0;
  virtual const char* name() const = 0;
  // Activation memory held for the largest batch (bytes).
  virtual size_t workspace_bytes() const = 0;
};

std::unique_ptr<Executor> make_reference_executor(const Network& net, const ExecutorOptions& options);
#ifdef LIGHTNET_WITH_ONEDNN
std::unique_ptr<Executor> make_onednn_executor(const Network& net, const ExecutorOptions& options);
#endif

// "12 convolutional 3x3/1 64" style label used in profiles.
std::string layer_label(const Layer& layer);

// Collects per-layer wall times; shared by both executors.
class Profiler {
 public:
  void reset(const Network& net);
  void add(int layer, double ms) { if (layer >= 0 && size_t(layer) < ms_.size()) ms_[layer] += ms; }
  void count_run() { ++runs_; }
  void note(int layer, const std::string& text) { if (layer >= 0 && size_t(layer) < notes_.size()) notes_[layer] = text; }
  std::vector<LayerTiming> take(const Network& net);
 private:
  std::vector<double> ms_;
  std::vector<std::string> notes_;  // e.g. the oneDNN implementation chosen
  int runs_ = 0;
};

}  // namespace lightnet::cpu
