// The fast CPU path: oneDNN convolutions with fused post-ops on channel-blocked activations (nChw16c on
// AVX-512, nChw8c below: the layout oneDNN's fp32 JIT kernels run on), planned once per batch size:
//   - every activation lives in one arena; offsets come from a liveness plan (buffers reused when dead);
//   - [route] concatenation is zero-copy where it can be: at batch 1 with channel counts that are multiples of
//     the block, the producers write straight into their channel slice of the concat buffer; otherwise a copy;
//   - [route] of one layer, [dropout], [yolo] and [softmax] alias their input;
//   - conv → [shortcut] fuses into the conv as a `sum` post-op when nothing else reads the conv output;
//   - activations are eltwise post-ops (leaky = relu with alpha 0.1);
//   - weights are reordered once into the format the convolution primitive picked (format_tag::any).
#ifdef LIGHTNET_WITH_ONEDNN
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <stdexcept>
#include <string>

#include <dnnl.hpp>

#include "cpu/activation.h"
#include "cpu/executor.h"
#include "cpu/maxpool.h"
#include "cpu/memory_plan.h"
#include "cpu/onednn_eltwise.h"
#include "cpu/onednn_isa.h"
#include "cpu/upsample.h"
#ifdef _OPENMP
#include <omp.h>
#endif

namespace lightnet::cpu {

namespace {

using dnnl::memory;
using tag = memory::format_tag;
constexpr size_t kAlign = 64;

struct AlignedFree {
  void operator()(float* p) const { std::free(p); }
};

void append_activation(dnnl::post_ops& ops, Activation a) {
  float alpha;
  dnnl::algorithm alg = eltwise_of(a, alpha);
  if (alg != dnnl::algorithm::undef) ops.append_eltwise(1.f, alg, alpha, 0.f);
}

std::string layer_error(const Layer& l, const std::string& what) {
  return "layer " + std::to_string(l.index) + " [" + to_string(l.type) + "] (cfg line " +
         std::to_string(l.cfg_line) + "): " + what;
}

// A tensor's storage: its own planned block, an alias of another tensor, or a slice of a concat buffer.
struct TensorPlan {
  memory::desc md;
  int alias = -1;                // shares another tensor's storage (same layout, offset 0)
  int host = -1;                 // lives inside another tensor's storage …
  size_t host_offset = 0;        // … at this byte offset
  int def = 0, last = -1;        // first write / last read, in layer-index time
  bool external = false;         // the network input: user memory, not in the arena
};

struct Step {
  int layer;
  std::function<void()> run;
};

// Everything needed to run one batch size.
struct Plan {
  int batch = 0;
  std::vector<Step> steps;
  std::unique_ptr<float, AlignedFree> arena;
  size_t arena_bytes = 0;
  memory input;                  // user NCHW input (handle set per run)
  std::vector<memory> outputs;   // user NCHW outputs (handles set per run)
};

class OnednnExecutor : public Executor {
 public:
  OnednnExecutor(const Network& net, const ExecutorOptions& options)
      : net_(net), options_(options), engine_(dnnl::engine::kind::cpu, 0), stream_(engine_) {
    for (const Layer& l : net.layers)
      if (l.type == LayerType::Convolutional && (l.weights.empty() || l.bias.empty()))
        throw std::invalid_argument(layer_error(l, "no weights (load or randomize weights first)"));
    profiler_.reset(net);
    set_threads();
    plans_[options.max_batch] = build(options.max_batch);
  }

  const char* name() const override { return "onednn"; }
  size_t workspace_bytes() const override {
    size_t bytes = 0;
    for (const auto& [batch, plan] : plans_) bytes += plan->arena_bytes;
    return bytes;
  }

  void run(const float* input, int batch, const std::vector<float*>& outputs) override {
    if (batch < 1 || batch > options_.max_batch)
      throw std::invalid_argument("batch: expected 1.." + std::to_string(options_.max_batch) + ", found " +
                                  std::to_string(batch));
    set_threads();
    auto it = plans_.find(batch);
    if (it == plans_.end()) it = plans_.emplace(batch, build(batch)).first;
    Plan& plan = *it->second;
    plan.input.set_data_handle(const_cast<float*>(input));
    for (size_t i = 0; i < outputs.size(); ++i) plan.outputs[i].set_data_handle(outputs[i]);
    for (const Step& s : plan.steps) {
      if (!options_.profile) {
        s.run();
        continue;
      }
      auto t0 = std::chrono::steady_clock::now();
      s.run();
      stream_.wait();
      profiler_.add(s.layer, std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    }
    stream_.wait();
    if (options_.profile) profiler_.count_run();
  }

  std::vector<LayerTiming> take_profile() override { return profiler_.take(net_); }

 private:
  void set_threads() {
#ifdef _OPENMP
    if (options_.threads > 0) omp_set_num_threads(options_.threads);
#endif
  }

  memory::desc blocked_md(int n, const Shape& s) const {
    return memory::desc({n, s.c, s.h, s.w}, memory::data_type::f32, block_ == 16 ? tag::nChw16c : tag::nChw8c);
  }

  // Storage root of tensor t and the byte offset of t within it.
  std::pair<int, size_t> resolve(const std::vector<TensorPlan>& t, int id) const {
    size_t off = 0;
    while (true) {
      if (t[id].alias >= 0) id = t[id].alias;
      else if (t[id].host >= 0) off += t[id].host_offset, id = t[id].host;
      else return {id, off};
    }
  }

  std::unique_ptr<Plan> build(int N);

  // The convolution primitive for `l` with its activation fused, and when `shortcut` is given the shortcut's
  // sum and activation too. Weights format is left to oneDNN.
  dnnl::convolution_forward::primitive_desc conv_pd(const Layer& l, const memory::desc& src_md,
                                                    const memory::desc& dst_md, const Layer* shortcut) const {
    const ConvParams& p = l.as<ConvParams>();
    const Shape& is = l.input_shapes[0];
    const Shape& os = l.output;
    dnnl::post_ops ops;
    append_activation(ops, p.activation);
    if (shortcut) {
      ops.append_sum(1.f);
      append_activation(ops, shortcut->as<ShortcutParams>().activation);
    }
    dnnl::primitive_attr attr;
    attr.set_post_ops(ops);
    const int K = p.size, G = p.groups;
    memory::dims wdims = G == 1 ? memory::dims{os.c, is.c, K, K} : memory::dims{G, os.c / G, is.c / G, K, K};
    memory::desc w_any(wdims, memory::data_type::f32, tag::any);
    memory::desc b_md({os.c}, memory::data_type::f32, tag::x);
    memory::dims strides{p.stride_y, p.stride_x}, dil{p.dilation - 1, p.dilation - 1};
    const int ext = (K - 1) * p.dilation + 1;
    memory::dims pad_l{p.padding, p.padding};
    memory::dims pad_r{(os.h - 1) * p.stride_y + ext - is.h - p.padding,
                       (os.w - 1) * p.stride_x + ext - is.w - p.padding};
    dnnl::convolution_forward::desc d(dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct,
                                      src_md, w_any, b_md, dst_md, strides, dil, pad_l, pad_r);
    return dnnl::convolution_forward::primitive_desc(d, attr, engine_);
  }

  const Network& net_;
  ExecutorOptions options_;
  const int block_ = onednn_channel_block();  // channels per block of every activation
  dnnl::engine engine_;
  dnnl::stream stream_;
  std::map<int, std::unique_ptr<Plan>> plans_;
  std::vector<memory> weights_;  // reordered conv weights and biases, kept alive by the plans' steps too
  Profiler profiler_;
};

std::unique_ptr<Plan> OnednnExecutor::build(int N) {
  auto plan = std::make_unique<Plan>();
  plan->batch = N;
  const int L = int(net_.layers.size());
  const int kInput = L;  // tensor id of the network input (NCHW, user memory)
  std::vector<TensorPlan> T(L + 1);
  T[kInput].md = memory::desc({N, net_.input.c, net_.input.h, net_.input.w}, memory::data_type::f32, tag::nchw);
  T[kInput].external = true;
  T[kInput].def = -1;
  auto tid = [&](int layer_index) { return layer_index < 0 ? kInput : layer_index; };

  // Consumers of each tensor (requested outputs count as a consumer at time L).
  std::vector<int> readers(L + 1, 0);
  for (const Layer& l : net_.layers)
    for (int i : l.inputs) readers[tid(i)]++;
  std::vector<bool> is_output(L + 1, false);
  for (int o : options_.outputs) is_output[o] = true, readers[o]++;

  // 1. Layouts and aliases.
  std::vector<bool> passthrough_of(L, false);
  for (const Layer& l : net_.layers) {
    TensorPlan& t = T[l.index];
    t.def = l.index;
    bool passthrough = l.type == LayerType::Dropout || l.type == LayerType::Yolo || l.type == LayerType::Softmax ||
                       (l.type == LayerType::Route && l.inputs.size() == 1 && l.as<RouteParams>().groups == 1);
    if (passthrough && !T[tid(l.inputs[0])].external) {
      passthrough_of[l.index] = true;
      t.alias = tid(l.inputs[0]);
      t.md = T[t.alias].md;
    } else {
      t.md = blocked_md(N, l.output);
    }
  }

  // 2. conv → shortcut fusion: the conv writes the shortcut's tensor with a sum post-op.
  std::vector<int> fused_into(L, -1);  // conv layer → shortcut layer
  for (const Layer& l : net_.layers) {
    if (l.type != LayerType::Shortcut || l.inputs.size() != 2) continue;
    const int prev = l.inputs[0], from = l.inputs[1];
    if (prev < 0 || from < 0 || net_.layers[prev].type != LayerType::Convolutional) continue;
    if (readers[prev] != 1 || is_output[prev] || T[prev].alias >= 0 || T[from].alias >= 0) continue;
    if (!(net_.layers[from].output == l.output) || !(net_.layers[prev].output == l.output)) continue;
    // Fuse only where oneDNN has an optimised kernel for this post-op chain (e.g. activation, sum,
    // activation is not always offered); its reference kernel is far slower than a separate add.
    const int conv_src = tid(net_.layers[prev].inputs[0]);
    try {
      auto pd = conv_pd(net_.layers[prev], T[conv_src].md, T[l.index].md, &l);
      if (std::string(pd.impl_info_str()).find("ref") != std::string::npos) continue;
    } catch (const dnnl::error&) {
      continue;
    }
    fused_into[prev] = l.index;
    T[prev].alias = l.index;  // the conv's own output is never materialised
    T[l.index].def = prev;
  }

  // 3. Zero-copy concat: at batch 1, a block-aligned channel slice of nChw16c / nChw8c is one contiguous range.
  std::vector<bool> placed(L + 1, false);
  std::vector<bool> route_copies(L, true);
  if (N == 1) {
    for (const Layer& l : net_.layers) {
      if (l.type != LayerType::Route || l.inputs.size() < 2 || l.as<RouteParams>().groups != 1) continue;
      bool aligned = true;
      for (const Shape& s : l.input_shapes) aligned = aligned && s.c % block_ == 0;
      if (!aligned) continue;
      size_t offset = 0;
      bool all_placed = true;
      for (size_t k = 0; k < l.inputs.size(); ++k) {
        int src = tid(l.inputs[k]);
        int root = src;
        while (T[root].alias >= 0) root = T[root].alias;
        // The producer must write a fresh block of its own, placed nowhere else, produced before this route.
        bool ok = !T[root].external && T[root].host < 0 && !placed[root] && root < l.index &&
                  net_.layers[root].type != LayerType::Route &&
                  T[root].md == T[src].md;
        for (int other = 0; ok && other <= L; ++other) ok = T[other].host != root;  // not itself a host
        if (ok) {
          T[root].host = l.index;
          T[root].host_offset = offset;
          placed[root] = true;
        } else {
          all_placed = false;
        }
        offset += T[src].md.get_size();
      }
      route_copies[l.index] = !all_placed;
    }
  }

  // 4. Steps, in layer order.
  auto mem = [&](int id) { return memory(T[id].md, engine_, DNNL_MEMORY_NONE); };
  std::vector<memory> M(L + 1);
  M[kInput] = plan->input = memory(T[kInput].md, engine_, DNNL_MEMORY_NONE);
  for (int i = 0; i < L; ++i) M[i] = mem(i);
  // Aliases share the memory object; placed tensors get their handles after planning.
  for (int i = 0; i < L; ++i) {
    int r = i;
    while (T[r].alias >= 0) r = T[r].alias;
    if (r != i) M[i] = M[r];
  }
  auto use = [&](int id, int time) {
    T[id].last = std::max(T[id].last, time);
    int r = id;
    while (T[r].alias >= 0) r = T[r].alias, T[r].last = std::max(T[r].last, time);
  };
  int blocked_input = -1;  // tensor id of the input reordered to the blocked layout, created on demand
  std::vector<memory> extra_mem;  // memories of extra tensors (id > L)
  auto blocked_src = [&](int id, int time) -> int {
    if (!T[id].external) return id;
    if (blocked_input < 0) {
      blocked_input = int(T.size());
      TensorPlan t;
      t.md = blocked_md(N, net_.input);
      t.def = -1;
      T.push_back(t);
      M.push_back(memory(t.md, engine_, DNNL_MEMORY_NONE));
      dnnl::reorder r(M[kInput], M[blocked_input]);
      memory from = M[kInput], to = M[blocked_input];
      plan->steps.push_back({0, [this, r, from, to]() mutable { r.execute(stream_, from, to); }});
      use(kInput, -1);
    }
    use(blocked_input, time);
    return blocked_input;
  };

  for (const Layer& l : net_.layers) {
    const int out = fused_into[l.index] >= 0 ? fused_into[l.index] : l.index;
    if (passthrough_of[l.index]) {  // pass-through: nothing to run
      use(tid(l.inputs[0]), l.index);
      continue;
    }
    switch (l.type) {
      case LayerType::Convolutional: {
        const ConvParams& p = l.as<ConvParams>();
        const Shape& is = l.input_shapes[0];
        const Shape& os = l.output;
        int src = tid(l.inputs[0]);
        const Layer* sc = out != l.index ? &net_.layers[out] : nullptr;
        auto make_pd = [&](const memory::desc& src_md) { return conv_pd(l, src_md, T[out].md, sc); };
        dnnl::convolution_forward::primitive_desc pd;
        try {
          pd = make_pd(T[src].md);
          // The plain NCHW network input suits the first layer's kernels (3 input channels); should oneDNN
          // only offer its reference kernel for it, feed a blocked copy instead.
          if (T[src].external && std::string(pd.impl_info_str()).find("ref") != std::string::npos) {
            src = blocked_src(src, l.index);
            pd = make_pd(T[src].md);
          }
        } catch (const dnnl::error& e) {
          throw std::runtime_error(layer_error(l, std::string("oneDNN convolution: ") + e.what()));
        }
        use(src, l.index);
        profiler_.note(l.index, pd.impl_info_str());
        const int K = p.size, G = p.groups;
        memory::dims wdims = G == 1 ? memory::dims{os.c, is.c, K, K} : memory::dims{G, os.c / G, is.c / G, K, K};
        memory::desc b_md({os.c}, memory::data_type::f32, tag::x);
        // Weights: darknet [oc][ic/g][k][k] = oihw / goihw, reordered once into the primitive's format.
        memory w_user({wdims, memory::data_type::f32, G == 1 ? tag::oihw : tag::goihw}, engine_,
                      const_cast<float*>(l.weights.data()));
        memory w(pd.weights_desc(), engine_);
        dnnl::reorder(w_user, w).execute(stream_, w_user, w);
        memory b(b_md, engine_);
        std::memcpy(b.get_data_handle(), l.bias.data(), sizeof(float) * os.c);
        stream_.wait();
        weights_.push_back(w);
        weights_.push_back(b);
        dnnl::convolution_forward conv(pd);
        memory s = M[src], d = M[out];
        if (sc) {
          // sum post-op: the destination must hold the `from` tensor before the conv runs.
          const int from = sc->inputs[1];
          use(from, l.index);
          memory f = M[from];
          plan->steps.push_back({l.index, [this, conv, s, w, b, d, f]() mutable {
            std::memcpy(d.get_data_handle(), f.get_data_handle(), d.get_desc().get_size());
            conv.execute(stream_, {{DNNL_ARG_SRC, s}, {DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_BIAS, b}, {DNNL_ARG_DST, d}});
          }});
        } else {
          plan->steps.push_back({l.index, [this, conv, s, w, b, d]() mutable {
            conv.execute(stream_, {{DNNL_ARG_SRC, s}, {DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_BIAS, b}, {DNNL_ARG_DST, d}});
          }});
        }
        break;
      }
      case LayerType::Route: {
        const RouteParams& p = l.as<RouteParams>();
        std::vector<int> srcs;
        for (int i : l.inputs) srcs.push_back(blocked_src(tid(i), l.index)), use(srcs.back(), l.index);
        memory d = M[l.index];
        if (p.groups != 1) {  // one channel slice of one input
          if (srcs.size() != 1) throw std::runtime_error(layer_error(l, "groups with several layers is not supported"));
          const Shape& s = l.input_shapes[0];
          const int part = s.c / p.groups;
          memory::desc sub = T[srcs[0]].md.submemory_desc({N, part, s.h, s.w}, {0, part * p.group_id, 0, 0});
          memory sm = M[srcs[0]];
          try {
            dnnl::reorder::primitive_desc rpd(engine_, sub, engine_, T[l.index].md);
            dnnl::reorder r(rpd);
            plan->steps.push_back({l.index, [this, r, sm, d]() mutable { r.execute(stream_, sm, d); }});
          } catch (const dnnl::error& e) {
            throw std::runtime_error(layer_error(l, std::string("oneDNN channel-slice reorder: ") + e.what()));
          }
          break;
        }
        if (!route_copies[l.index]) break;  // every producer already wrote into its slice
        bool aligned = true;
        for (const Shape& s : l.input_shapes) aligned = aligned && s.c % block_ == 0;
        if (aligned) {
          // Blocked layout with block-aligned channel counts: per image, the concat is the inputs' chunks back to back.
          struct Part { memory m; size_t bytes, offset; bool placed; };
          std::vector<Part> parts;
          size_t offset = 0;
          for (size_t k = 0; k < srcs.size(); ++k) {
            int root = srcs[k];
            while (T[root].alias >= 0) root = T[root].alias;
            size_t bytes = T[srcs[k]].md.get_size() / N;
            parts.push_back({M[srcs[k]], bytes, offset, placed[root] && T[root].host == l.index});
            offset += bytes;
          }
          const size_t image_bytes = offset;
          plan->steps.push_back({l.index, [parts, d, N, image_bytes]() {
            char* dst = static_cast<char*>(d.get_data_handle());
            const long long jobs = (long long)N * parts.size();
#pragma omp parallel for schedule(static)
            for (long long j = 0; j < jobs; ++j) {
              const Part& part = parts[j % parts.size()];
              const size_t n = size_t(j / parts.size());
              if (part.placed) continue;
              std::memcpy(dst + n * image_bytes + part.offset,
                          static_cast<const char*>(part.m.get_data_handle()) + n * part.bytes, part.bytes);
            }
          }});
        } else {
          std::vector<memory::desc> mds;
          std::vector<memory> ms;
          for (int s : srcs) mds.push_back(T[s].md), ms.push_back(M[s]);
          dnnl::concat::primitive_desc cpd(T[l.index].md, 1, mds, engine_);
          dnnl::concat c(cpd);
          plan->steps.push_back({l.index, [this, c, ms, d]() mutable {
            std::unordered_map<int, memory> args{{DNNL_ARG_DST, d}};
            for (size_t k = 0; k < ms.size(); ++k) args[DNNL_ARG_MULTIPLE_SRC + int(k)] = ms[k];
            c.execute(stream_, args);
          }});
        }
        break;
      }
      case LayerType::Shortcut: {
        if (T[l.index].def != l.index) break;  // fused into its conv (which runs first, at def)
        std::vector<memory> ins;
        for (size_t k = 0; k < l.inputs.size(); ++k) {
          int s = blocked_src(tid(l.inputs[k]), l.index);
          use(s, l.index);
          if (!(l.input_shapes[k] == l.output))
            throw std::runtime_error(layer_error(l, "inputs of different shapes are not supported by this backend"));
          ins.push_back(M[s]);
        }
        memory d = M[l.index];
        const Activation act = l.as<ShortcutParams>().activation;
        const int C = l.output.c;
        const size_t pixels = size_t(l.output.h) * l.output.w;
        const int B = block_, blocks = (C + B - 1) / B;
        plan->steps.push_back({l.index, [ins, d, act, C, N, B, blocks, pixels]() {
          float* o = static_cast<float*>(d.get_data_handle());
          std::vector<const float*> src;
          for (const memory& m : ins) src.push_back(static_cast<const float*>(m.get_data_handle()));
          const long long jobs = (long long)N * blocks;
#pragma omp parallel for schedule(static)
          for (long long j = 0; j < jobs; ++j) {
            const int lanes = std::min(B, C - int(j % blocks) * B);  // padded lanes stay 0
            const size_t base = size_t(j) * pixels * B;
            for (size_t px = 0; px < pixels; ++px)
              for (int lane = 0; lane < B; ++lane) {
                const size_t k = base + px * B + lane;
                float v = 0;
                for (const float* p : src) v += p[k];
                o[k] = lane < lanes ? activate(act, v) : 0.f;
              }
          }
        }});
        break;
      }
      case LayerType::Upsample: {
        int s = blocked_src(tid(l.inputs[0]), l.index);
        use(s, l.index);
        memory sm = M[s], d = M[l.index];
        const Shape is = l.input_shapes[0];
        const int B = block_;
        const size_t planes = size_t(N) * ((is.c + B - 1) / B);
        const int stride = l.as<UpsampleParams>().stride;
        plan->steps.push_back({l.index, [sm, d, planes, is, stride, B]() {
          upsample_nearest(static_cast<const float*>(sm.get_data_handle()), static_cast<float*>(d.get_data_handle()),
                           planes, is.h, is.w, stride, B);
        }});
        break;
      }
      case LayerType::Maxpool: {
        int s = blocked_src(tid(l.inputs[0]), l.index);
        use(s, l.index);
        memory sm = M[s], d = M[l.index];
        const Shape is = l.input_shapes[0], os = l.output;
        const int B = block_;
        const size_t planes = size_t(N) * ((is.c + B - 1) / B);
        const MaxpoolParams p = l.as<MaxpoolParams>();
        plan->steps.push_back({l.index, [sm, d, planes, is, os, p, B]() {
          maxpool(p, static_cast<const float*>(sm.get_data_handle()), static_cast<float*>(d.get_data_handle()), planes,
                  is.h, is.w, os.h, os.w, B);
        }});
        break;
      }
      case LayerType::Dropout:
      case LayerType::Yolo:
      case LayerType::Softmax: {  // pass-through of the network input itself: copy into a blocked tensor
        int s = blocked_src(tid(l.inputs[0]), l.index);
        use(s, l.index);
        memory sm = M[s], d = M[l.index];
        plan->steps.push_back({l.index, [sm, d]() {
          std::memcpy(d.get_data_handle(), sm.get_data_handle(), d.get_desc().get_size());
        }});
        break;
      }
    }
  }

  // Requested outputs: reorder to the caller's NCHW buffers.
  for (int o : options_.outputs) {
    const Layer& l = net_.layers.at(o);
    memory user({{N, l.output.c, l.output.h, l.output.w}, memory::data_type::f32, tag::nchw}, engine_,
                DNNL_MEMORY_NONE);
    plan->outputs.push_back(user);
    use(o, L);
    memory s = M[o];
    dnnl::reorder r(s, user);
    int at = o;  // profile the copy-out under the head layer reading `o`, if any
    for (const Layer& h : net_.layers)
      if ((h.type == LayerType::Yolo || h.type == LayerType::Softmax) && h.inputs.at(0) == o) at = h.index;
    plan->steps.push_back({at, [this, r, s, user]() mutable { r.execute(stream_, s, user); }});
  }

  // 5. Liveness plan: each storage root spans from the first write to the last read of anything it holds.
  const int count = int(T.size());
  std::vector<int> start(count, 1 << 30), end(count, -1);
  for (int id = 0; id < count; ++id) {
    if (T[id].external) continue;
    auto [root, off] = resolve(T, id);
    start[root] = std::min(start[root], T[id].def);
    end[root] = std::max({end[root], T[id].last, T[id].def});
  }
  std::vector<int> roots;
  std::vector<BufferRequest> requests;
  for (int id = 0; id < count; ++id)
    if (!T[id].external && resolve(T, id).first == id) {
      roots.push_back(id);
      requests.push_back({T[id].md.get_size(), start[id], end[id]});
    }
  MemoryPlan memory_plan = plan_memory(requests, kAlign);
  std::vector<size_t> offset_of(count, 0);
  for (size_t k = 0; k < roots.size(); ++k) offset_of[roots[k]] = memory_plan.offsets[k];
  const size_t arena_size = memory_plan.total;
  plan->arena.reset(static_cast<float*>(std::aligned_alloc(kAlign, std::max(arena_size, kAlign))));
  if (!plan->arena) throw std::runtime_error("oneDNN executor: cannot allocate " + std::to_string(arena_size) + " bytes");
  plan->arena_bytes = arena_size;
  char* base = reinterpret_cast<char*>(plan->arena.get());
  for (int id = 0; id < count; ++id) {
    if (T[id].external) continue;
    auto [root, off] = resolve(T, id);
    M[id].set_data_handle(base + offset_of[root] + off);
  }
  return plan;
}

}  // namespace

std::unique_ptr<Executor> make_onednn_executor(const Network& net, const ExecutorOptions& options) {
  return std::make_unique<OnednnExecutor>(net, options);
}

}  // namespace lightnet::cpu
#endif  // LIGHTNET_WITH_ONEDNN
