#include "cuda/cudnn_graph_conv.h"

#include <cuda_fp16.h>

#include <algorithm>
#include <cstdlib>
#include <stdexcept>
#include <string>

#include "common/env_switch.h"
#include "cuda/cuda_check.h"

namespace lightnet::cuda {
namespace {

enum Uid : int64_t { kX = 1, kW = 2, kB = 3, kY = 4, kConvOut = 5, kBiasOut = 6 };

// How many of cuDNN's configs (in its heuristic's order) are timed per layer: LIGHTNET_CUDNN_CANDIDATES, 20 by
// default. On the H200, timing them as the network runs and 20 instead of 5 took 3–4 % off the networks
// (BENCHMARKS.md, session 10), several of the picks lying beyond the first five. Of those, at most
// LIGHTNET_CUDNN_COMPILED (3 by default) may compile their kernel when finalized (runtime fusion). On a fresh
// machine, whose CUDA JIT cache is cold, each such compile took 0.6 s (session 13: 15 of them, 9 of a 23.5 s
// build); only the YOLO heads' 1x1 convs were offered any, and the picks among them were their first three.
int max_timed_candidates() { return env_count("LIGHTNET_CUDNN_CANDIDATES", 20, 1, 1000); }
int max_compiled_candidates() { return env_count("LIGHTNET_CUDNN_COMPILED", 3, 0, 1000); }

cudnnDataType_t cudnn_type(DType dt) { return dt == DType::F32 ? CUDNN_DATA_FLOAT : CUDNN_DATA_HALF; }

void set(const BackendDesc& d, cudnnBackendAttributeName_t name, cudnnBackendAttributeType_t type, int64_t count,
         const void* value) {
  LN_CUDNN(cudnnBackendSetAttribute(d.get(), name, type, count, value));
}
void set_desc(const BackendDesc& d, cudnnBackendAttributeName_t name, const BackendDesc& value) {
  cudnnBackendDescriptor_t v = value.get();
  set(d, name, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &v);
}

// Largest power-of-two byte alignment (≤ 16) that the pointer and the pixel stride both honour.
int64_t alignment(const View& v, DType dt) {
  const int64_t es = int64_t(dtype_size(dt));
  int64_t a = 16;
  while (a > es && ((reinterpret_cast<uintptr_t>(v.data) % a) != 0 || (v.pixel_stride * es) % a != 0)) a /= 2;
  return a;
}

BackendDesc tensor(int64_t uid, cudnnDataType_t type, int n, int c, int h, int w, int64_t batch_stride,
                   int64_t pixel_stride, int64_t align, bool is_virtual) {
  BackendDesc t(CUDNN_BACKEND_TENSOR_DESCRIPTOR);
  const int64_t dims[4] = {n, c, h, w};
  const int64_t strides[4] = {batch_stride, 1, int64_t(w) * pixel_stride, pixel_stride};
  set(t, CUDNN_ATTR_TENSOR_DATA_TYPE, CUDNN_TYPE_DATA_TYPE, 1, &type);
  set(t, CUDNN_ATTR_TENSOR_DIMENSIONS, CUDNN_TYPE_INT64, 4, dims);
  set(t, CUDNN_ATTR_TENSOR_STRIDES, CUDNN_TYPE_INT64, 4, strides);
  set(t, CUDNN_ATTR_TENSOR_UNIQUE_ID, CUDNN_TYPE_INT64, 1, &uid);
  set(t, CUDNN_ATTR_TENSOR_BYTE_ALIGNMENT, CUDNN_TYPE_INT64, 1, &align);
  set(t, CUDNN_ATTR_TENSOR_IS_VIRTUAL, CUDNN_TYPE_BOOLEAN, 1, &is_virtual);
  LN_CUDNN(cudnnBackendFinalize(t.get()));
  return t;
}

BackendDesc view_tensor(int64_t uid, const View& v, DType dt) {
  return tensor(uid, cudnn_type(dt), v.n, v.c, v.h, v.w, v.batch_stride, v.pixel_stride, alignment(v, dt), false);
}

BackendDesc pointwise(cudnnPointwiseMode_t mode, double relu_slope = 0) {
  BackendDesc p(CUDNN_BACKEND_POINTWISE_DESCRIPTOR);
  cudnnDataType_t prec = CUDNN_DATA_FLOAT;
  set(p, CUDNN_ATTR_POINTWISE_MODE, CUDNN_TYPE_POINTWISE_MODE, 1, &mode);
  set(p, CUDNN_ATTR_POINTWISE_MATH_PREC, CUDNN_TYPE_DATA_TYPE, 1, &prec);
  if (relu_slope != 0) set(p, CUDNN_ATTR_POINTWISE_RELU_LOWER_CLIP_SLOPE, CUDNN_TYPE_DOUBLE, 1, &relu_slope);
  LN_CUDNN(cudnnBackendFinalize(p.get()));
  return p;
}

BackendDesc pointwise_op(const BackendDesc& pw, const BackendDesc& x, const BackendDesc* b, const BackendDesc& y) {
  BackendDesc op(CUDNN_BACKEND_OPERATION_POINTWISE_DESCRIPTOR);
  set_desc(op, CUDNN_ATTR_OPERATION_POINTWISE_PW_DESCRIPTOR, pw);
  set_desc(op, CUDNN_ATTR_OPERATION_POINTWISE_XDESC, x);
  if (b) set_desc(op, CUDNN_ATTR_OPERATION_POINTWISE_BDESC, *b);
  set_desc(op, CUDNN_ATTR_OPERATION_POINTWISE_YDESC, y);
  LN_CUDNN(cudnnBackendFinalize(op.get()));
  return op;
}

// True when cuDNN lists `note` among the engine's notes of one kind (numerical or behaviour: `attribute`, `type`,
// `kinds` values) for the engine behind `cfg`, or cannot say.
template <class Note>
bool engine_lists(const BackendDesc& cfg, cudnnBackendAttributeName_t attribute, cudnnBackendAttributeType_t type,
                  int kinds, Note note) {
  BackendDesc engine(CUDNN_BACKEND_ENGINE_DESCRIPTOR);
  cudnnBackendDescriptor_t e = engine.get();
  int64_t n = 0;
  if (cudnnBackendGetAttribute(cfg.get(), CUDNN_ATTR_ENGINECFG_ENGINE, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &n, &e) !=
      CUDNN_STATUS_SUCCESS)
    return true;
  std::vector<Note> notes(static_cast<size_t>(kinds));
  if (cudnnBackendGetAttribute(e, attribute, type, kinds, &n, notes.data()) != CUDNN_STATUS_SUCCESS) return true;
  for (int64_t i = 0; i < n; ++i)
    if (notes[size_t(i)] == note) return true;
  return false;
}

bool has_note(const BackendDesc& cfg, cudnnBackendNumericalNote_t note) {
  return engine_lists(cfg, CUDNN_ATTR_ENGINE_NUMERICAL_NOTE, CUDNN_TYPE_NUMERICAL_NOTE, CUDNN_NUMERICAL_NOTE_TYPE_COUNT,
                      note);
}

// True when the engine behind `cfg` compiles its kernel at finalize time (or cuDNN cannot say).
bool compiles_at_runtime(const BackendDesc& cfg) {
  return engine_lists(cfg, CUDNN_ATTR_ENGINE_BEHAVIOR_NOTE, CUDNN_TYPE_BEHAVIOR_NOTE, CUDNN_BEHAVIOR_NOTE_TYPE_COUNT,
                      CUDNN_BEHAVIOR_NOTE_RUNTIME_COMPILATION);
}

}  // namespace

BackendDesc::BackendDesc(cudnnBackendDescriptorType_t type) { LN_CUDNN(cudnnBackendCreateDescriptor(type, &d_)); }
BackendDesc::~BackendDesc() { if (d_) cudnnBackendDestroyDescriptor(d_); }
BackendDesc& BackendDesc::operator=(BackendDesc&& o) noexcept {
  if (this != &o) {
    if (d_) cudnnBackendDestroyDescriptor(d_);
    d_ = o.d_;
    o.d_ = nullptr;
  }
  return *this;
}

DeviceBuffer upload_values(const std::vector<float>& v, DType dt) {
  DeviceBuffer buf(std::max<size_t>(v.size() * dtype_size(dt), 16));
  if (dt == DType::F32) {
    LN_CUDA(cudaMemcpy(buf.get(), v.data(), v.size() * 4, cudaMemcpyHostToDevice));
  } else {
    std::vector<__half> h(v.size());
    for (size_t i = 0; i < v.size(); ++i) h[i] = __float2half_rn(v[i]);
    LN_CUDA(cudaMemcpy(buf.get(), h.data(), h.size() * 2, cudaMemcpyHostToDevice));
  }
  return buf;
}

DeviceBuffer upload_filter(const Layer& layer, int in_channels, DType dt) {
  const auto& p = layer.as<ConvParams>();
  const int k = p.filters, g = p.groups, r = p.size, c_ir = layer.input_shapes.at(0).c / g, c_pad = in_channels / g;
  if (layer.weights.size() != size_t(k) * c_ir * r * r || layer.bias.size() != size_t(k))
    throw std::runtime_error("layer " + std::to_string(layer.index) + " (convolutional): weights not loaded");
  std::vector<float> krsc(size_t(k) * r * r * c_pad, 0.f);
  for (int o = 0; o < k; ++o)
    for (int c = 0; c < c_ir; ++c)
      for (int y = 0; y < r; ++y)
        for (int x = 0; x < r; ++x)
          krsc[((size_t(o) * r + y) * r + x) * c_pad + c] = layer.weights[((size_t(o) * c_ir + c) * r + y) * r + x];
  return upload_values(krsc, dt);
}

GraphConv::GraphConv(const Layer& layer, int in_channels, DType dt)
    : layer_(&layer), dt_(dt), in_channels_(in_channels) {
  weights_ = upload_filter(layer, in_channels, dt);
  bias_ = upload_values(layer.bias, dt);
}

std::vector<BackendDesc> GraphConv::candidates(cudnnHandle_t h, const View& in, const View& out, bool& epilogue,
                                               std::vector<BackendDesc>& keep) const {
  const auto& p = layer_->as<ConvParams>();
  const int k = p.filters, cg = in_channels_ / p.groups;
  const cudnnDataType_t io = cudnn_type(dt_);
  BackendDesc x = view_tensor(kX, in, dt_), y = view_tensor(kY, out, dt_);
  BackendDesc w = tensor(kW, io, k, cg, p.size, p.size, int64_t(p.size) * p.size * cg, cg, 16, false);
  BackendDesc b = tensor(kB, io, 1, k, 1, 1, k, k, 16, false);
  const int64_t packed = int64_t(out.h) * out.w * k;
  BackendDesc conv_out = tensor(kConvOut, CUDNN_DATA_FLOAT, out.n, k, out.h, out.w, packed, k, 16, true);

  BackendDesc conv(CUDNN_BACKEND_CONVOLUTION_DESCRIPTOR);
  {
    cudnnDataType_t comp = CUDNN_DATA_FLOAT;
    cudnnConvolutionMode_t mode = CUDNN_CROSS_CORRELATION;
    int64_t dims = 2, pad[2] = {p.padding, p.padding}, stride[2] = {p.stride_y, p.stride_x},
            dil[2] = {p.dilation, p.dilation};
    set(conv, CUDNN_ATTR_CONVOLUTION_COMP_TYPE, CUDNN_TYPE_DATA_TYPE, 1, &comp);
    set(conv, CUDNN_ATTR_CONVOLUTION_CONV_MODE, CUDNN_TYPE_CONVOLUTION_MODE, 1, &mode);
    set(conv, CUDNN_ATTR_CONVOLUTION_SPATIAL_DIMS, CUDNN_TYPE_INT64, 1, &dims);
    set(conv, CUDNN_ATTR_CONVOLUTION_PRE_PADDINGS, CUDNN_TYPE_INT64, 2, pad);
    set(conv, CUDNN_ATTR_CONVOLUTION_POST_PADDINGS, CUDNN_TYPE_INT64, 2, pad);
    set(conv, CUDNN_ATTR_CONVOLUTION_FILTER_STRIDES, CUDNN_TYPE_INT64, 2, stride);
    set(conv, CUDNN_ATTR_CONVOLUTION_DILATIONS, CUDNN_TYPE_INT64, 2, dil);
    LN_CUDNN(cudnnBackendFinalize(conv.get()));
  }
  BackendDesc conv_op(CUDNN_BACKEND_OPERATION_CONVOLUTION_FORWARD_DESCRIPTOR);
  {
    float alpha = 1.f, beta = 0.f;
    set_desc(conv_op, CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_X, x);
    set_desc(conv_op, CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_W, w);
    set_desc(conv_op, CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_Y, conv_out);
    set_desc(conv_op, CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_CONV_DESC, conv);
    set(conv_op, CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_ALPHA, CUDNN_TYPE_FLOAT, 1, &alpha);
    set(conv_op, CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_BETA, CUDNN_TYPE_FLOAT, 1, &beta);
    LN_CUDNN(cudnnBackendFinalize(conv_op.get()));
  }
  // conv → + bias → activation; mish has no pointwise mode: its kernel runs after the graph.
  std::vector<BackendDesc> ops;
  ops.push_back(std::move(conv_op));
  const Activation act = p.activation;
  epilogue = act == Activation::Mish;
  const bool in_graph_act = !(act == Activation::Linear || act == Activation::Mish);
  BackendDesc add = pointwise(CUDNN_POINTWISE_ADD);
  BackendDesc bias_out = tensor(kBiasOut, CUDNN_DATA_FLOAT, out.n, k, out.h, out.w, packed, k, 16, true);
  ops.push_back(pointwise_op(add, conv_out, &b, in_graph_act ? bias_out : y));
  BackendDesc act_pw;
  if (in_graph_act) {
    switch (act) {
      case Activation::Relu: act_pw = pointwise(CUDNN_POINTWISE_RELU_FWD); break;
      case Activation::Leaky: act_pw = pointwise(CUDNN_POINTWISE_RELU_FWD, 0.1); break;
      case Activation::Logistic: act_pw = pointwise(CUDNN_POINTWISE_SIGMOID_FWD); break;
      case Activation::Swish: act_pw = pointwise(CUDNN_POINTWISE_SWISH_FWD); break;
      default: break;
    }
    ops.push_back(pointwise_op(act_pw, bias_out, nullptr, y));
  }

  BackendDesc graph(CUDNN_BACKEND_OPERATIONGRAPH_DESCRIPTOR);
  std::vector<cudnnBackendDescriptor_t> raw;
  for (auto& o : ops) raw.push_back(o.get());
  set(graph, CUDNN_ATTR_OPERATIONGRAPH_OPS, CUDNN_TYPE_BACKEND_DESCRIPTOR, int64_t(raw.size()), raw.data());
  set(graph, CUDNN_ATTR_OPERATIONGRAPH_HANDLE, CUDNN_TYPE_HANDLE, 1, &h);
  LN_CUDNN(cudnnBackendFinalize(graph.get()));

  BackendDesc heur(CUDNN_BACKEND_ENGINEHEUR_DESCRIPTOR);
  // LIGHTNET_CUDNN_HEUR=B asks cuDNN's slower, more accurate heuristic (for comparing in benchmarks).
  const char* heur_env = std::getenv("LIGHTNET_CUDNN_HEUR");
  cudnnBackendHeurMode_t mode = heur_env && std::string(heur_env) == "B" ? CUDNN_HEUR_MODE_B : CUDNN_HEUR_MODE_A;
  set_desc(heur, CUDNN_ATTR_ENGINEHEUR_OPERATION_GRAPH, graph);
  set(heur, CUDNN_ATTR_ENGINEHEUR_MODE, CUDNN_TYPE_HEUR_MODE, 1, &mode);
  LN_CUDNN(cudnnBackendFinalize(heur.get()));
  int64_t count = 0;
  LN_CUDNN(cudnnBackendGetAttribute(heur.get(), CUDNN_ATTR_ENGINEHEUR_RESULTS, CUDNN_TYPE_BACKEND_DESCRIPTOR, 0,
                                    &count, nullptr));
  std::vector<BackendDesc> cfgs;
  std::vector<cudnnBackendDescriptor_t> raw_cfgs;
  for (int64_t i = 0; i < count; ++i) {
    cfgs.emplace_back(CUDNN_BACKEND_ENGINECFG_DESCRIPTOR);
    raw_cfgs.push_back(cfgs.back().get());
  }
  int64_t got = 0;
  if (count > 0)
    LN_CUDNN(cudnnBackendGetAttribute(heur.get(), CUDNN_ATTR_ENGINEHEUR_RESULTS, CUDNN_TYPE_BACKEND_DESCRIPTOR, count,
                                      &got, raw_cfgs.data()));
  cfgs.resize(size_t(got));
  // The configs refer to the graph and its tensors: keep them alive as long as the plans.
  keep.push_back(std::move(x)); keep.push_back(std::move(y)); keep.push_back(std::move(w)); keep.push_back(std::move(b));
  keep.push_back(std::move(conv_out)); keep.push_back(std::move(bias_out)); keep.push_back(std::move(conv));
  keep.push_back(std::move(add));
  if (act_pw.get()) keep.push_back(std::move(act_pw));
  for (auto& o : ops) keep.push_back(std::move(o));
  keep.push_back(std::move(graph)); keep.push_back(std::move(heur));
  return cfgs;
}

int GraphConv::prepare(cudnnHandle_t h, const View& in, const View& out, int choice, void* workspace, size_t ws_limit,
                       cudaStream_t s, const Timer& timer) {
  const int wanted = choice >= 0 ? 1 : max_timed_candidates();  // (a bad LIGHTNET_CUDNN_CANDIDATES throws here)
  const int max_compiled = choice >= 0 ? 0 : max_compiled_candidates();  // (a cached choice is not capped)
  plans_.erase(in.n);
  bool epilogue = false;
  std::vector<BackendDesc> keep;
  std::vector<BackendDesc> cfgs;
  try {
    cfgs = candidates(h, in, out, epilogue, keep);
  } catch (const std::runtime_error&) {
    return -1;  // cuDNN cannot express this graph (e.g. these strides): the legacy path takes over
  }
  struct Made { int index; BackendDesc plan; size_t ws; };
  std::vector<Made> made;
  if (choice < 0) tuning_ = Tuning{int(cfgs.size()), 0, 0};
  int compiled_made = 0;  // timed configs that compiled their kernel
  for (int i = 0; i < int(cfgs.size()) && int(made.size()) < wanted; ++i) {
    if (choice >= 0 && i != choice) continue;
    if (dt_ == DType::F32 && has_note(cfgs[i], CUDNN_NUMERICAL_NOTE_TENSOR_CORE)) continue;  // no TF32 in FP32
    // Same input, same output, run after run (replayed bags compare): no engine that sums in a racy order.
    if (has_note(cfgs[i], CUDNN_NUMERICAL_NOTE_NONDETERMINISTIC)) {
      tuning_.nondeterministic += choice < 0;
      continue;
    }
    const bool compiled = choice < 0 && compiles_at_runtime(cfgs[i]);
    if (compiled && compiled_made >= max_compiled) continue;
    BackendDesc plan(CUDNN_BACKEND_EXECUTION_PLAN_DESCRIPTOR);
    cudnnBackendDescriptor_t cfg = cfgs[i].get();
    if (cudnnBackendSetAttribute(plan.get(), CUDNN_ATTR_EXECUTION_PLAN_HANDLE, CUDNN_TYPE_HANDLE, 1, &h) ||
        cudnnBackendSetAttribute(plan.get(), CUDNN_ATTR_EXECUTION_PLAN_ENGINE_CONFIG, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1,
                                 &cfg) ||
        cudnnBackendFinalize(plan.get()))
      continue;
    int64_t ws = 0, n = 0;
    if (cudnnBackendGetAttribute(plan.get(), CUDNN_ATTR_EXECUTION_PLAN_WORKSPACE_SIZE, CUDNN_TYPE_INT64, 1, &n, &ws) ||
        size_t(ws) > ws_limit)
      continue;
    made.push_back({i, std::move(plan), size_t(ws)});
    compiled_made += compiled;
  }
  if (made.empty()) return -1;
  if (choice < 0) tuning_.timed = int(made.size()), tuning_.compiled = compiled_made;

  // Time each candidate on the real buffers: with the timer, or one warm-up, then the best of three.
  int best = -1;
  float best_ms = 0;
  cudaEvent_t a, b;
  LN_CUDA(cudaEventCreate(&a));
  LN_CUDA(cudaEventCreate(&b));
  for (size_t m = 0; m < made.size(); ++m) {
    Plan trial;
    trial.plan = std::move(made[m].plan);
    trial.workspace = made[m].ws;
    trial.epilogue = epilogue;
    plans_[in.n] = std::move(trial);
    float ms = 1e30f;
    try {
      if (timer && made.size() > 1) {
        ms = timer([&] { run(h, in, out, workspace, s); });
      } else {
        run(h, in, out, workspace, s);
      }
      for (int rep = 0; rep < (made.size() > 1 && !timer ? 3 : 0); ++rep) {
        LN_CUDA(cudaEventRecord(a, s));
        run(h, in, out, workspace, s);
        LN_CUDA(cudaEventRecord(b, s));
        LN_CUDA(cudaEventSynchronize(b));
        float t = 0;
        LN_CUDA(cudaEventElapsedTime(&t, a, b));
        ms = std::min(ms, t);
      }
      LN_CUDA(cudaStreamSynchronize(s));
    } catch (const std::runtime_error&) {
      ms = -1;
    }
    made[m].plan = std::move(plans_[in.n].plan);
    if (ms >= 0 && (best < 0 || ms < best_ms)) { best = int(m); best_ms = ms; }
  }
  cudaEventDestroy(a);
  cudaEventDestroy(b);
  plans_.erase(in.n);
  if (best < 0) return -1;
  Plan chosen;
  chosen.plan = std::move(made[best].plan);
  chosen.workspace = made[best].ws;
  chosen.epilogue = epilogue;
  plans_[in.n] = std::move(chosen);
  for (auto& c : cfgs) keep.push_back(std::move(c));
  graph_keep_[in.n] = std::move(keep);
  return made[best].index;
}

size_t GraphConv::workspace(int batch) const {
  auto it = plans_.find(batch);
  return it == plans_.end() ? 0 : it->second.workspace;
}

std::shared_ptr<BackendDesc> GraphConv::bind(const View& in, const View& out, void* workspace) const {
  auto pack = std::make_shared<BackendDesc>(CUDNN_BACKEND_VARIANT_PACK_DESCRIPTOR);
  int64_t uids[4] = {kX, kW, kB, kY};
  void* ptrs[4] = {in.data, weights_.get(), bias_.get(), out.data};
  set(*pack, CUDNN_ATTR_VARIANT_PACK_UNIQUE_IDS, CUDNN_TYPE_INT64, 4, uids);
  set(*pack, CUDNN_ATTR_VARIANT_PACK_DATA_POINTERS, CUDNN_TYPE_VOID_PTR, 4, ptrs);
  set(*pack, CUDNN_ATTR_VARIANT_PACK_WORKSPACE, CUDNN_TYPE_VOID_PTR, 1, &workspace);
  LN_CUDNN(cudnnBackendFinalize(pack->get()));
  return pack;
}

void GraphConv::run(cudnnHandle_t h, const BackendDesc& pack, const View& in, const View& out, cudaStream_t s) const {
  const Plan& p = plans_.at(in.n);
  LN_CUDNN(cudnnBackendExecute(h, p.plan.get(), pack.get()));
  if (p.epilogue) launch_bias_act(out, nullptr, layer_->as<ConvParams>().activation, dt_, s);
}

}  // namespace lightnet::cuda
