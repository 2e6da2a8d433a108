// The CPU engine: pre-processing, one executor (oneDNN where built with it, else the reference kernels),
// YOLO decode + NMS and segmentation argmax, with per-frame timings.
#include "cpu/cpu_engine.h"

#include <algorithm>
#include <chrono>
#include <iostream>
#include <stdexcept>
#include <string>

#include "cpu/executor.h"
#include "cpu/int8_executor.h"
#include "lightnet/postprocess.h"
#include "lightnet/quantization.h"

namespace lightnet {

namespace {

using Clock = std::chrono::steady_clock;
double ms_since(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

// One inference at a time: forward()/detect() reuse the engine's buffers and plans, so callers serialise
// calls on one engine (the addon queues them); build several engines for concurrent inference.
class CpuEngine : public Engine {
 public:
  CpuEngine(const Network& net, const BuildOptions& options, const ProgressCallback& progress)
      : net_(net), options_(options) {
    if (options.precision == Precision::FP16)
      throw std::invalid_argument("precision: the CPU backend supports fp32 and int8, found fp16");
    if (options.batch < 1) throw std::invalid_argument("batch: expected >= 1, found " + std::to_string(options.batch));
    if (options.threads < 0)
      throw std::invalid_argument("threads: expected >= 0 (0 = all cores), found " + std::to_string(options.threads));
    if (!net_.has_weights) throw std::invalid_argument("network " + net_.cfg_path + ": no weights loaded");
    if (net_.heads.empty()) throw std::invalid_argument("network " + net_.cfg_path + ": no [yolo] or [softmax] head");
    if (progress) progress(0.0, "planning CPU engine");
    cpu::ExecutorOptions eo;
    eo.max_batch = options.batch;
    eo.threads = options.threads;
    eo.profile = options.profile;
    for (const Head& h : net_.heads) eo.outputs.push_back(h.source);
    // INT8 layers (engine precision or the cfg's precision= keys): calibrate, then the quantized executor.
    const QuantPlan plan = prepare_quantization(net_, options, [&](const std::string& message) {
      if (progress) progress(0.0, message);
      if (message.rfind("warning:", 0) == 0) std::cerr << "lightnet: " << message << "\n";
    });
    if (plan.any_int8()) {
      executor_ = cpu::make_quantized_executor(net_, plan, eo);
    } else {
#ifdef LIGHTNET_WITH_ONEDNN
      executor_ = cpu::make_onednn_executor(net_, eo);
#else
      executor_ = cpu::make_reference_executor(net_, eo);
#endif
    }
    input_.resize(size_t(net_.input.size()) * options.batch);
    host_inputs_.resize(size_t(options.batch));
    for (const Head& h : net_.heads) head_buffers_.emplace_back(size_t(source_shape(h).size()) * options.batch);
    if (progress)
      progress(1.0, std::string("CPU engine ready (") + executor_->name() + ", " +
                        std::to_string(executor_->workspace_bytes() >> 20) + " MiB of activations)");
  }

  std::string backend() const override { return "cpu"; }
  Precision precision() const override { return options_.precision; }
  int max_batch() const override { return options_.batch; }
  const Network& network() const override { return net_; }

  std::vector<Tensor> forward(const float* input, int batch) override {
    if (!input) throw std::invalid_argument("forward: input is null");
    if (batch < 1) throw std::invalid_argument("forward: batch expected >= 1, found " + std::to_string(batch));
    std::vector<Tensor> out(net_.heads.size());
    for (size_t i = 0; i < out.size(); ++i) {
      const Shape& s = source_shape(net_.heads[i]);
      out[i].layer = net_.heads[i].source;
      out[i].n = batch, out[i].c = s.c, out[i].h = s.h, out[i].w = s.w;
      out[i].data.resize(size_t(s.size()) * batch);
    }
    for (int done = 0; done < batch; done += options_.batch) {
      const int n = std::min(options_.batch, batch - done);
      std::vector<float*> dst;
      for (size_t i = 0; i < out.size(); ++i) dst.push_back(out[i].data.data() + size_t(done) * source_shape(net_.heads[i]).size());
      executor_->run(input + size_t(done) * net_.input.size(), n, dst);
    }
    return out;
  }

  std::vector<FrameResult> detect(const std::vector<ImageView>& images, const DetectOptions& options) override {
    for (size_t i = 0; i < images.size(); ++i) {
      try {
        validate(images[i]);
      } catch (const std::invalid_argument& e) {
        throw std::invalid_argument("image " + std::to_string(i) + ": " + e.what());
      }
    }
    std::vector<FrameResult> results(images.size());
    for (size_t done = 0; done < images.size(); done += options_.batch) {
      const int n = int(std::min(images.size() - done, size_t(options_.batch)));
      for (int k = 0; k < n; ++k) {
        auto t0 = Clock::now();
        try {
          preprocess_cpu(images[done + k], net_.input, input_.data() + size_t(k) * net_.input.size());
        } catch (const std::invalid_argument& e) {
          throw std::invalid_argument("image " + std::to_string(done + k) + ": " + e.what());
        }
        results[done + k].timing.preprocess_ms = ms_since(t0);
      }
      auto t0 = Clock::now();
      std::vector<float*> dst;
      for (auto& b : head_buffers_) dst.push_back(b.data());
      executor_->run(input_.data(), n, dst);
      const double per_image = ms_since(t0) / n;
      for (int k = 0; k < n; ++k) {
        FrameResult& r = results[done + k];
        r.timing.inference_ms = per_image;
        auto t1 = Clock::now();
        const ImageView& img = images[done + k];
        std::vector<Detection> candidates;
        for (size_t h = 0; h < net_.heads.size(); ++h) {
          const Head& head = net_.heads[h];
          const float* t = head_buffers_[h].data() + size_t(k) * source_shape(head).size();
          const Layer& layer = net_.layers[head.layer];
          if (head.kind == Head::Kind::Yolo)
            decode_yolo(net_, layer, t, img.width, img.height, options.score_threshold, candidates);
          else
            r.masks.push_back(argmax_mask(layer, t));
        }
        r.detections = nms(std::move(candidates), options.nms_threshold);
        r.timing.postprocess_ms = ms_since(t1);
      }
    }
    return results;
  }

  std::vector<LayerTiming> take_profile() override { return executor_->take_profile(); }

  // Plain host memory: the CPU reads a frame wherever it lies, so nothing is gained here, but callers that
  // decode or copy into the engine's input buffers (lightnet::InputBuffers) then run one code path everywhere.
  uint8_t* pinned_input(int slot, size_t bytes) override {
    if (slot < 0 || slot >= options_.batch)
      throw std::invalid_argument("pinned_input: slot: expected 0.." + std::to_string(options_.batch - 1) + ", found " +
                                  std::to_string(slot));
    std::vector<uint8_t>& buffer = host_inputs_[slot];
    if (buffer.size() < bytes || buffer.empty()) buffer.resize(std::max<size_t>(bytes, 1));
    return buffer.data();
  }

 private:
  const Shape& source_shape(const Head& h) const { return net_.layers.at(h.source).output; }

  Network net_;  // owned copy: the engine outlives the caller's Network
  BuildOptions options_;
  std::unique_ptr<cpu::Executor> executor_;
  std::vector<float> input_;
  std::vector<std::vector<float>> head_buffers_;
  std::vector<std::vector<uint8_t>> host_inputs_;  // pinned_input(): one per batch slot
};

}  // namespace

std::unique_ptr<Engine> make_cpu_engine(const Network& net, const BuildOptions& options,
                                        const ProgressCallback& progress) {
  return std::make_unique<CpuEngine>(net, options, progress);
}

}  // namespace lightnet
