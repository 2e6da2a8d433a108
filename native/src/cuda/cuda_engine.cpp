// The CUDA engine: cuDNN convolutions + own kernels over a planned NHWC arena, replayed as one CUDA graph.
#include "cuda/cuda_engine.h"

#include <cuda_runtime.h>
#include <cudnn.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <iostream>
#include <map>
#include <stdexcept>
#include <utility>

#include "common/env_switch.h"
#include "cuda/cuda_check.h"
#include "cuda/cudnn_conv.h"
#include "cuda/conv_pair.h"
#include "cuda/cudnn_graph_conv.h"
#include "cuda/device_memory.h"
#include "cuda/host_upload.h"
#include "cuda/igemm_conv.h"
#include "cuda/int8_storage.h"
#include "cuda/kernels.h"
#include "cuda/memory_plan.h"
#include "cuda/plan_cache.h"
#include "cuda/sparse_conv.h"
#include "cuda/stem_conv.h"
#include "cuda/stream_schedule.h"
#include "ir/sibling_fusion.h"
#include "ir/upsample_reorder.h"
#include "lightnet/quantization.h"

namespace lightnet {

int cuda_device_count() {
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess) {
    cudaGetLastError();
    return 0;
  }
  return n;
}

namespace cuda {
namespace {

// Adds the host seconds between its construction and its end to `total` (where a build's time goes).
class Stopwatch {
 public:
  explicit Stopwatch(double& total) : total_(total), start_(std::chrono::steady_clock::now()) {}
  ~Stopwatch() { total_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count(); }
  Stopwatch(const Stopwatch&) = delete;
  Stopwatch& operator=(const Stopwatch&) = delete;

 private:
  double& total_;
  std::chrono::steady_clock::time_point start_;
};

void log_line(const std::string& s) { std::cerr << "lightnet cuda: " << s << std::endl; }

std::string layer_name(const Layer& l) {
  std::string s = std::to_string(l.index) + " " + to_string(l.type);
  if (l.type == LayerType::Convolutional) {
    const auto& p = l.as<ConvParams>();
    s += " " + std::to_string(p.size) + "x" + std::to_string(p.size) + "/" + std::to_string(p.stride_x) + " " +
         std::to_string(p.filters);
    if (p.dilation > 1) s += " d" + std::to_string(p.dilation);
    if (p.groups > 1) s += " g" + std::to_string(p.groups);
  }
  return s;
}

// "4+2": the layers a fused sibling convolution computes, in its channel order.
std::string members_text(const ir::SiblingFusion& f) {
  std::string s;
  for (size_t k = 0; k < f.members.size(); ++k) s += (k ? "+" : "") + std::to_string(f.members[k]);
  return s;
}

std::string describe_fusions(const std::vector<ir::SiblingFusion>& fusions) {
  std::string s;
  size_t fewer = 0;
  for (const ir::SiblingFusion& f : fusions) {
    fewer += f.members.size() - 1;
    s += (s.empty() ? "" : ", ") + members_text(f);
  }
  return "sibling convs fused (" + std::to_string(fewer) + " launches fewer; LIGHTNET_CUDA_FUSE_SIBLINGS=0 keeps them "
         "apart): " + s;
}

// Input channels as stored: FP16 tensor-core convolutions want a multiple of 8, so a 3-channel input is
// padded with zeros (and the first conv's filter with zero weights) when only group-1 convs read it.
int stored_input_channels(const Network& net, DType dt) {
  if (dt != DType::F16) return net.input.c;
  for (const Layer& l : net.layers)
    for (int j : l.inputs)
      if (j < 0 && (l.type != LayerType::Convolutional || l.as<ConvParams>().groups != 1)) return net.input.c;
  return (net.input.c + 7) / 8 * 8;
}

// LIGHTNET_CUDA_STREAMS: how many streams (lanes) the network's independent branches may run on at once.
constexpr int kMaxLanes = 8;
int lanes_from_env() { return env_count("LIGHTNET_CUDA_STREAMS", 4, 1, kMaxLanes); }

// cuDNN launches on its handle's stream (cudnnBackendExecute and the legacy calls take none): a step on another
// lane points the handle there for its call, and back at the engine's stream after (tuning relies on that).
class HandleOnStream {
 public:
  HandleOnStream(cudnnHandle_t h, cudaStream_t s, cudaStream_t home) : h_(h), home_(home), moved_(s != home) {
    if (moved_) LN_CUDNN(cudnnSetStream(h_, s));
  }
  ~HandleOnStream() {
    if (moved_) cudnnSetStream(h_, home_);
  }
  HandleOnStream(const HandleOnStream&) = delete;
  HandleOnStream& operator=(const HandleOnStream&) = delete;

 private:
  cudnnHandle_t h_;
  cudaStream_t home_;
  bool moved_;
};

void check_supported(const Network& net, const BuildOptions& o, int devices) {
  if (o.gpu_id < 0 || o.gpu_id >= devices)
    throw std::invalid_argument("gpu_id: expected 0.." + std::to_string(devices - 1) + ", found " +
                                std::to_string(o.gpu_id));
  if (o.dla_core >= 0) throw std::invalid_argument("dla_core: DLA needs the tensorrt backend, not cuda");
  if (!net.has_weights) throw std::invalid_argument(net.cfg_path + ": no weights loaded");
  for (const Layer& l : net.layers) {
    auto where = net.cfg_path + ":" + std::to_string(l.cfg_line) + ": [" + to_string(l.type) + "] ";
    if (o.multi_precision && o.precision == Precision::FP32 && l.type == LayerType::Convolutional &&
        l.as<ConvParams>().precision && *l.as<ConvParams>().precision != Precision::FP32)
      throw std::invalid_argument(where + "precision=" + to_string(*l.as<ConvParams>().precision) +
                                  ": an fp32 cuda engine runs every layer in fp32 (build it fp16 or int8 for "
                                  "mixed precision)");
    if (l.type == LayerType::Shortcut) {
      if (l.inputs.size() != 2) throw std::invalid_argument(where + "from=: expected one layer, found " +
                                                            std::to_string(l.inputs.size() - 1));
      if (!(l.input_shapes[0] == l.input_shapes[1]))
        throw std::invalid_argument(where + "from=: shapes differ (the cuda backend adds equal shapes only)");
    }
    for (int j : l.inputs)
      if (j >= 0 && (net.layers[j].type == LayerType::Yolo || net.layers[j].type == LayerType::Softmax))
        throw std::invalid_argument(where + "reads the output of head layer " + std::to_string(j) +
                                    " (not supported)");
    if (l.type == LayerType::Yolo) {
      const auto& y = l.as<YoloParams>();
      if (int(y.mask.size()) > kMaxAnchorsPerHead)
        throw std::invalid_argument(where + "mask: expected at most " + std::to_string(kMaxAnchorsPerHead) +
                                    " anchors, found " + std::to_string(y.mask.size()));
      for (int m : y.mask)
        if (m < 0 || 2 * m + 1 >= int(y.anchors.size()))
          throw std::invalid_argument(where + "mask: anchor " + std::to_string(m) + " is not in anchors=");
    }
    if (l.type == LayerType::Softmax && l.input_shapes.at(0).c > 256)
      throw std::invalid_argument(where + "classes: expected at most 256 for a uint8 mask, found " +
                                  std::to_string(l.input_shapes[0].c));
  }
}

class CudaEngine final : public Engine {
 public:
  CudaEngine(const Network& net, const BuildOptions& options, const ProgressCallback& progress)
      : net_(net), options_(options), dt_(options.precision == Precision::FP32 ? DType::F32 : DType::F16) {
    const auto created = std::chrono::steady_clock::now();
    check_supported(net_, options_, cuda_device_count());
    // INT8 layers (engine precision, or the cfg's precision= keys with --mp): calibrate (or read the table)
    // on the CPU, then FP16 storages with int8 ones where every writer and reader handles int8.
    // This also prunes sparse=1 layers to the 2:4 pattern (with a warning) unless sparsity is off, as the CPU
    // backend does for reduced precision, so that the sparse kernels below may run them.
    if (dt_ == DType::F16) {
      quant_ = prepare_quantization(net_, options_, [&](const std::string& message) {
        if (progress) progress(0.0, message);
        if (message.rfind("warning:", 0) == 0) log_line(message);
      });
      int8_engine_ = quant_.any_int8();
    }
    // The rewrites (apply_rewrites) wait in INT8 engines until build() knows that no layer runs int8.
    if (!int8_engine_) apply_rewrites();
    if (dt_ == DType::F16 && options_.sparsity) {
      std::string why;
      sparse_ = make_sparse_context(why);
      if (!sparse_) log_line("sparse=1 layers run dense: " + why);
    }
    if (const char* env = std::getenv("LIGHTNET_CUDA_CONV")) {
      const std::string v = env;
      if (v == "own") conv_kernels_ = ConvKernels::Own;
      else if (v == "cudnn") conv_kernels_ = ConvKernels::Cudnn;
      else if (v != "auto") throw std::invalid_argument("LIGHTNET_CUDA_CONV: expected auto, own or cudnn, found " + v);
    }
    stem_mode_ = fuse_mode_from_env("LIGHTNET_CUDA_STEM");
    pair_mode_ = fuse_mode_from_env("LIGHTNET_CUDA_PAIRS");
    // Profiling times each layer between event nodes of one stream: one lane then.
    lanes_ = options_.profile ? 1 : lanes_from_env();
    LN_CUDA(cudaSetDevice(options_.gpu_id));
    LN_CUDA(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
    lane_streams_.assign(lanes_ - 1, nullptr);
    for (cudaStream_t& s : lane_streams_) LN_CUDA(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
    LN_CUDNN(cudnnCreate(&cudnn_));
    LN_CUDNN(cudnnSetStream(cudnn_, stream_));
    build_times_.setup = std::chrono::duration<double>(std::chrono::steady_clock::now() - created).count();
    build(progress);
    allocate_postprocess();
    program(options_.batch);  // capture the full-batch graph now, not on the first frame
  }

  ~CudaEngine() override {
    cudaSetDevice(options_.gpu_id);
    if (stream_) cudaStreamSynchronize(stream_);
    try {
      drop_programs();
    } catch (const std::exception&) {  // a destructor must not throw; the GPU is going away anyway
    }
    for (cudaEvent_t e : events_) cudaEventDestroy(e);
    convs_.clear();
    if (cudnn_) cudnnDestroy(cudnn_);
    for (cudaStream_t s : lane_streams_)
      if (s) cudaStreamDestroy(s);
    if (stream_) cudaStreamDestroy(stream_);
  }

  std::string backend() const override { return "cuda"; }
  Precision precision() const override { return options_.precision; }
  int max_batch() const override { return options_.batch; }
  // The network as loaded (net_ may be rewritten).
  const Network& network() const override { return rewritten() ? loaded_ : net_; }

  std::vector<Tensor> forward(const float* input, int batch) override;
  std::vector<FrameResult> detect(const std::vector<ImageView>& images, const DetectOptions& options) override;
  std::vector<LayerTiming> take_profile() override;
  uint8_t* pinned_input(int slot, size_t bytes) override;

 private:
  struct Step {
    int layer;
    std::function<void(cudaStream_t)> run;
  };
  struct Program {
    std::vector<std::unique_ptr<TensorDesc>> descs;
    std::vector<Step> steps;
    LaneSchedule schedule;            // per step: its lane, the events it waits for, whether it records one
    std::vector<cudaEvent_t> events;  // per step: recorded after it (null where nothing waits for it)
    cudaEvent_t fork = nullptr;       // recorded on the engine's stream first; the other lanes start after it
    cudaGraphExec_t graph = nullptr;
  };

  void build(const ProgressCallback& progress);
  bool build_convs(const PlanContents* cached, bool concat_in_place, const ProgressCallback& progress);
  struct ConvLayer;
  bool choose_conv(const Layer& l, const View& in, const View& out, size_t limit, bool concat_in_place,
                   ConvLayer& cl, float* best_ms = nullptr);
  float time_as_graph(const std::function<void()>& run);
  float time_network();
  void drop_programs();
  PlanContents plan_contents() const;
  std::vector<int> own_concat_producers() const;
  void choose_concat_producers(bool force, const ProgressCallback& progress);
  std::vector<bool> int8_layers_that_pay(const std::vector<bool>& int8_capable, size_t limit);
  void allocate_postprocess();
  View view(const Placement& p, int batch) const;
  View view_of(int layer, int batch) const { return view(layer < 0 ? plan_.input : plan_.layers[layer], batch); }
  Program& program(int batch);
  void add_steps(Program& p, int batch);
  void issue(Program& p, bool timed, bool capturing);
  void run_network(int batch);
  void upload_image(const ImageView& im, int slot);
  std::string rewrite_note(int layer) const;
  void apply_rewrites();
  void undo_rewrites();

  Network net_;     // as it runs: sibling convolutions fused, 1x1 convs before upsamples
  Network loaded_;  // as loaded, where the rewrites changed net_
  std::vector<ir::SiblingFusion> fusions_;
  std::vector<ir::UpsampleSwap> swaps_;
  bool rewritten() const { return !fusions_.empty() || !swaps_.empty(); }
  bool rewrites_applied_ = false;
  BuildOptions options_;
  DType dt_;
  // LIGHTNET_CUDA_CONV=own|cudnn restricts the per-layer choice (to compare); auto times both.
  enum class ConvKernels { Auto, Own, Cudnn } conv_kernels_ = ConvKernels::Auto;
  // Two convs on one kernel where it applies: the first two (stem_conv.h; LIGHTNET_CUDA_STEM) and chained 3×3
  // pairs (conv_pair.h; LIGHTNET_CUDA_PAIRS). auto times the kernel against the pair's own picks, on takes it,
  // off keeps the pairs apart (to compare).
  enum class FuseMode { Auto, On, Off };
  static FuseMode fuse_mode_from_env(const char* var);
  FuseMode stem_mode_ = FuseMode::Auto, pair_mode_ = FuseMode::Auto;
  std::pair<int, int> stem_pair_{-1, -1};       // the pair the stem kernel may run in this build (find_stem_pair)
  std::vector<std::pair<int, int>> conv_pairs_;  // the pairs a conv pair kernel may run (find_conv_pairs)
  std::map<int, int> pair_first_;                // second → first, of both kinds
  int pair_first_reader(int first) const;        // the pair's second, or -1
  void choose_stem(float apart_ms);
  void choose_pair(int first, int second, float apart_ms);
  void fuse(int first, int second, ConvLayer fused);
  int pairs_taken_ = 0;
  float pairs_ms_ = 0, pairs_apart_ms_ = 0;  // summed over the conv pairs (choose_pair)
  bool verbose_tuning_ = std::getenv("LIGHTNET_CUDA_VERBOSE") != nullptr;  // per-layer tuning times on stderr
  // Where a build's (or a plan load's) time goes: host seconds per kind of work, summed over it (one log line at
  // its end). A fresh machine's first build pays loading cuDNN's kernels and compiling its runtime-fused ones.
  struct BuildTimes {
    double setup = 0;  // the constructor before build(): checks, calibration / 2:4 pruning, streams, handles
    double own = 0, graph = 0, legacy = 0, sparse = 0, fused = 0, network = 0;
    int compiled = 0;  // timed cuDNN configs that compiled a kernel
  } build_times_;
  std::string build_times_line(double total_s) const;
  cudaStream_t stream_ = nullptr;
  // Lanes: independent branches of the network run concurrently on lane_streams_ (lane k ≥ 1 is
  // lane_streams_[k - 1]; lane 0 is stream_), ordered by events (stream_schedule.h); captured into one graph.
  int lanes_ = 1;
  std::vector<cudaStream_t> lane_streams_;
  cudaStream_t lane_stream(int lane) const { return lane == 0 ? stream_ : lane_streams_.at(lane - 1); }
  cudnnHandle_t cudnn_ = nullptr;
  int input_channels_ = 0;
  MemoryPlan plan_;
  QuantPlan quant_;
  bool int8_engine_ = false;
  Int8Storages int8_;  // per storage: int8 or not, and its scale (INT8 engines)
  std::vector<int> int8_layers_;  // the convs that run int8 (saved in the plan)
  DType storage_dtype(int storage) const {
    return int8_engine_ && int8_.storages[storage].int8 ? DType::I8 : dt_;
  }
  IgemmPrecision conv_precision(const Layer& l) const;
  std::shared_ptr<SparseContext> sparse_;  // cuSPARSELt, where built and sparsity is on
  double sparse_dense_ms_ = 0, sparse_sparse_ms_ = 0;  // summed over the layers that could run sparse
  int sparse_layers_ = 0, sparse_candidates_ = 0;
  DeviceBuffer arena_, workspace_;
  DeviceBuffer own_partials_, own_arrivals_;  // split-K scratch of the own kernels (see IgemmWorkspace)
  IgemmWorkspace own_workspace(size_t partials_bytes);
  // Scratch of lanes ≥ 1 (lane 0 uses workspace_ and own_*): concurrent steps must not share it. Allocated once,
  // when the first program is made, sized like lane 0's; never freed while the engine lives (graphs hold it).
  struct LaneScratch {
    DeviceBuffer workspace, partials, arrivals;
  };
  std::vector<LaneScratch> lane_scratch_;
  std::vector<DeviceBuffer> retired_scratch_;  // outgrown lane scratch that captured graphs may still point at
  void allocate_lane_scratch();
  void* lane_workspace(int lane) { return lane == 0 ? workspace_.get() : lane_scratch_.at(lane - 1).workspace.get(); }
  IgemmWorkspace lane_own_workspace(int lane, size_t partials_bytes);
  // Each conv runs on the fastest of the own implicit-GEMM kernels, a fused cuDNN graph and the legacy call.
  struct ConvLayer {
    std::unique_ptr<SparseConv> sparse;
    std::unique_ptr<IgemmConv> own;
    std::unique_ptr<GraphConv> graph;
    std::unique_ptr<CudnnConv> legacy;
    std::unique_ptr<StemConv> stem;  // on the stem pair's second conv (ConvChoice::pair 2)
    std::unique_ptr<ConvPair> pair;  // on a conv pair's second conv (ConvChoice::pair 3)
    ConvChoice choice;
  };
  std::map<int, ConvLayer> convs_;
  std::map<int, std::unique_ptr<Program>> programs_;

  // forward() staging
  DeviceBuffer input_f32_, heads_f32_;
  // detect() buffers
  std::vector<DeviceBuffer> image_bytes_;
  std::vector<PinnedBuffer> pinned_inputs_;  // handed to callers by pinned_input(): uploaded without staging
  std::unique_ptr<HostUploader> uploader_;   // stages every other host image through pinned memory
  bool upload_pageable_ = false;             // LIGHTNET_CUDA_UPLOAD=pageable: the driver's path (to compare)
  DeviceBuffer sizes_, candidates_, counts_, kept_, kept_counts_, nms_workspace_, masks_;
  PinnedBuffer sizes_host_, counts_host_, kept_host_, kept_counts_host_, masks_host_;
  std::vector<YoloDecodeParams> yolo_params_;
  bool warned_overflow_ = false;
  bool tuned_from_cache_ = false, plan_concat_in_place_ = true;
  // Producers that write into their concat's slice although the engine concatenates by copies (FP16).
  std::vector<int> in_place_producers_;

  // profiling
  std::vector<cudaEvent_t> events_;
  std::map<int, double> profile_ms_;
  int profile_runs_ = 0;
};

// Grows the split-K partials to at least `partials_bytes`; the arrival counters are zeroed once.
IgemmWorkspace CudaEngine::own_workspace(size_t partials_bytes) {
  if (!own_arrivals_.get()) {
    own_arrivals_ = DeviceBuffer(sizeof(int) * kIgemmMaxArrivals);
    LN_CUDA(cudaMemsetAsync(own_arrivals_.get(), 0, own_arrivals_.bytes(), stream_));
  }
  if (partials_bytes > own_partials_.bytes()) {
    LN_CUDA(cudaStreamSynchronize(stream_));  // the old buffer may still be read
    own_partials_.resize(partials_bytes);
  }
  return {own_partials_.get(), own_partials_.bytes(), own_arrivals_.get<int>()};
}

void CudaEngine::allocate_lane_scratch() {
  if (!lane_scratch_.empty() || lanes_ < 2) return;
  size_t partials = 16;  // what the chosen own kernels need at the full batch
  for (const auto& [i, c] : convs_)
    if (c.own) partials = std::max(partials, c.own->partials_bytes(c.choice.own, view_of(i, options_.batch)));
  lane_scratch_.resize(lanes_ - 1);
  for (LaneScratch& s : lane_scratch_) {
    s.workspace = DeviceBuffer(workspace_.bytes());
    s.partials = DeviceBuffer(partials);
    s.arrivals = DeviceBuffer(sizeof(int) * kIgemmMaxArrivals);
    LN_CUDA(cudaMemsetAsync(s.arrivals.get(), 0, s.arrivals.bytes(), stream_));  // the kernels leave them zero
  }
}

IgemmWorkspace CudaEngine::lane_own_workspace(int lane, size_t partials_bytes) {
  if (lane == 0) return own_workspace(partials_bytes);
  LaneScratch& s = lane_scratch_.at(lane - 1);
  if (partials_bytes > s.partials.bytes()) {  // (not expected: a smaller batch needs fewer) a new, larger one;
    retired_scratch_.push_back(std::move(s.partials));  // graphs made before still use the old one
    s.partials = DeviceBuffer(partials_bytes);
  }
  return {s.partials.get(), s.partials.bytes(), s.arrivals.get<int>()};
}

// What the own kernels read and write for conv `l`: int8 where its storages are (INT8 engines), else FP16.
IgemmPrecision CudaEngine::conv_precision(const Layer& l) const {
  IgemmPrecision q;
  if (!int8_engine_) return q;
  const int in = l.inputs.at(0) < 0 ? plan_.input.storage : plan_.layers[l.inputs[0]].storage;
  const int out = plan_.layers[l.index].storage;
  if (storage_dtype(in) == DType::I8) {
    q.input = IgemmType::S8;
    q.input_scale = int8_.storages[in].scale;
    q.weight_scales = quant_.layers[l.index].weight_scales;
  }
  if (storage_dtype(out) == DType::I8) {
    q.output = IgemmType::S8;
    q.output_scale = int8_.storages[out].scale;
  }
  return q;
}

View CudaEngine::view(const Placement& p, int batch) const {
  const Storage& s = plan_.storages[p.storage];
  View v;
  v.data = arena_.get<char>() + s.offset + size_t(p.channel_offset) * dtype_size(storage_dtype(p.storage));
  v.n = batch;
  v.h = p.h; v.w = p.w; v.c = p.c;
  v.pixel_stride = p.pixel_stride;
  v.batch_stride = int64_t(s.h) * s.w * s.c;
  return v;
}

void CudaEngine::build(const ProgressCallback& progress) {
  const auto start = std::chrono::steady_clock::now();
  input_channels_ = stored_input_channels(net_, dt_);
  std::string path, why;
  PlanKey key;
  std::optional<PlanContents> cached;
  if (!options_.cache_dir.empty()) {
    key = make_plan_key(net_, options_.precision, options_.batch, options_.gpu_id);
    path = plan_path(options_.cache_dir, net_, options_.precision, options_.batch, options_.sparsity);
    cached = load_plan(path, key, why);
    if (!cached) log_line(why + ": building");
  }
  // How concatenation happens is measured, not assumed (BENCHMARKS.md, H100): in FP16, cuDNN's kernels writing
  // channel slices (pixel stride > channels) lost more than one copy kernel per concat costs (0.93 vs 0.70 ms,
  // 1.38 vs 0.98 ms), and with the own kernels in the choice too it was still 1.05 vs 0.73 ms; so FP16 copies.
  // In FP32 producers writing in place was slightly faster (4.20 vs 4.26 ms, 5.84 vs 5.97 ms).
  // Producers on the own kernels may still write in place (choose_concat_producers). LIGHTNET_CUDA_CONCAT=copy
  // (copies only) | inplace (every producer) | mixed (the own-kernel producers, untimed) overrides.
  const char* concat_env = std::getenv("LIGHTNET_CUDA_CONCAT");
  bool concat_in_place = dt_ == DType::F32;
  if (concat_env) {
    const std::string v = concat_env;
    if (v != "copy" && v != "inplace" && v != "mixed")
      throw std::invalid_argument("LIGHTNET_CUDA_CONCAT: expected copy, inplace or mixed, found \"" + v + "\"");
    concat_in_place = v == "inplace";
  }
  if (cached) concat_in_place = cached->concat_in_place, in_place_producers_ = cached->in_place_producers;
  // A plan that found no layer faster in int8 is an FP16 engine in layout (below) and rewrites too (its choices
  // are the rewritten network's).
  if (cached && int8_engine_ && cached->int8_layers.empty()) int8_engine_ = false, apply_rewrites();
  // INT8 engines concatenate in place: a copying concat is FP16 only, so every tensor it touches would be too.
  const bool fp16_concat_in_place = concat_in_place;
  if (int8_engine_) concat_in_place = true;
  bool ok = build_convs(cached ? &*cached : nullptr, concat_in_place, progress);
  if (ok && !cached && int8_engine_ && int8_layers_.empty()) {
    log_line("no INT8-planned layer ran faster in int8 here: FP16 activations and FP16's concat layout");
    int8_engine_ = false;
    concat_in_place = fp16_concat_in_place;
    apply_rewrites();
    ok = build_convs(nullptr, concat_in_place, progress);
  }
  const char* int8_env = std::getenv("LIGHTNET_CUDA_INT8");
  if (ok && !cached && int8_engine_ && !(int8_env && std::string(int8_env) == "all")) {
    // A layer that wins in int8 alone can still lose the engine: int8 tensors need in-place concatenation,
    // which costs FP16's layout more than those layers save (det + seg on an H200: 1.08 against 0.81 ms, 6
    // int8 layers). So the whole network is timed both ways, as it runs, and the faster engine is kept.
    const PlanContents mixed = plan_contents();
    const float mixed_ms = time_network();
    int8_engine_ = false;
    const std::vector<int> mixed_layers = std::exchange(int8_layers_, {});
    apply_rewrites();  // the FP16 engine as FP16 engines run
    ok = build_convs(nullptr, fp16_concat_in_place, progress);
    const float fp16_ms = ok ? time_network() : 1e30f;
    log_line("int8 engine: " + std::to_string(mixed_layers.size()) + " int8 layers, in-place concat: " +
             std::to_string(mixed_ms) + " ms; FP16 activations and layout: " + std::to_string(fp16_ms) +
             " ms: keeping " + (mixed_ms < fp16_ms ? "the int8 layers" : "FP16"));
    if (mixed_ms < fp16_ms) {
      int8_engine_ = true;
      concat_in_place = true;
      undo_rewrites();  // the int8 layers' ranges and choices are the loaded network's
      ok = build_convs(&mixed, concat_in_place, progress);
      tuned_from_cache_ = false;  // (the plan is still saved below)
    } else {
      concat_in_place = fp16_concat_in_place;
    }
  }
  const bool mixed_env = concat_env && std::string(concat_env) == "mixed";
  if (ok && !cached && !int8_engine_ && !concat_in_place && (!concat_env || mixed_env))
    choose_concat_producers(mixed_env, progress);
  if (!ok && cached) {
    log_line(path + ": a cached choice no longer runs here: tuning again");
    in_place_producers_.clear();
    ok = build_convs(nullptr, concat_in_place, progress);
  }
  if (!ok && concat_in_place) {
    log_line("cuDNN refused convolutions on channel slices: concatenating by copies instead");
    ok = build_convs(nullptr, false, progress);
  }
  if (!ok) throw std::runtime_error(net_.cfg_path + ": no cuDNN algorithm runs every convolution");
  if (sparse_candidates_ > 0)
    log_line("2:4 sparse kernels: " + std::to_string(sparse_layers_) + " of " + std::to_string(sparse_candidates_) +
             " sparse=1 layers run sparse (timed faster); those layers take " +
             std::to_string(sparse_sparse_ms_ * 1000) + " us sparse against " + std::to_string(sparse_dense_ms_ * 1000) +
             " us dense, each alone");
  if (!path.empty() && (!cached || !tuned_from_cache_)) {
    if (save_plan(path, key, plan_contents(), why)) log_line("saved plan " + path);
    else log_line(why);
  }
  log_line(build_times_line(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()));
}

std::string CudaEngine::build_times_line(double total_s) const {
  const BuildTimes& t = build_times_;
  auto s = [](double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f s", v);
    return std::string(buf);
  };
  const double rest = total_s - (t.own + t.graph + t.legacy + t.sparse + t.fused + t.network);
  // A plan from the cache still makes every conv's kernel (weights, cuDNN plans, cuSPARSELt compression).
  const std::string compiled = tuned_from_cache_ ? "" : " (" + std::to_string(t.compiled) +
      " timed that compiled a kernel; LIGHTNET_CUDNN_COMPILED caps them per layer)";
  return std::string(tuned_from_cache_ ? "plan load time " : "build time ") + s(t.setup + total_s) + ": set-up " +
         s(t.setup) + ", own kernels " + s(t.own) + ", cuDNN graph configs " + s(t.graph) + compiled +
         ", cuDNN legacy " + s(t.legacy) + ", 2:4 sparse " + s(t.sparse) + ", stem and pair kernels " + s(t.fused) +
         ", whole-network timings " + s(t.network) + ", the rest " + s(rest);
}

PlanContents CudaEngine::plan_contents() const {
  PlanContents out;
  out.concat_in_place = plan_concat_in_place_;
  out.in_place_producers = in_place_producers_;
  out.int8_layers = int8_layers_;
  for (const auto& [i, c] : convs_) out.convs[i] = c.choice;
  return out;
}

// The network as it runs (its CUDA graph at the full batch, replayed back to back) on a non-zero input pattern
// (zeros can time faster): ms per replay, best of 3 rounds of 10. The graph is dropped afterwards, since the
// caller may rebuild the convolutions.
float CudaEngine::time_network() {
  Stopwatch clock(build_times_.network);
  const View in = view_of(-1, options_.batch);
  LN_CUDA(cudaMemsetAsync(in.data, 0x3c, size_t(in.n) * in.batch_stride * dtype_size(dt_), stream_));
  cudaEvent_t a, b;
  LN_CUDA(cudaEventCreate(&a));
  LN_CUDA(cudaEventCreate(&b));
  struct Events { cudaEvent_t a, b; ~Events() { cudaEventDestroy(a); cudaEventDestroy(b); } } guard{a, b};
  run_network(options_.batch);  // capture, warm-up
  constexpr int kRuns = 10;
  float best = 1e30f;
  for (int round = 0; round < 3; ++round) {
    LN_CUDA(cudaEventRecord(a, stream_));
    for (int i = 0; i < kRuns; ++i) run_network(options_.batch);
    LN_CUDA(cudaEventRecord(b, stream_));
    LN_CUDA(cudaEventSynchronize(b));
    float ms = 0;
    LN_CUDA(cudaEventElapsedTime(&ms, a, b));
    best = std::min(best, ms / kRuns);
  }
  drop_programs();
  profile_ms_.clear();
  profile_runs_ = 0;
  return best;
}

// The concat producers that may write in place in an engine that concatenates by copies: convs on the own
// kernels, which write a channel slice at no cost (cuDNN's kernels lost there, build()), whose other readers
// are own-kernel convs too (they then read a slice) or concats (they copy from one), that feed no head, and
// whose slice starts and strides at 16-byte multiples (the own kernels' loads).
std::vector<int> CudaEngine::own_concat_producers() const {
  const int n = int(net_.layers.size());
  auto own = [&](int i) {  // (a pair's first reads through its pair's kernel)
    auto it = convs_.find(i);
    return it != convs_.end() && (it->second.own || it->second.pair || it->second.stem || it->second.choice.pair == 1);
  };
  auto group_slice = [](const Layer& l) {  // a channel-slice view (a fused sibling's output): its readers count
    return l.type == LayerType::Route && l.inputs.size() == 1 && l.as<RouteParams>().groups > 1;
  };
  std::vector<int> concat_of(n, -1);
  std::vector<bool> readers_fine(n, true), aligned(n, false);
  for (const Layer& l : net_.layers) {
    const bool concat = l.type == LayerType::Route && l.inputs.size() > 1;
    int total = 0;
    for (int j : l.inputs) total += j >= 0 ? net_.layers[j].output.c : input_channels_;
    int offset = 0;
    for (size_t q = 0; q < l.inputs.size(); ++q) {
      int j = l.inputs[q];
      if (concat) {  // a fused sibling conv's slices read side by side count as the conv (plan_memory)
        if (const int p = producer_of_slices(net_, l.inputs, q); p >= 0) {
          q += net_.layers[j].as<RouteParams>().groups - 1;
          j = p;
        }
      }
      if (j >= 0 && concat && concat_of[j] < 0) {  // plan_memory: the first concat reading j takes it
        concat_of[j] = l.index;
        aligned[j] = offset % 8 == 0 && total % 8 == 0;
      } else if (j >= 0 && !concat && !group_slice(l) && !(l.type == LayerType::Convolutional && own(l.index))) {
        readers_fine[group_slice(net_.layers[j]) ? net_.layers[j].inputs[0] : j] = false;  // a slice's reader reads it
      }
      offset += j >= 0 ? net_.layers[j].output.c : input_channels_;
    }
  }
  for (const Head& h : net_.heads) readers_fine[h.source] = false;
  std::vector<int> out;
  for (int j = 0; j < n; ++j)
    if (concat_of[j] >= 0 && own(j) && readers_fine[j] && aligned[j]) out.push_back(j);
  return out;
}

// FP16 engines concatenate by copies, yet the producers on the own kernels can write in place for free and save
// their share of the copy. The network is timed as it runs both ways, with the same kernels, and the faster
// layout is kept (`force`, LIGHTNET_CUDA_CONCAT=mixed: the in-place producers whatever the timing says).
void CudaEngine::choose_concat_producers(bool force, const ProgressCallback& progress) {
  const std::vector<int> producers = own_concat_producers();
  if (producers.empty()) return;
  const PlanContents copying = plan_contents();
  const int sparse_layers = sparse_layers_, sparse_candidates = sparse_candidates_;  // (a rebuild resets them)
  const float sparse_dense_ms = sparse_dense_ms_, sparse_sparse_ms = sparse_sparse_ms_;
  const float copy_ms = time_network();
  in_place_producers_ = producers;
  const bool built = build_convs(&copying, false, progress);  // false: a kernel refused a slice; copies stay
  const float in_place_ms = built ? time_network() : 1e30f;
  log_line("concat: copies only: " + std::to_string(copy_ms) + " ms; " + std::to_string(producers.size()) +
           " own-kernel producers writing in place: " + std::to_string(in_place_ms) + " ms: keeping " +
           (built && (in_place_ms < copy_ms || force) ? "them in place" : "the copies"));
  if (!built || (!(in_place_ms < copy_ms) && !force)) {
    in_place_producers_.clear();
    if (!build_convs(&copying, false, progress)) throw std::logic_error("rebuilding the copy layout failed");
  }
  tuned_from_cache_ = false;  // a tuned plan: saved
  sparse_layers_ = sparse_layers, sparse_candidates_ = sparse_candidates;
  sparse_dense_ms_ = sparse_dense_ms, sparse_sparse_ms_ = sparse_sparse_ms;
}

void CudaEngine::drop_programs() {
  LN_CUDA(cudaStreamSynchronize(stream_));
  for (auto& [n, p] : programs_) {
    if (p->graph) cudaGraphExecDestroy(p->graph);
    for (cudaEvent_t e : p->events)
      if (e) cudaEventDestroy(e);
    if (p->fork) cudaEventDestroy(p->fork);
  }
  programs_.clear();
  lane_scratch_.clear();  // sized for the convolutions chosen; allocated again with the next program
}

bool CudaEngine::build_convs(const PlanContents* cached, bool concat_in_place, const ProgressCallback& progress) {
  MemoryPlanOptions mo;
  mo.max_batch = options_.batch;
  mo.element_size = dtype_size(dt_);
  mo.input_channels = input_channels_;
  mo.concat_in_place = concat_in_place;
  mo.in_place_producers.assign(net_.layers.size(), false);
  for (int i : in_place_producers_)
    if (i >= 0 && i < int(net_.layers.size())) mo.in_place_producers[i] = true;
  mo.concurrent_branches = lanes_ > 1;  // branches on different lanes must not share arena bytes
  const char* fuse_env = std::getenv("LIGHTNET_CUDA_FUSE_UPSAMPLE");  // =0: separate kernels (to compare)
  mo.fuse_upsample = !(fuse_env && std::string(fuse_env) == "0");
  // The stem kernel reads the network input where the pair's second conv runs: planned so whether it is taken
  // or not (the input then merely lives one layer longer).
  stem_pair_ = {-1, -1};
  conv_pairs_.clear();
  pair_first_.clear();
  if (!int8_engine_ && stem_mode_ != FuseMode::Off && conv_kernels_ != ConvKernels::Cudnn) {
    const std::pair<int, int> pair = find_stem_pair(net_);
    if (pair.first >= 0 &&
        StemConv::supports(net_.layers[pair.first], net_.layers[pair.second], input_channels_, dt_)) {
      stem_pair_ = pair;
      mo.fused_pairs.push_back(pair);
      pair_first_[pair.second] = pair.first;
    }
  }
  if (!int8_engine_ && pair_mode_ != FuseMode::Off && conv_kernels_ != ConvKernels::Cudnn) {
    conv_pairs_ = find_conv_pairs(net_, [&](const Layer& a, const Layer& b) {
      return a.index != stem_pair_.second && ConvPair::supports(a, b, dt_);
    });
    for (const auto& pair : conv_pairs_) {
      mo.fused_pairs.push_back(pair);
      pair_first_[pair.second] = pair.first;
    }
  }
  plan_ = plan_memory(net_, mo);
  plan_concat_in_place_ = concat_in_place;
  if (int8_engine_) {
    std::vector<bool> int8_capable(net_.layers.size(), false), own_kernels(net_.layers.size(), false);
    for (const Layer& l : net_.layers) {
      if (l.type != LayerType::Convolutional) continue;
      const int in_c = l.inputs.at(0) < 0 ? input_channels_ : l.input_shapes.at(0).c;
      own_kernels[l.index] = IgemmConv::supports(l, in_c, DType::F16);
      IgemmPrecision s8;
      s8.input = IgemmType::S8;
      int8_capable[l.index] = quant_.layers[l.index].precision == Precision::INT8 && IgemmConv::supports(l, in_c, s8);
    }
    int planned = 0, unsupported = 0;
    for (const Layer& l : net_.layers)
      if (l.type == LayerType::Convolutional && quant_.layers[l.index].precision == Precision::INT8) {
        ++planned;
        unsupported += !int8_capable[l.index];
      }
    if (unsupported)
      log_line(std::to_string(unsupported) + " of " + std::to_string(planned) +
               " INT8-planned convs run fp16: the own int8 kernels need one group and input channels a multiple "
               "of 16");
    // As TensorRT picks a precision per layer, a layer runs INT8 only where its int8 kernel beats its FP16
    // one (timed alone at its shape); LIGHTNET_CUDA_INT8=all keeps every layer the plan makes INT8.
    const char* int8_env = std::getenv("LIGHTNET_CUDA_INT8");
    int8_.storages.assign(plan_.storages.size(), StorageQuant{});  // FP16 everywhere while timing
    if (cached) {
      std::vector<bool> from_plan(int8_capable.size(), false);
      for (int i : cached->int8_layers)
        if (i < int(from_plan.size())) from_plan[i] = int8_capable[i];
      int8_capable = from_plan;
    } else if (!(int8_env && std::string(int8_env) == "all")) {
      size_t free_bytes = 0, total_bytes = 0;
      LN_CUDA(cudaMemGetInfo(&free_bytes, &total_bytes));
      workspace_ = DeviceBuffer(std::min<size_t>(size_t(512) << 20, free_bytes / 4));
      int8_capable = int8_layers_that_pay(int8_capable, workspace_.bytes());
    }
    int8_layers_.clear();
    for (size_t i = 0; i < int8_capable.size(); ++i)
      if (int8_capable[i]) int8_layers_.push_back(int(i));
    int8_ = plan_int8_storages(net_, plan_, quant_, int8_capable, own_kernels);
    int count = 0;
    for (const StorageQuant& q : int8_.storages) count += q.int8;
    log_line("int8 engine: " + std::to_string(count) + " of " + std::to_string(int8_.storages.size()) +
             " activation tensors in int8");
    for (const std::string& note : int8_.notes) log_line(note);
  }
  tuned_from_cache_ = cached != nullptr;
  arena_ = DeviceBuffer(plan_.arena_bytes);
  LN_CUDA(cudaMemsetAsync(arena_.get(), 0, plan_.arena_bytes, stream_));
  convs_.clear();

  size_t free_bytes = 0, total_bytes = 0;
  LN_CUDA(cudaMemGetInfo(&free_bytes, &total_bytes));
  size_t limit = std::min<size_t>(size_t(512) << 20, free_bytes / 4);
  if (cached) {
    limit = 0;
    for (const auto& [i, c] : cached->convs) limit = std::max(limit, c.workspace);
  }
  workspace_ = DeviceBuffer(std::max<size_t>(limit, 256));

  sparse_layers_ = sparse_candidates_ = 0;  // (the INT8 timing above tunes on scratch tensors too)
  sparse_dense_ms_ = sparse_sparse_ms_ = 0;
  int total = 0, done = 0;
  std::map<int, float> picked_ms;  // per conv timed here: its pick's time (the fused pairs' "apart")
  for (const Layer& l : net_.layers) total += l.type == LayerType::Convolutional;
  for (const Layer& l : net_.layers) {
    if (l.type != LayerType::Convolutional) continue;
    const View in = view_of(l.inputs.at(0), options_.batch), out = view_of(l.index, options_.batch);
    ConvLayer cl;
    const ConvChoice* want = nullptr;
    if (cached) {
      auto it = cached->convs.find(l.index);
      if (it == cached->convs.end()) return false;
      want = &it->second;
    }
    if (want && want->pair) {  // two convs on one kernel, if they still are a pair here
      Stopwatch clock(build_times_.fused);
      const auto second = pair_first_.find(l.index);
      if (want->pair == 1 ? pair_first_reader(l.index) < 0 : second == pair_first_.end()) return false;
      if (want->pair == 2) {
        if (l.index != stem_pair_.second) return false;
        cl.stem = std::make_unique<StemConv>(net_.layers[stem_pair_.first], l, input_channels_);
      } else if (want->pair == 3) {
        if (l.index == stem_pair_.second || want->own < 0 || want->own >= ConvPair::kVariants) return false;
        cl.pair = std::make_unique<ConvPair>(net_.layers[second->second], l);
        if (!cl.pair->fits(view_of(net_.layers[second->second].inputs.at(0), options_.batch), out)) return false;
      }
      cl.choice = *want;
    } else if (want) {  // a cached decision: take it if it still runs
      if (want->sparse) {
        if (!sparse_ || !SparseConv::supports(l, in.c, dt_)) return false;
        Stopwatch clock(build_times_.sparse);
        try {
          cl.sparse = std::make_unique<SparseConv>(sparse_, l);
          cl.sparse->prepare(in, out, workspace_.get(), workspace_.bytes(), stream_, want->sparse_algorithm);
        } catch (const std::runtime_error& e) {
          log_line(e.what());
          return false;
        }
        cl.choice = *want;
      } else if (want->own >= 0) {
        if (want->own >= kIgemmVariants || !IgemmConv::supports(l, in.c, dt_)) return false;
        Stopwatch clock(build_times_.own);
        cl.own = std::make_unique<IgemmConv>(l, in.c, conv_precision(l));
        own_workspace(cl.own->partials_bytes(want->own, out));
        cl.choice = *want;
      } else if (want->graph >= 0) {
        Stopwatch clock(build_times_.graph);
        cl.graph = std::make_unique<GraphConv>(l, in.c, dt_);
        if (cl.graph->prepare(cudnn_, in, out, want->graph, workspace_.get(), limit, stream_) < 0) return false;
        cl.choice = *want;
      } else {
        Stopwatch clock(build_times_.legacy);
        cl.legacy = std::make_unique<CudnnConv>(l, in.c, dt_);
        if (!cl.legacy->works(cudnn_, in, out, *want, workspace_.get(), workspace_.bytes())) return false;
        cl.choice = cl.legacy->choice();
      }
    } else {
      float ms = 0;
      if (!choose_conv(l, in, out, limit, concat_in_place, cl, &ms)) return false;
      picked_ms[l.index] = ms;
    }
    convs_[l.index] = std::move(cl);
    if (progress) progress(double(++done) / total, (cached ? "checked " : "tuned ") + layer_name(l));
  }
  pairs_taken_ = 0;
  pairs_ms_ = pairs_apart_ms_ = 0;
  if (!cached) {
    if (stem_pair_.first >= 0) choose_stem(picked_ms[stem_pair_.first] + picked_ms[stem_pair_.second]);
    for (const auto& [first, second] : conv_pairs_) choose_pair(first, second, picked_ms[first] + picked_ms[second]);
    if (!conv_pairs_.empty())
      log_line("conv pairs: " + std::to_string(pairs_taken_) + " of " + std::to_string(conv_pairs_.size()) +
               " chained 3x3 pairs on one kernel (timed faster): the pairs take " + std::to_string(pairs_ms_ * 1000) +
               " us against " + std::to_string(pairs_apart_ms_ * 1000) + " us apart, each alone "
               "(LIGHTNET_CUDA_PAIRS=off keeps them apart)");
  }
  for (const auto& [second, first] : pair_first_)
    if ((convs_.at(first).choice.pair == 1) != (convs_.at(second).choice.pair >= 2)) return false;
  size_t need = 256;
  for (const auto& [i, c] : convs_) need = std::max(need, c.choice.workspace);
  if (need != workspace_.bytes()) workspace_ = DeviceBuffer(need);
  return true;
}

// Tunes both paths (the fused cuDNN graph and the legacy call), times the winners of each on the real buffers
// and keeps the faster. False when neither runs on a channel slice (the caller then concatenates by copies).
// Timed as the network runs: kLaunches back-to-back calls captured in a CUDA graph and replayed. Timing a
// single call between two events measures mostly the host's launch cost (about 10 µs on the H100 machine for
// any small kernel, more for cuDNN's graph API), which is gone in the replay and hid which kernel is faster
// (BENCHMARKS.md). Where capture fails, the calls are timed directly. Milliseconds per call, best of 3.
float CudaEngine::time_as_graph(const std::function<void()>& run) {
  cudaEvent_t a, b;
  LN_CUDA(cudaEventCreate(&a));
  LN_CUDA(cudaEventCreate(&b));
  struct Events { cudaEvent_t a, b; ~Events() { cudaEventDestroy(a); cudaEventDestroy(b); } } guard{a, b};
  constexpr int kLaunches = 8;
  auto elapsed = [&](const std::function<void()>& body) {
    float best = 1e30f;
    for (int rep = 0; rep < 3; ++rep) {
      LN_CUDA(cudaEventRecord(a, stream_));
      body();
      LN_CUDA(cudaEventRecord(b, stream_));
      LN_CUDA(cudaEventSynchronize(b));
      float ms = 0;
      LN_CUDA(cudaEventElapsedTime(&ms, a, b));
      best = std::min(best, ms / kLaunches);
    }
    return best;
  };
  run();  // warm-up, and any lazy set-up happens outside the capture
  auto launches = [&] { for (int i = 0; i < kLaunches; ++i) run(); };
  cudaGraph_t graph = nullptr;
  cudaGraphExec_t exec = nullptr;
  bool captured = cudaStreamBeginCapture(stream_, cudaStreamCaptureModeThreadLocal) == cudaSuccess;
  if (captured) {
    try {
      launches();
    } catch (const std::exception&) {
      captured = false;
    }
    captured = cudaStreamEndCapture(stream_, &graph) == cudaSuccess && captured && graph &&
               cudaGraphInstantiate(&exec, graph, 0) == cudaSuccess;
    if (graph) cudaGraphDestroy(graph);
  }
  cudaGetLastError();
  if (!captured) {
    if (exec) cudaGraphExecDestroy(exec);
    return elapsed(launches);
  }
  struct Exec { cudaGraphExec_t e; ~Exec() { cudaGraphExecDestroy(e); } } guard_exec{exec};
  LN_CUDA(cudaGraphLaunch(exec, stream_));
  return elapsed([&] { LN_CUDA(cudaGraphLaunch(exec, stream_)); });
}

// For each conv the plan makes INT8 (and the own kernels can run in int8): whether its int8 kernel beats the
// best FP16 one (cuDNN's or ours), each timed alone on scratch tensors of the layer's shapes, as TensorRT
// chooses a precision per layer. Scratch contents are a non-zero byte pattern: zeros can time faster.
std::vector<bool> CudaEngine::int8_layers_that_pay(const std::vector<bool>& capable, size_t limit) {
  std::vector<bool> pays = capable;
  int kept = 0, total = 0;
  const int n = options_.batch;
  DeviceBuffer x16, y16, x8, y8;
  auto scratch = [&](DeviceBuffer& buf, const Shape& s, size_t element) {
    buf.resize(size_t(n) * s.h * s.w * s.c * element);
    LN_CUDA(cudaMemsetAsync(buf.get(), 0x21, size_t(n) * s.h * s.w * s.c * element, stream_));
    View v;
    v.data = buf.get();
    v.n = n; v.h = s.h; v.w = s.w; v.c = s.c;
    v.pixel_stride = s.c;
    v.batch_stride = int64_t(s.h) * s.w * s.c;
    return v;
  };
  for (const Layer& l : net_.layers) {
    if (!capable[l.index]) continue;
    ++total;
    const Shape& is = l.input_shapes.at(0);  // int8-capable convs never read the padded network input
    const View in16 = scratch(x16, is, 2), out16 = scratch(y16, l.output, 2);
    const View in8 = scratch(x8, is, 1), out8 = scratch(y8, l.output, 1);
    ConvLayer fp16;
    float fp16_ms = 1e30f, int8_ms = 1e30f;
    choose_conv(l, in16, out16, limit, false, fp16, &fp16_ms);
    IgemmPrecision s8;
    s8.input = s8.output = IgemmType::S8;
    s8.input_scale = s8.output_scale = 1.f / 16;  // any positive steps time the same
    s8.weight_scales = quant_.layers[l.index].weight_scales;
    IgemmConv conv(l, is.c, s8);
    for (int v = 0; v < kIgemmVariants; ++v) {
      if (!conv.sensible(v, out8)) continue;
      const IgemmWorkspace ws = own_workspace(conv.partials_bytes(v, out8));
      int8_ms = std::min(int8_ms, time_as_graph([&] { conv.run(v, in8, out8, ws, stream_); }));
    }
    pays[l.index] = int8_ms < fp16_ms;
    kept += pays[l.index];
    if (verbose_tuning_)
      log_line("layer " + layer_name(l) + ": int8 " + std::to_string(int8_ms * 1000) + " us, fp16 " +
               std::to_string(fp16_ms * 1000) + " us");
  }
  log_line("int8 engine: " + std::to_string(kept) + " of " + std::to_string(total) +
           " INT8-planned convs run int8 (timed faster than FP16; LIGHTNET_CUDA_INT8=all keeps them all)");
  return pays;
}

bool CudaEngine::choose_conv(const Layer& l, const View& in, const View& out, size_t limit, bool concat_in_place,
                             ConvLayer& cl, float* best_ms) {
  auto time = [&](const std::function<void()>& run) { return time_as_graph(run); };
  float own_ms = 1e30f, graph_ms = 1e30f, legacy_ms = 1e30f;
  int own_variant = -1;
  std::unique_ptr<IgemmConv> own;
  // In an INT8 engine a conv that reads or writes int8 runs on the own kernels only.
  const IgemmPrecision precision = conv_precision(l);
  const bool int8_io = precision.input == IgemmType::S8 || precision.output == IgemmType::S8;
  if (dt_ == DType::F16 && (conv_kernels_ != ConvKernels::Cudnn || int8_io) &&
      IgemmConv::supports(l, in.c, precision)) {
    own = std::make_unique<IgemmConv>(l, in.c, precision);
    Stopwatch clock(build_times_.own);
    for (int v = 0; v < kIgemmVariants; ++v) {
      if (!own->sensible(v, out)) continue;
      const IgemmWorkspace ws = own_workspace(own->partials_bytes(v, out));
      const float ms = time([&] { own->run(v, in, out, ws, stream_); });
      if (ms < own_ms) own_ms = ms, own_variant = v;
    }
    if (verbose_tuning_) log_line("layer " + layer_name(l) + ": own " + igemm_variant_name(own_variant) + " " +
                                  std::to_string(own_ms * 1000) + " us");
  }
  auto take_own = [&] {
    if (best_ms) *best_ms = own_ms;
    cl.own = std::move(own);
    cl.choice = ConvChoice{};
    cl.choice.own = own_variant;
    return true;
  };
  if (own && (conv_kernels_ == ConvKernels::Own || int8_io)) return take_own();
  auto graph = std::make_unique<GraphConv>(l, in.c, dt_);
  int g = -1;
  {
    Stopwatch clock(build_times_.graph);
    g = graph->prepare(cudnn_, in, out, -1, workspace_.get(), limit, stream_, time);
    build_times_.compiled += graph->tuning().compiled;
    if (g >= 0) {
      auto pack = graph->bind(in, out, workspace_.get());
      graph_ms = time([&] { graph->run(cudnn_, *pack, in, out, stream_); });
    }
  }
  auto legacy = std::make_unique<CudnnConv>(l, in.c, dt_);
  try {
    Stopwatch clock(build_times_.legacy);
    legacy->tune(cudnn_, in, out, workspace_.get(), limit);
    TensorDesc x, y;
    describe(x, in, dt_);
    describe(y, out, dt_);
    legacy_ms = time([&] { legacy->run(cudnn_, x, in.data, y, out.data, out, workspace_.get(), limit, stream_); });
  } catch (const std::runtime_error& e) {
    if (g < 0 && !own) {
      bool sliced = in.pixel_stride != in.c || out.pixel_stride != out.c;
      if (concat_in_place && sliced) {
        log_line("layer " + layer_name(l) + " on a channel slice: " + e.what());
        return false;
      }
      throw;
    }
  }
  if (verbose_tuning_)
    log_line("layer " + layer_name(l) + ": cudnn graph " + std::to_string(graph_ms * 1000) + " us (config " +
             std::to_string(g) + ", " + std::to_string(graph->tuning().timed) + " of " +
             std::to_string(graph->tuning().configs) + " timed, " + std::to_string(graph->tuning().nondeterministic) +
             " nondeterministic skipped), legacy " + std::to_string(legacy_ms * 1000) + " us");
  const float dense_ms = std::min(own_ms, std::min(graph_ms, legacy_ms));
  // 2:4-sparse weights: the sparse tensor cores where they beat the fastest dense kernel.
  if (sparse_ && !int8_io && l.as<ConvParams>().sparse && SparseConv::supports(l, in.c, dt_)) {
    try {
      Stopwatch clock(build_times_.sparse);
      auto sparse = std::make_unique<SparseConv>(sparse_, l);
      sparse->prepare(in, out, workspace_.get(), limit, stream_);
      const float sparse_ms = time([&] { sparse->run(in, out, workspace_.get(), stream_); });
      ++sparse_candidates_;
      sparse_dense_ms_ += dense_ms;
      sparse_sparse_ms_ += sparse_ms;
      if (verbose_tuning_)
        log_line("layer " + layer_name(l) + ": 2:4 sparse " + std::to_string(sparse_ms * 1000) + " us, dense " +
                 std::to_string(dense_ms * 1000) + " us (sparse/dense " + std::to_string(sparse_ms / dense_ms) + ")");
      if (sparse_ms < dense_ms) {
        if (best_ms) *best_ms = sparse_ms;
        cl.choice = ConvChoice{};
        cl.choice.sparse = 1;
        cl.choice.sparse_algorithm = sparse->algorithm(in, out);
        cl.choice.workspace = sparse->workspace(in, out);
        cl.sparse = std::move(sparse);
        ++sparse_layers_;
        return true;
      }
    } catch (const std::runtime_error& e) {
      log_line(e.what());
    }
  }
  if (best_ms) *best_ms = dense_ms;
  if (own && own_ms <= std::min(graph_ms, legacy_ms)) return take_own();
  if (graph_ms <= legacy_ms) {
    cl.graph = std::move(graph);
    cl.choice = ConvChoice{0, 0, true, cl.graph->workspace(options_.batch), g};
  } else {
    cl.legacy = std::move(legacy);
    cl.choice = cl.legacy->choice();
  }
  return true;
}

// The stem pair on one kernel where it beats the two convs on their own picks (`apart_ms`), timed as the
// network runs them; LIGHTNET_CUDA_STEM=on (or LIGHTNET_CUDA_CONV=own) takes it whatever the timing says.
void CudaEngine::choose_stem(float apart_ms) {
  Stopwatch clock(build_times_.fused);
  const auto [first, second] = stem_pair_;
  auto stem = std::make_unique<StemConv>(net_.layers[first], net_.layers[second], input_channels_);
  const View in = view_of(net_.layers[first].inputs.at(0), options_.batch), out = view_of(second, options_.batch);
  const float stem_ms = time_as_graph([&] { stem->run(in, out, stream_); });
  const bool take = stem_mode_ == FuseMode::On || conv_kernels_ == ConvKernels::Own || stem_ms < apart_ms;
  log_line("layers " + std::to_string(first) + " + " + std::to_string(second) + ": one stem kernel " +
           std::to_string(stem_ms * 1000) + " us (" + std::to_string(stem->blocks_per_sm()) + " blocks per SM), " +
           "apart " + std::to_string(apart_ms * 1000) + " us: " + (take ? "one kernel" : "apart") +
           " (LIGHTNET_CUDA_STEM=off keeps them apart)");
  if (!take) return;
  ConvLayer fused;
  fused.stem = std::move(stem);
  fused.choice.pair = 2;
  fuse(first, second, std::move(fused));
}

// The pair's first conv launches nothing from now on; its second runs `fused`, which computes both.
void CudaEngine::fuse(int first, int second, ConvLayer fused) {
  ConvLayer& a = convs_.at(first);
  ConvLayer& b = convs_.at(second);
  sparse_layers_ -= (a.choice.sparse != 0) + (b.choice.sparse != 0);
  a = ConvLayer{};
  a.choice.pair = 1;
  b = std::move(fused);
}

// A chained 3×3 pair on one kernel, its fastest tile variant, where that beats the two convs on their own picks
// (`apart_ms`), timed as the network runs them; LIGHTNET_CUDA_PAIRS=on (or LIGHTNET_CUDA_CONV=own) takes it
// whatever the timing says.
void CudaEngine::choose_pair(int first, int second, float apart_ms) {
  Stopwatch clock(build_times_.fused);
  auto pair = std::make_unique<ConvPair>(net_.layers[first], net_.layers[second]);
  const View in = view_of(net_.layers[first].inputs.at(0), options_.batch), out = view_of(second, options_.batch);
  if (!pair->fits(in, out)) return;
  float pair_ms = 1e30f;
  int variant = -1;
  for (int v = 0; v < ConvPair::kVariants; ++v) {
    const float ms = time_as_graph([&] { pair->run(v, in, out, stream_); });
    if (ms < pair_ms) pair_ms = ms, variant = v;
  }
  const bool take = pair_mode_ == FuseMode::On || conv_kernels_ == ConvKernels::Own || pair_ms < apart_ms;
  if (verbose_tuning_)
    log_line("layers " + std::to_string(first) + " + " + std::to_string(second) + ": " + pair->variant_name(variant) +
             " " + std::to_string(pair_ms * 1000) + " us (" + std::to_string(pair->blocks_per_sm(variant)) +
             " blocks per SM), apart " + std::to_string(apart_ms * 1000) + " us: " + (take ? "one kernel" : "apart"));
  pairs_ms_ += take ? pair_ms : apart_ms;
  pairs_apart_ms_ += apart_ms;
  if (!take) return;
  ++pairs_taken_;
  ConvLayer fused;
  fused.pair = std::move(pair);
  fused.choice.pair = 3;
  fused.choice.own = variant;
  fuse(first, second, std::move(fused));
}

int CudaEngine::pair_first_reader(int first) const {
  for (const auto& [second, f] : pair_first_)
    if (f == first) return second;
  return -1;
}

CudaEngine::FuseMode CudaEngine::fuse_mode_from_env(const char* var) {
  const char* env = std::getenv(var);
  if (!env) return FuseMode::Auto;
  const std::string v = env;
  if (v == "on") return FuseMode::On;
  if (v == "off") return FuseMode::Off;
  if (v != "auto") throw std::invalid_argument(std::string(var) + ": expected auto, on or off, found \"" + v + "\"");
  return FuseMode::Auto;
}

void CudaEngine::allocate_postprocess() {
  const int b = options_.batch;
  image_bytes_.resize(b);
  pinned_inputs_ = std::vector<PinnedBuffer>(b);
  const char* upload_env = std::getenv("LIGHTNET_CUDA_UPLOAD");
  upload_pageable_ = upload_env && std::string(upload_env) == "pageable";
  uploader_ = std::make_unique<HostUploader>(HostUploader::default_helper_threads());
  size_t head_floats = 0;
  for (const Head& h : net_.heads) head_floats += net_.layers[h.source].output.size();
  heads_f32_ = DeviceBuffer(std::max<size_t>(head_floats * b * 4, 16));
  input_f32_ = DeviceBuffer(size_t(b) * net_.input.size() * 4);
  sizes_ = DeviceBuffer(sizeof(int2) * b);
  sizes_host_.resize(sizeof(int2) * b);
  candidates_ = DeviceBuffer(sizeof(GpuDetection) * kMaxCandidates * b);
  kept_ = DeviceBuffer(sizeof(GpuDetection) * kNmsTopK * b);
  nms_workspace_ = DeviceBuffer(nms_workspace_bytes(b));
  kept_host_.resize(sizeof(GpuDetection) * kNmsTopK * b);
  counts_ = DeviceBuffer(sizeof(int) * b);
  kept_counts_ = DeviceBuffer(sizeof(int) * b);
  kept_counts_host_.resize(sizeof(int) * b);
  counts_host_.resize(sizeof(int) * b);
  size_t mask_bytes = 0;
  for (const Head& h : net_.heads) {
    const Layer& src = net_.layers[h.source];
    if (h.kind == Head::Kind::Segmentation) mask_bytes += size_t(src.output.h) * src.output.w * b;
    if (h.kind != Head::Kind::Yolo) continue;
    const auto& y = net_.layers[h.layer].as<YoloParams>();
    YoloDecodeParams p;
    p.classes = y.classes;
    p.anchors = int(y.mask.size());
    for (size_t k = 0; k < y.mask.size(); ++k) {
      p.anchor_wh[2 * k] = y.anchors[2 * y.mask[k]];
      p.anchor_wh[2 * k + 1] = y.anchors[2 * y.mask[k] + 1];
    }
    p.scale_x_y = y.scale_x_y;
    p.new_coords = y.new_coords;
    p.net_w = net_.input.w;
    p.net_h = net_.input.h;
    if (src.output.c != p.anchors * (5 + p.classes))
      throw std::invalid_argument(net_.cfg_path + ":" + std::to_string(src.cfg_line) + ": [convolutional] filters=" +
                                  std::to_string(src.output.c) + ", expected " +
                                  std::to_string(p.anchors * (5 + p.classes)) + " for the [yolo] layer after it");
    yolo_params_.push_back(p);
  }
  masks_ = DeviceBuffer(std::max<size_t>(mask_bytes, 16));
  masks_host_.resize(std::max<size_t>(mask_bytes, 16));
}

void CudaEngine::add_steps(Program& p, int batch) {
  auto desc_for = [&](const View& v) {
    p.descs.push_back(std::make_unique<TensorDesc>());
    describe(*p.descs.back(), v, dt_);
    return cudnnTensorDescriptor_t(*p.descs.back());
  };
  // The lanes first: a step's closure binds its lane's scratch.
  const std::vector<NetworkStep> planned = network_steps(net_, plan_);
  p.schedule = schedule_lanes(planned, plan_, lanes_);
  const cudaStream_t home = stream_;
  for (size_t step = 0; step < planned.size(); ++step) {
    const Layer& l = net_.layers[planned[step].layer];
    const View out = view_of(l.index, batch);
    const int lane = p.schedule.steps[step].lane;
    switch (l.type) {
      case LayerType::Convolutional: {
        const View in = view_of(l.inputs[0], batch);
        ConvLayer& cl = convs_.at(l.index);
        if (cl.choice.pair == 1) {  // the pair kernel of the conv reading it computes it
          p.steps.push_back({l.index, [](cudaStream_t) {}});
          break;
        }
        if (cl.pair) {
          const ConvPair* k = cl.pair.get();
          const int variant = cl.choice.own;
          const View x = view_of(net_.layers[pair_first_.at(l.index)].inputs.at(0), batch);
          p.steps.push_back({l.index, [=](cudaStream_t s) { k->run(variant, x, out, s); }});
          break;
        }
        if (cl.stem) {
          const StemConv* k = cl.stem.get();
          const View x = view_of(net_.layers[stem_pair_.first].inputs.at(0), batch);
          p.steps.push_back({l.index, [=](cudaStream_t s) { k->run(x, out, s); }});
          break;
        }
        void* ws = lane_workspace(lane);  // every lane's cuDNN / cuSPARSELt workspace is workspace_'s size
        if (cl.sparse) {
          SparseConv* k = cl.sparse.get();
          k->prepare(in, out, workspace_.get(), workspace_.bytes(), stream_);  // a batch of another size plans anew
          p.steps.push_back({l.index, [=](cudaStream_t s) { k->run(in, out, ws, s); }});
          break;
        }
        if (cl.own) {
          const IgemmConv* k = cl.own.get();
          const int variant = cl.choice.own;
          const IgemmWorkspace own_ws = lane_own_workspace(lane, k->partials_bytes(variant, out));
          p.steps.push_back({l.index, [=](cudaStream_t s) { k->run(variant, in, out, own_ws, s); }});
          break;
        }
        size_t ws_bytes = workspace_.bytes();
        cudnnHandle_t h = cudnn_;
        if (cl.graph) {
          GraphConv* g = cl.graph.get();
          if (batch != options_.batch &&
              g->prepare(h, in, out, cl.choice.graph, workspace_.get(), ws_bytes, stream_) < 0 &&
              g->prepare(h, in, out, -1, workspace_.get(), ws_bytes, stream_) < 0)
            throw std::runtime_error("layer " + std::to_string(l.index) + ": no cuDNN plan for batch " +
                                     std::to_string(batch));
          auto pack = g->bind(in, out, ws);
          p.steps.push_back({l.index, [=](cudaStream_t s) {
                               HandleOnStream on(h, s, home);
                               g->run(h, *pack, in, out, s);
                             }});
          break;
        }
        CudnnConv* conv = cl.legacy.get();
        if (conv->workspace_for(cudnn_, in, out) > workspace_.bytes())
          throw std::runtime_error("layer " + std::to_string(l.index) + ": batch " + std::to_string(batch) +
                                   " needs more cuDNN workspace than tuned for");
        auto x = desc_for(in), y = desc_for(out);
        p.steps.push_back({l.index, [=](cudaStream_t s) {
                             HandleOnStream on(h, s, home);
                             conv->run(h, x, in.data, y, out.data, out, ws, ws_bytes, s);
                           }});
        break;
      }
      case LayerType::Route: {  // a concat whose inputs are not all in place yet: one launch copies the rest
        const auto& rp = l.as<RouteParams>();
        const Placement& pl = plan_.layers[l.index];
        Placement full = pl;  // the whole concat (a groups route reads a slice of it)
        full.channel_offset -= rp.group_id * pl.c;
        full.c = pl.c * rp.groups;
        std::vector<int> input_offset;
        int offset = 0;
        for (int j : l.inputs) input_offset.push_back(offset), offset += (j < 0 ? plan_.input : plan_.layers[j]).c;
        std::vector<View> srcs;
        std::vector<int> offsets, upsample;
        for (int q : planned[step].copies) {
          const int j = l.inputs[q];
          const bool fused = j >= 0 && plan_.upsample_fused[j];  // read the upsample's input instead
          srcs.push_back(fused ? view_of(net_.layers[j].inputs.at(0), batch) : view_of(j, batch));
          upsample.push_back(fused ? net_.layers[j].as<UpsampleParams>().stride : 1);
          offsets.push_back(input_offset[q]);
        }
        View dst = view(full, batch);
        DType dt = dt_;
        p.steps.push_back({l.index, [=](cudaStream_t s) {
                             launch_concat(srcs.data(), offsets.data(), upsample.data(), int(srcs.size()), dst, dt, s);
                           }});
        break;
      }
      case LayerType::Upsample: {
        if (plan_.upsample_fused[l.index]) break;  // its concat computes it
        View in = view_of(l.inputs[0], batch);
        int stride = l.as<UpsampleParams>().stride;
        const int from = l.inputs[0] < 0 ? plan_.input.storage : plan_.layers[l.inputs[0]].storage;
        const int to = plan_.layers[l.index].storage;
        const DType src_dt = storage_dtype(from), dst_dt = storage_dtype(to);
        const float src_scale = src_dt == DType::I8 ? int8_.storages[from].scale : 1.f;
        const float dst_scale = dst_dt == DType::I8 ? int8_.storages[to].scale : 1.f;
        p.steps.push_back({l.index, [=](cudaStream_t s) {
                             launch_upsample_convert(in, src_dt, src_scale, out, dst_dt, dst_scale, stride, s);
                           }});
        break;
      }
      case LayerType::Maxpool: {
        View in = view_of(l.inputs[0], batch);
        auto mp = l.as<MaxpoolParams>();
        DType dt = dt_;
        p.steps.push_back({l.index, [=](cudaStream_t s) {
                             launch_maxpool(in, out, mp.size, mp.stride_x, mp.stride_y, mp.padding, dt, s);
                           }});
        break;
      }
      case LayerType::Shortcut: {
        View a = view_of(l.inputs[0], batch), b = view_of(l.inputs[1], batch);
        Activation act = l.as<ShortcutParams>().activation;
        DType dt = dt_;
        p.steps.push_back({l.index, [=](cudaStream_t s) { launch_shortcut(a, b, out, act, dt, s); }});
        break;
      }
      default:
        throw std::logic_error("layer " + std::to_string(l.index) + ": " + to_string(l.type) + " has no CUDA step");
    }
  }
  if (p.steps.size() != planned.size())  // every planned step launches exactly once
    throw std::logic_error("the engine launches " + std::to_string(p.steps.size()) + " steps, the lane schedule has " +
                           std::to_string(planned.size()));
}

// Issues the program's steps on their lanes: the other lanes fork from the engine's stream, wait for the events
// of the steps they need, and join back at the end. The same while capturing the graph and without one.
void CudaEngine::issue(Program& p, bool timed, bool capturing) {
  const LaneSchedule& sched = p.schedule;
  auto mark = [&](size_t i) {  // profiling (one lane): an event between layers
    if (capturing) LN_CUDA(cudaEventRecordWithFlags(events_[i], stream_, cudaEventRecordExternal));
    else LN_CUDA(cudaEventRecord(events_[i], stream_));
  };
  if (sched.lanes > 1) {
    LN_CUDA(cudaEventRecord(p.fork, stream_));
    for (int l = 1; l < sched.lanes; ++l) LN_CUDA(cudaStreamWaitEvent(lane_stream(l), p.fork, 0));
  }
  for (size_t i = 0; i < p.steps.size(); ++i) {
    const StepLane& at = sched.steps[i];
    const cudaStream_t s = lane_stream(at.lane);
    for (int w : at.waits) LN_CUDA(cudaStreamWaitEvent(s, p.events[w], 0));
    if (timed) mark(i);
    p.steps[i].run(s);
    if (at.record) LN_CUDA(cudaEventRecord(p.events[i], s));
  }
  if (timed) mark(p.steps.size());
  for (int j : sched.joins) LN_CUDA(cudaStreamWaitEvent(stream_, p.events[j], 0));
}

CudaEngine::Program& CudaEngine::program(int batch) {
  auto it = programs_.find(batch);
  if (it != programs_.end()) return *it->second;
  allocate_lane_scratch();
  auto p = std::make_unique<Program>();
  add_steps(*p, batch);
  p->events.assign(p->steps.size(), nullptr);
  for (size_t i = 0; i < p->steps.size(); ++i)
    if (p->schedule.steps[i].record) LN_CUDA(cudaEventCreateWithFlags(&p->events[i], cudaEventDisableTiming));
  if (p->schedule.lanes > 1) LN_CUDA(cudaEventCreateWithFlags(&p->fork, cudaEventDisableTiming));
  // One graph per batch size: the whole network becomes a single launch, a DAG over the lanes. With profiling
  // (one lane), event-record nodes between the layers time each one inside the graph, back to back as in a
  // normal run.
  if (options_.profile) {
    while (events_.size() < p->steps.size() + 1) {
      cudaEvent_t e;
      LN_CUDA(cudaEventCreate(&e));
      events_.push_back(e);
    }
  }
  cudaGraph_t graph = nullptr;
  LN_CUDA(cudaStreamBeginCapture(stream_, cudaStreamCaptureModeThreadLocal));
  std::string failure;
  try {
    issue(*p, options_.profile, true);
  } catch (const std::exception& e) {
    failure = e.what();
  }
  cudaError_t end = cudaStreamEndCapture(stream_, &graph);
  if (failure.empty() && end == cudaSuccess && graph && cudaGraphInstantiate(&p->graph, graph, 0) == cudaSuccess) {
    cudaGraphDestroy(graph);
  } else {
    if (graph) cudaGraphDestroy(graph);
    cudaGetLastError();
    p->graph = nullptr;
    log_line("CUDA graph capture failed (" + (failure.empty() ? std::string(cudaGetErrorString(end)) : failure) +
             "): launching layer by layer");
  }
  if (verbose_tuning_)
    log_line("batch " + std::to_string(batch) + ": " + std::to_string(p->steps.size()) + " steps on " +
             std::to_string(p->schedule.lanes) + " lanes, " + std::to_string(p->schedule.waits()) +
             " event waits (LIGHTNET_CUDA_STREAMS=" + std::to_string(lanes_) + ")");
  return *programs_.emplace(batch, std::move(p)).first->second;
}

void CudaEngine::run_network(int batch) {
  Program& p = program(batch);
  const bool timed = options_.profile && events_.size() > p.steps.size();
  if (p.graph) LN_CUDA(cudaGraphLaunch(p.graph, stream_));
  else issue(p, timed, false);
  if (!timed) return;
  LN_CUDA(cudaEventSynchronize(events_[p.steps.size()]));
  for (size_t i = 0; i < p.steps.size(); ++i) {
    float ms = 0;
    LN_CUDA(cudaEventElapsedTime(&ms, events_[i], events_[i + 1]));
    profile_ms_[p.steps[i].layer] += ms;
  }
  ++profile_runs_;
}

// Exact graph rewrites (ir/): sibling convolutions (same input and geometry) run as one; 1x1 convolutions
// reading a nearest upsample run before it, on the small map. LIGHTNET_CUDA_FUSE_SIBLINGS=0 and
// LIGHTNET_CUDA_SWAP_UPSAMPLE=0 keep the cfg's layers (to compare). FP16 and FP32 engines, and INT8 engines
// once no layer runs int8 in them: int8 activation ranges belong to the layers as loaded.
void CudaEngine::apply_rewrites() {
  if (rewrites_applied_) return;
  rewrites_applied_ = true;
  loaded_ = net_;
  if (env_switch("LIGHTNET_CUDA_FUSE_SIBLINGS", true)) fusions_ = ir::fuse_sibling_convs(net_);
  if (env_switch("LIGHTNET_CUDA_SWAP_UPSAMPLE", true)) swaps_ = ir::move_pointwise_convs_before_upsamples(net_);
  if (!rewritten()) loaded_ = Network{};
  if (!fusions_.empty()) log_line(describe_fusions(fusions_));
  for (const ir::UpsampleSwap& w : swaps_)
    log_line("layer " + std::to_string(w.conv) + " (1x1 conv) runs before upsample " + std::to_string(w.upsample) +
             ", on the small map (LIGHTNET_CUDA_SWAP_UPSAMPLE=0 keeps the cfg's order)");
}

void CudaEngine::undo_rewrites() {
  if (rewritten()) net_ = std::exchange(loaded_, Network{});
  fusions_.clear();
  swaps_.clear();
  rewrites_applied_ = false;
}

// What the rewrites made of a layer, for its profile row: " (fused 4+2)", " (layer 148's conv)", ...
std::string CudaEngine::rewrite_note(int layer) const {
  if (auto it = convs_.find(layer); it != convs_.end() && it->second.choice.pair) {
    const int pair = it->second.choice.pair;
    if (pair == 1) {
      const int second = pair_first_reader(layer);
      return " (computed by layer " + std::to_string(second) + "'s " +
             (second == stem_pair_.second ? "stem" : "conv pair") + " kernel)";
    }
    const std::string layers = "layers " + std::to_string(pair_first_.at(layer)) + " + " + std::to_string(layer);
    if (pair == 2) return " (stem kernel: " + layers + ")";
    return " (conv pair kernel: " + layers + ", " + it->second.pair->variant_name(it->second.choice.own) + ")";
  }
  for (const ir::SiblingFusion& f : fusions_)
    if (f.conv == layer) return " (fused " + members_text(f) + ")";
  for (const ir::UpsampleSwap& w : swaps_) {
    if (w.upsample == layer) return " (layer " + std::to_string(w.conv) + "'s conv, before the upsample)";
    if (w.conv == layer) return " (layer " + std::to_string(w.upsample) + "'s upsample, after the conv)";
  }
  return "";
}

std::vector<LayerTiming> CudaEngine::take_profile() {
  std::vector<LayerTiming> out;
  for (const auto& [layer, ms] : profile_ms_)
    out.push_back({layer, layer_name(net_.layers[layer]) + rewrite_note(layer), profile_runs_ ? ms / profile_runs_ : 0});
  profile_ms_.clear();
  profile_runs_ = 0;
  return out;
}

std::vector<Tensor> CudaEngine::forward(const float* input, int batch) {
  if (!input) throw std::invalid_argument("forward: input is null");
  if (batch < 1) throw std::invalid_argument("forward: batch: expected >= 1, found " + std::to_string(batch));
  LN_CUDA(cudaSetDevice(options_.gpu_id));
  std::vector<Tensor> out;
  for (const Head& h : net_.heads) {
    const Shape& s = net_.layers[h.source].output;
    Tensor t;
    t.layer = h.source;
    t.n = batch; t.c = s.c; t.h = s.h; t.w = s.w;
    t.data.resize(size_t(batch) * s.size());
    out.push_back(std::move(t));
  }
  const int64_t image_floats = net_.input.size();
  for (int first = 0; first < batch; first += options_.batch) {
    const int n = std::min(options_.batch, batch - first);
    program(n);  // made before the upload: making it runs convolutions over the shared arena
    LN_CUDA(cudaMemcpyAsync(input_f32_.get(), input + first * image_floats, n * image_floats * 4,
                            cudaMemcpyHostToDevice, stream_));
    launch_nchw_to_nhwc(input_f32_.get<float>(), net_.input.c, view(plan_.input, n), dt_, stream_);
    run_network(n);
    float* staging = heads_f32_.get<float>();
    for (size_t k = 0; k < net_.heads.size(); ++k) {
      const View v = view_of(net_.heads[k].source, n);
      const size_t floats = size_t(n) * v.c * v.h * v.w;
      launch_nhwc_to_nchw(v, staging, dt_, stream_);
      LN_CUDA(cudaMemcpyAsync(out[k].data.data() + size_t(first) * v.c * v.h * v.w, staging, floats * 4,
                              cudaMemcpyDeviceToHost, stream_));
      staging += floats;
    }
    LN_CUDA(cudaStreamSynchronize(stream_));
  }
  return out;
}

void CudaEngine::upload_image(const ImageView& im, int slot) {
  const int ch = channels_of(im.format);
  const size_t bytes = im.step * (im.height - 1) + size_t(im.width) * ch;
  DeviceBuffer& dev = image_bytes_[slot];
  dev.resize(bytes);
  const auto* first = static_cast<const uint8_t*>(im.data);
  const bool pinned = std::any_of(pinned_inputs_.begin(), pinned_inputs_.end(), [&](const PinnedBuffer& p) {
    const auto* base = p.get<const uint8_t>();
    return base && first >= base && first + bytes <= base + p.bytes();
  });
  if (pinned || upload_pageable_)
    LN_CUDA(cudaMemcpyAsync(dev.get(), im.data, bytes, cudaMemcpyHostToDevice, stream_));
  else
    uploader_->upload(dev.get(), im.data, bytes, slot, stream_);
  const bool bgr = im.format == PixelFormat::BGR8 || im.format == PixelFormat::BGRA8;
  launch_preprocess(dev.get<uint8_t>(), im.width, im.height, im.step, ch, bgr, view(plan_.input, options_.batch),
                    slot, dt_, stream_);
}

uint8_t* CudaEngine::pinned_input(int slot, size_t bytes) {
  if (slot < 0 || slot >= options_.batch)
    throw std::invalid_argument("pinned_input: slot: expected 0.." + std::to_string(options_.batch - 1) +
                                ", found " + std::to_string(slot));
  LN_CUDA(cudaSetDevice(options_.gpu_id));
  pinned_inputs_[slot].resize(bytes);
  return pinned_inputs_[slot].get<uint8_t>();
}

std::vector<FrameResult> CudaEngine::detect(const std::vector<ImageView>& images, const DetectOptions& options) {
  for (size_t i = 0; i < images.size(); ++i) {
    const ImageView& im = images[i];
    std::string why;
    if (!im.data) why = "data is null";
    else if (im.width <= 0 || im.height <= 0)
      why = "size " + std::to_string(im.width) + "x" + std::to_string(im.height) + ", expected positive";
    else if (im.step < size_t(im.width) * channels_of(im.format))
      why = "step " + std::to_string(im.step) + " < width " + std::to_string(im.width) + " x " +
            std::to_string(channels_of(im.format)) + " channels";
    if (!why.empty()) throw std::invalid_argument("image " + std::to_string(i) + ": " + why);
  }
  LN_CUDA(cudaSetDevice(options_.gpu_id));
  std::vector<FrameResult> results(images.size());
  cudaEvent_t ev[4];
  for (auto& e : ev) LN_CUDA(cudaEventCreate(&e));
  struct EventGuard { cudaEvent_t* e; ~EventGuard() { for (int i = 0; i < 4; ++i) cudaEventDestroy(e[i]); } } guard{ev};

  for (size_t first = 0; first < images.size(); first += options_.batch) {
    const int n = int(std::min<size_t>(options_.batch, images.size() - first));
    program(n);  // made before the upload: making it runs convolutions over the shared arena
    LN_CUDA(cudaEventRecord(ev[0], stream_));
    auto* sizes = sizes_host_.get<int2>();
    for (int k = 0; k < n; ++k) {
      upload_image(images[first + k], k);
      sizes[k] = make_int2(images[first + k].width, images[first + k].height);
    }
    LN_CUDA(cudaMemcpyAsync(sizes_.get(), sizes, sizeof(int2) * n, cudaMemcpyHostToDevice, stream_));
    LN_CUDA(cudaEventRecord(ev[1], stream_));
    run_network(n);
    LN_CUDA(cudaEventRecord(ev[2], stream_));

    LN_CUDA(cudaMemsetAsync(counts_.get(), 0, sizeof(int) * n, stream_));
    uint8_t* mask = masks_.get<uint8_t>();
    size_t yolo = 0, mask_offset = 0;
    for (const Head& h : net_.heads) {
      const View v = view_of(h.source, n);
      if (h.kind == Head::Kind::Yolo) {
        launch_yolo_decode(v, yolo_params_[yolo++], sizes_.get<int2>(), options.score_threshold,
                           candidates_.get<GpuDetection>(), counts_.get<int>(), kMaxCandidates, dt_, stream_);
      } else {
        launch_argmax(v, mask + mask_offset, dt_, stream_);
        mask_offset += size_t(n) * v.h * v.w;
      }
    }
    if (yolo > 0) {
      launch_nms(candidates_.get<GpuDetection>(), counts_.get<int>(), kMaxCandidates, n, options.nms_threshold,
                 nms_workspace_.get(), kept_.get<GpuDetection>(), kept_counts_.get<int>(), stream_);
      LN_CUDA(cudaMemcpyAsync(kept_counts_host_.get(), kept_counts_.get(), sizeof(int) * n, cudaMemcpyDeviceToHost,
                              stream_));
      LN_CUDA(cudaMemcpyAsync(counts_host_.get(), counts_.get(), sizeof(int) * n, cudaMemcpyDeviceToHost, stream_));
      // Every slot (24 KB an image, about a microsecond over PCIe) rather than waiting for the counts first:
      // that wait costs a host round trip between the GPU finishing NMS and the copies starting.
      LN_CUDA(cudaMemcpyAsync(kept_host_.get(), kept_.get(), sizeof(GpuDetection) * kNmsTopK * n,
                              cudaMemcpyDeviceToHost, stream_));
    }
    if (mask_offset)
      LN_CUDA(cudaMemcpyAsync(masks_host_.get(), mask, mask_offset, cudaMemcpyDeviceToHost, stream_));
    LN_CUDA(cudaEventRecord(ev[3], stream_));
    LN_CUDA(cudaEventSynchronize(ev[3]));

    float pre = 0, inf = 0, post = 0;
    LN_CUDA(cudaEventElapsedTime(&pre, ev[0], ev[1]));
    LN_CUDA(cudaEventElapsedTime(&inf, ev[1], ev[2]));
    LN_CUDA(cudaEventElapsedTime(&post, ev[2], ev[3]));
    for (int k = 0; k < n; ++k) {
      FrameResult& r = results[first + k];
      r.timing = {pre / n, inf / n, post / n};
      if (yolo > 0) {
        const int candidates = counts_host_.get<int>()[k];
        if (candidates > kNmsTopK && !warned_overflow_) {
          warned_overflow_ = true;
          log_line("image " + std::to_string(first + k) + ": " + std::to_string(candidates) +
                   " candidates above the score threshold; the best " + std::to_string(kNmsTopK) + " of " +
                   (candidates > kMaxCandidates ? "the first " + std::to_string(kMaxCandidates) + " found"
                                                : std::string("them")) +
                   " enter NMS (raise the threshold for fewer)");
        }
        const int kc = kept_counts_host_.get<int>()[k];
        r.detections.resize(kc);
        std::memcpy(static_cast<void*>(r.detections.data()), kept_host_.get<GpuDetection>() + size_t(k) * kNmsTopK,
                    sizeof(GpuDetection) * kc);
      }
      size_t off = 0;
      for (const Head& h : net_.heads) {
        if (h.kind != Head::Kind::Segmentation) continue;
        const Shape& s = net_.layers[h.source].output;
        SegmentationMask m;
        m.head_layer = h.layer;
        m.width = s.w;
        m.height = s.h;
        const size_t px = size_t(s.h) * s.w;
        m.class_ids.assign(masks_host_.get<uint8_t>() + off + k * px, masks_host_.get<uint8_t>() + off + (k + 1) * px);
        r.masks.push_back(std::move(m));
        off += px * n;
      }
    }
  }
  return results;
}

static_assert(sizeof(GpuDetection) == sizeof(Detection) && offsetof(GpuDetection, score) == offsetof(Detection, score) &&
                  offsetof(GpuDetection, height) == offsetof(Detection, height),
              "GpuDetection must match lightnet::Detection");

}  // namespace
}  // namespace cuda

std::unique_ptr<Engine> make_cuda_engine(const Network& net, const BuildOptions& options,
                                         const ProgressCallback& progress) {
  return std::make_unique<cuda::CudaEngine>(net, options, progress);
}

}  // namespace lightnet
