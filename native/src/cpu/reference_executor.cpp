// The portable CPU path: one NCHW buffer per layer, ops from this folder in layer order. Used when oneDNN is
// absent and as the reference the oneDNN path is tested against.
#include <algorithm>
#include <chrono>
#include <cstring>
#include <stdexcept>
#include <string>

#include "cpu/convolution.h"
#include "cpu/executor.h"
#include "cpu/maxpool.h"
#include "cpu/route.h"
#include "cpu/shortcut.h"
#include "cpu/upsample.h"
#ifdef _OPENMP
#include <omp.h>
#endif

namespace lightnet::cpu {

std::string layer_label(const Layer& l) {
  std::string s = std::to_string(l.index) + " " + to_string(l.type);
  if (l.type == LayerType::Convolutional) {
    const ConvParams& p = l.as<ConvParams>();
    s += " " + std::to_string(p.size) + "x" + std::to_string(p.size) + "/" + std::to_string(p.stride_x) + " " +
         std::to_string(p.filters);
    if (p.groups > 1) s += " g" + std::to_string(p.groups);
    if (p.dilation > 1) s += " d" + std::to_string(p.dilation);
  }
  return s;
}

void Profiler::reset(const Network& net) {
  ms_.assign(net.layers.size(), 0.0);
  notes_.resize(net.layers.size());
  runs_ = 0;
}

std::vector<LayerTiming> Profiler::take(const Network& net) {
  std::vector<LayerTiming> out;
  if (runs_ == 0) return out;
  for (size_t i = 0; i < ms_.size(); ++i)
    out.push_back({int(i), layer_label(net.layers[i]) + (notes_[i].empty() ? "" : " [" + notes_[i] + "]"),
                   ms_[i] / runs_});
  ms_.assign(ms_.size(), 0.0);
  runs_ = 0;
  return out;
}

namespace {

class ReferenceExecutor : public Executor {
 public:
  ReferenceExecutor(const Network& net, const ExecutorOptions& options) : net_(net), options_(options) {
    for (const Layer& l : net.layers)
      if (l.type == LayerType::Convolutional && (l.weights.empty() || l.bias.empty()))
        throw std::invalid_argument("layer " + std::to_string(l.index) +
                                    " [convolutional]: no weights (load or randomize weights first)");
    // Pass-through layers share their input's buffer; a buffer is freed after its last reader.
    const int L = int(net.layers.size());
    storage_of_.resize(L);
    last_use_.assign(L, -1);
    for (const Layer& l : net.layers) {
      const bool passthrough = l.type == LayerType::Dropout || l.type == LayerType::Yolo ||
                               l.type == LayerType::Softmax;
      storage_of_[l.index] = passthrough && l.inputs[0] >= 0 ? storage_of_[l.inputs[0]] : l.index;
      for (int i : l.inputs)
        if (i >= 0) last_use_[storage_of_[i]] = std::max(last_use_[storage_of_[i]], l.index);
    }
    for (int o : options.outputs) last_use_[storage_of_.at(o)] = L;  // read after the last layer
    buffers_.resize(L);
    profiler_.reset(net);
  }

  const char* name() const override { return "reference"; }
  size_t workspace_bytes() const override {  // peak is transient: buffers live only while needed
    size_t bytes = 0;
    for (const auto& b : buffers_) bytes += b.capacity() * sizeof(float);
    return bytes;
  }

  void run(const float* input, int batch, const std::vector<float*>& outputs) override {
    if (batch < 1 || batch > options_.max_batch)
      throw std::invalid_argument("batch: expected 1.." + std::to_string(options_.max_batch) + ", found " +
                                  std::to_string(batch));
#ifdef _OPENMP
    if (options_.threads > 0) omp_set_num_threads(options_.threads);
#endif
    auto src = [&](int index) -> const float* { return index < 0 ? input : buffers_[storage_of_[index]].data(); };
    for (const Layer& l : net_.layers) {
      auto t0 = std::chrono::steady_clock::now();
      std::vector<const float*> ins;
      for (int i : l.inputs) ins.push_back(src(i));
      std::vector<float>& buffer = buffers_[storage_of_[l.index]];
      if (storage_of_[l.index] == l.index) buffer.resize(size_t(l.output.size()) * batch);
      float* out = buffer.data();
      const Shape& is = l.input_shapes.empty() ? net_.input : l.input_shapes[0];
      switch (l.type) {
        case LayerType::Convolutional: convolution_reference(l, ins[0], out, batch); break;
        case LayerType::Route: route_reference(l, ins, out, batch); break;
        case LayerType::Shortcut: shortcut_reference(l, ins, out, batch); break;
        case LayerType::Upsample:
          upsample_nearest(ins[0], out, size_t(is.c) * batch, is.h, is.w, l.as<UpsampleParams>().stride, 1);
          break;
        case LayerType::Maxpool:
          maxpool(l.as<MaxpoolParams>(), ins[0], out, size_t(is.c) * batch, is.h, is.w, l.output.h, l.output.w, 1);
          break;
        case LayerType::Dropout:
        case LayerType::Yolo:
        case LayerType::Softmax:
          if (storage_of_[l.index] == l.index)  // pass-through of the network input itself
            std::memcpy(out, ins[0], sizeof(float) * l.output.size() * batch);
          break;
      }
      for (int i : l.inputs)  // release what no later layer reads
        if (i >= 0 && last_use_[storage_of_[i]] == l.index) std::vector<float>().swap(buffers_[storage_of_[i]]);
      if (options_.profile)
        profiler_.add(l.index, std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    }
    if (options_.profile) profiler_.count_run();
    for (size_t i = 0; i < options_.outputs.size(); ++i) {
      const Layer& l = net_.layers.at(options_.outputs[i]);
      std::memcpy(outputs[i], buffers_[storage_of_[l.index]].data(), sizeof(float) * l.output.size() * batch);
    }
    for (int o : options_.outputs) std::vector<float>().swap(buffers_[storage_of_[o]]);
  }

  std::vector<LayerTiming> take_profile() override { return profiler_.take(net_); }

 private:
  const Network& net_;
  ExecutorOptions options_;
  std::vector<std::vector<float>> buffers_;  // indexed by storage owner
  std::vector<int> storage_of_;               // layer → layer whose buffer holds its output
  std::vector<int> last_use_;                 // storage owner → last layer reading it
  Profiler profiler_;
};

}  // namespace

std::unique_ptr<Executor> make_reference_executor(const Network& net, const ExecutorOptions& options) {
  return std::make_unique<ReferenceExecutor>(net, options);
}

}  // namespace lightnet::cpu
