// The CPU engine's reduced-precision path: the network runs layer by layer on NCHW float buffers (the
// reference executor's ops for route / shortcut / upsample / maxpool) and each convolution runs in its
// planned precision:
//   - INT8 (oneDNN): the input tensor is quantized to s8 NHWC at its calibrated scale (q = round-to-even
//     (x / s), saturated to [-128, 127], as TensorRT quantizes), convolved with s8 per-output-channel
//     weights accumulating in int32, then dequantized with one fused output scale per channel
//     (s_in · s_w[oc]), fp32 bias and the activation as a post-op. The tensor is therefore quantized where an
//     int8 layer reads it — what a GPU int8 engine computes with requantization fused into the producer, up
//     to the rounding of a [shortcut] sum, which TensorRT requantizes after the add.
//   - FP32 / FP16: an fp32 oneDNN convolution (the CPU computes FP16 layers in fp32).
// Without oneDNN, INT8 layers fall back to exact fake quantization on the reference convolution; so do they on
// CPUs without VNNI, where oneDNN's s8 kernels saturate (onednn_isa.h), on an fp32 oneDNN convolution.
// Layer outputs live in one arena, placed by the same liveness plan as the fp32 executor's (a buffer reuses the
// bytes of outputs no later layer reads).
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cmath>
#include <cstring>
#include <map>
#include <stdexcept>
#include <string>

#include "cpu/convolution.h"
#include "cpu/executor.h"
#include "cpu/onednn_eltwise.h"
#include "cpu/onednn_isa.h"
#include "cpu/int8_executor.h"
#include "cpu/maxpool.h"
#include "cpu/memory_plan.h"
#include "cpu/route.h"
#include "cpu/shortcut.h"
#include "cpu/upsample.h"
#ifdef LIGHTNET_WITH_ONEDNN
#include <dnnl.hpp>
#endif
#ifdef _OPENMP
#include <omp.h>
#endif

namespace lightnet::cpu {

namespace {

std::string layer_error(const Layer& l, const std::string& what) {
  return "layer " + std::to_string(l.index) + " [" + to_string(l.type) + "] (cfg line " +
         std::to_string(l.cfg_line) + "): " + what;
}

constexpr size_t kAlign = 64;

struct AlignedFree {
  void operator()(float* p) const { std::free(p); }
};

// Lifetimes of the layer outputs in step order: written at its layer, read up to its last consumer; the
// requested outputs stay until the final copy-out (step = layer count).
std::vector<BufferRequest> output_lifetimes(const Network& net, const ExecutorOptions& options) {
  std::vector<BufferRequest> r(net.layers.size());
  for (const Layer& l : net.layers)
    r[l.index] = {sizeof(float) * size_t(l.output.size()) * size_t(options.max_batch), l.index, l.index};
  for (const Layer& l : net.layers)
    for (int i : l.inputs)
      if (i >= 0) r.at(i).last = std::max(r.at(i).last, l.index);
  for (int o : options.outputs) r.at(o).last = int(net.layers.size());
  return r;
}

// A conv layer with its weights replaced by their int8 reconstruction w_q · s_w[oc] (fake quantization).
Layer fake_quantized_weights(const Layer& l, const LayerQuantization& q) {
  Layer f = l;
  const size_t per = l.weights.size() / q.weight_scales.size();
  for (size_t i = 0; i < f.weights.size(); ++i) {
    const float s = q.weight_scales[i / per];
    f.weights[i] = quantize_s8(l.weights[i], 1.f / s) * s;
  }
  return f;
}

#ifdef LIGHTNET_WITH_ONEDNN
using dnnl::memory;
using tag = memory::format_tag;

// One convolution at one batch size: [quantize/reorder in] → conv → [reorder out], NCHW f32 at both ends.
class OnednnConv {
 public:
  OnednnConv(const dnnl::engine& eng, const Layer& l, const LayerQuantization& q, int N) : eng_(eng) {
    const ConvParams& p = l.as<ConvParams>();
    const Shape& is = l.input_shapes.at(0);
    const Shape& os = l.output;
    // Without VNNI an INT8 layer computes the same numbers as fake quantization: its input rounded to the int8
    // grid here (run()), its weights replaced by their int8 reconstruction, an fp32 convolution.
    fake_scale_ = q.precision == Precision::INT8 && !onednn_exact_int8() ? q.input_scale : 0.f;
    const bool int8 = q.precision == Precision::INT8 && fake_scale_ == 0.f;
    const Layer fake = fake_scale_ > 0 ? fake_quantized_weights(l, q) : Layer();
    const std::vector<float>& fp32_weights = fake_scale_ > 0 ? fake.weights : l.weights;
    const int K = p.size, G = p.groups;
    const memory::dims src_dims{N, is.c, is.h, is.w}, dst_dims{N, os.c, os.h, os.w};
    const memory::dims wdims = G == 1 ? memory::dims{os.c, is.c, K, K} : memory::dims{G, os.c / G, is.c / G, K, K};
    const auto f32 = memory::data_type::f32, s8 = memory::data_type::s8;
    src_user_ = memory({src_dims, f32, tag::nchw}, eng, DNNL_MEMORY_NONE);
    dst_user_ = memory({dst_dims, f32, tag::nchw}, eng, DNNL_MEMORY_NONE);

    dnnl::primitive_attr attr;
    dnnl::post_ops ops;
    float alpha;
    const dnnl::algorithm act = eltwise_of(p.activation, alpha);
    if (act != dnnl::algorithm::undef) ops.append_eltwise(1.f, act, alpha, 0.f);
    attr.set_post_ops(ops);
    std::vector<float> bias = l.bias;
    if (int8) {
      // oneDNN 2.x int8: dst = output_scale[oc] · (Σ src_q · w_q + bias) before post-ops, so the fp32 bias
      // goes in divided by that scale.
      std::vector<float> scales(os.c);
      for (int o = 0; o < os.c; ++o) {
        scales[o] = q.input_scale * q.weight_scales.at(o);
        bias[o] /= scales[o];
      }
      attr.set_output_scales(1 << 1, scales);
    }
    const memory::desc src_md = int8 ? memory::desc(src_dims, s8, tag::nhwc) : memory::desc(src_dims, f32, tag::any);
    const memory::desc dst_md(dst_dims, f32, tag::any);
    const memory::desc w_md(wdims, int8 ? s8 : f32, tag::any), b_md({os.c}, f32, tag::x);
    const int ext = (K - 1) * p.dilation + 1;
    dnnl::convolution_forward::desc d(
        dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct, src_md, w_md, b_md, dst_md,
        {p.stride_y, p.stride_x}, {p.dilation - 1, p.dilation - 1}, {p.padding, p.padding},
        {(os.h - 1) * p.stride_y + ext - is.h - p.padding, (os.w - 1) * p.stride_x + ext - is.w - p.padding});
    dnnl::convolution_forward::primitive_desc pd;
    try {
      pd = dnnl::convolution_forward::primitive_desc(d, attr, eng);
    } catch (const dnnl::error& e) {
      throw std::runtime_error(layer_error(l, std::string("oneDNN ") + (int8 ? "int8" : "fp32") + " convolution: " + e.what()));
    }
    impl_ = std::string(fake_scale_ > 0 ? "fake-quantized (no VNNI) " : "") + pd.impl_info_str();
    conv_ = dnnl::convolution_forward(pd);
    dnnl::stream s(eng);

    // Weights: darknet [oc][ic/g][k][k] (oihw / goihw), quantized per output channel for int8.
    const memory::format_tag wtag = G == 1 ? tag::oihw : tag::goihw;
    weights_ = memory(pd.weights_desc(), eng);
    if (int8) {
      std::vector<int8_t> wq(l.weights.size());
      const size_t per = l.weights.size() / size_t(os.c);
      for (size_t i = 0; i < wq.size(); ++i)
        wq[i] = quantize_s8(l.weights[i], 1.f / q.weight_scales[i / per]);
      memory w_user({wdims, s8, wtag}, eng, wq.data());
      dnnl::reorder(w_user, weights_).execute(s, w_user, weights_);
      s.wait();
    } else {
      memory w_user({wdims, f32, wtag}, eng, const_cast<float*>(fp32_weights.data()));
      dnnl::reorder(w_user, weights_).execute(s, w_user, weights_);
      s.wait();
    }
    bias_ = memory(b_md, eng);
    std::memcpy(bias_.get_data_handle(), bias.data(), sizeof(float) * os.c);

    src_ = memory(pd.src_desc(), eng);
    dnnl::primitive_attr qattr;
    if (int8) qattr.set_output_scales(0, {1.f / q.input_scale});
    to_src_ = dnnl::reorder(dnnl::reorder::primitive_desc(eng, src_user_.get_desc(), eng, pd.src_desc(), qattr));
    dst_ = memory(pd.dst_desc(), eng);
    from_dst_ = dnnl::reorder(dst_, dst_user_);
  }

  void run(dnnl::stream& s, const float* in, float* out) {
    if (fake_scale_ > 0) {
      const size_t n = src_user_.get_desc().get_size() / sizeof(float);
      scratch_.resize(n);
      const float inv = 1.f / fake_scale_;
#pragma omp parallel for schedule(static)
      for (size_t i = 0; i < n; ++i) scratch_[i] = quantize_s8(in[i], inv) * fake_scale_;
      in = scratch_.data();
    }
    src_user_.set_data_handle(const_cast<float*>(in));
    dst_user_.set_data_handle(out);
    to_src_.execute(s, src_user_, src_);
    conv_.execute(s, {{DNNL_ARG_SRC, src_}, {DNNL_ARG_WEIGHTS, weights_}, {DNNL_ARG_BIAS, bias_}, {DNNL_ARG_DST, dst_}});
    from_dst_.execute(s, dst_, dst_user_);
    s.wait();
  }

  const std::string& impl() const { return impl_; }

 private:
  dnnl::engine eng_;
  memory src_user_, dst_user_, src_, dst_, weights_, bias_;
  dnnl::reorder to_src_, from_dst_;
  dnnl::convolution_forward conv_;
  std::string impl_;
  float fake_scale_ = 0;        // > 0: fake quantization at this input scale (no VNNI)
  std::vector<float> scratch_;  // the input on the int8 grid
};
#endif

class QuantizedExecutor : public Executor {
 public:
  QuantizedExecutor(const Network& net, const QuantPlan& plan, const ExecutorOptions& options)
      : net_(net), plan_(plan), options_(options)
#ifdef LIGHTNET_WITH_ONEDNN
        , engine_(dnnl::engine::kind::cpu, 0), stream_(engine_)
#endif
  {
    if (plan.layers.size() != net.layers.size())
      throw std::invalid_argument("quantization plan: expected " + std::to_string(net.layers.size()) +
                                  " layers, found " + std::to_string(plan.layers.size()));
    for (const Layer& l : net.layers) {
      if (l.type != LayerType::Convolutional) continue;
      if (l.weights.empty() || l.bias.empty()) throw std::invalid_argument(layer_error(l, "no weights"));
      const LayerQuantization& q = plan.layers[l.index];
      if (q.precision == Precision::INT8 && (!(q.input_scale > 0) || q.weight_scales.size() != size_t(l.output.c)))
        throw std::invalid_argument(layer_error(l, "INT8 layer without an input scale and per-channel weight scales"));
    }
    if (options.max_batch < 1)
      throw std::invalid_argument("max_batch: expected >= 1, found " + std::to_string(options.max_batch));
    for (int o : options.outputs)
      if (o < 0 || size_t(o) >= net.layers.size())
        throw std::invalid_argument("output layer " + std::to_string(o) + ": expected 0.." +
                                    std::to_string(net.layers.size() - 1));
    const MemoryPlan memory = plan_memory(output_lifetimes(net, options), kAlign);
    arena_.reset(static_cast<float*>(std::aligned_alloc(kAlign, std::max(memory.total, kAlign))));
    if (!arena_) throw std::runtime_error("int8 executor: cannot allocate " + std::to_string(memory.total) + " bytes");
    arena_bytes_ = memory.total;
    for (size_t off : memory.offsets) buffers_.push_back(arena_.get() + off / sizeof(float));
#ifndef LIGHTNET_WITH_ONEDNN
    for (const Layer& l : net.layers)
      if (plan.layers[l.index].precision == Precision::INT8) fake_[l.index] = fake_quantized_weights(l, plan.layers[l.index]);
    scratch_.resize(size_t(net.input.size()) * options.max_batch);
#endif
    profiler_.reset(net);
    convs_for(options.max_batch);
  }

  const char* name() const override {
#ifdef LIGHTNET_WITH_ONEDNN
    return "onednn-int8";
#else
    return "reference-fake-int8";
#endif
  }

  size_t workspace_bytes() const override { return arena_bytes_; }

  void run(const float* input, int batch, const std::vector<float*>& outputs) override {
    if (batch < 1 || batch > options_.max_batch)
      throw std::invalid_argument("batch: expected 1.." + std::to_string(options_.max_batch) + ", found " +
                                  std::to_string(batch));
#ifdef _OPENMP
    if (options_.threads > 0) omp_set_num_threads(options_.threads);
#endif
    auto src = [&](int index) -> const float* { return index < 0 ? input : buffers_[index]; };
#ifdef LIGHTNET_WITH_ONEDNN
    auto& convs = convs_for(batch);
#endif
    for (const Layer& l : net_.layers) {
      auto t0 = std::chrono::steady_clock::now();
      float* out = buffers_[l.index];
      const size_t count = size_t(l.output.size()) * batch;
      std::vector<const float*> ins;
      for (int i : l.inputs) ins.push_back(src(i));
      const Shape& is = l.input_shapes.empty() ? net_.input : l.input_shapes[0];
      switch (l.type) {
        case LayerType::Convolutional:
#ifdef LIGHTNET_WITH_ONEDNN
          convs.at(l.index).run(stream_, ins[0], out);
#else
          run_reference_conv(l, ins[0], out, batch);
#endif
          break;
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
        case LayerType::Softmax: std::memcpy(out, ins[0], sizeof(float) * count); break;
      }
      if (options_.profile)
        profiler_.add(l.index, std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    }
    if (options_.profile) profiler_.count_run();
    for (size_t i = 0; i < options_.outputs.size(); ++i) {
      const Layer& l = net_.layers.at(options_.outputs[i]);
      std::memcpy(outputs[i], buffers_[l.index], sizeof(float) * l.output.size() * batch);
    }
  }

  std::vector<LayerTiming> take_profile() override { return profiler_.take(net_); }

 private:
#ifdef LIGHTNET_WITH_ONEDNN
  std::map<int, OnednnConv>& convs_for(int batch) {
    auto it = convs_.find(batch);
    if (it != convs_.end()) return it->second;
    std::map<int, OnednnConv> convs;
    for (const Layer& l : net_.layers) {
      if (l.type != LayerType::Convolutional) continue;
      auto c = convs.emplace(l.index, OnednnConv(engine_, l, plan_.layers[l.index], batch)).first;
      profiler_.note(l.index, std::string(to_string(plan_.layers[l.index].precision)) + " " + c->second.impl());
    }
    return convs_.emplace(batch, std::move(convs)).first->second;
  }
#else
  void convs_for(int) {}
  void run_reference_conv(const Layer& l, const float* in, float* out, int batch) {
    auto it = fake_.find(l.index);
    if (it == fake_.end()) return convolution_reference(l, in, out, batch);
    const LayerQuantization& q = plan_.layers[l.index];
    const size_t n = size_t(l.input_shapes[0].size()) * batch;
    scratch_.resize(std::max(scratch_.size(), n));
    const float inv = 1.f / q.input_scale;
    for (size_t i = 0; i < n; ++i) scratch_[i] = quantize_s8(in[i], inv) * q.input_scale;
    convolution_reference(it->second, scratch_.data(), out, batch);
  }
  std::map<int, Layer> fake_;
  std::vector<float> scratch_;
#endif

  const Network& net_;
  QuantPlan plan_;
  ExecutorOptions options_;
#ifdef LIGHTNET_WITH_ONEDNN
  dnnl::engine engine_;
  dnnl::stream stream_;
  std::map<int, std::map<int, OnednnConv>> convs_;  // batch → layer → conv
#endif
  std::unique_ptr<float, AlignedFree> arena_;
  size_t arena_bytes_ = 0;
  std::vector<float*> buffers_;  // each layer's output inside the arena
  Profiler profiler_;
};

}  // namespace

std::unique_ptr<Executor> make_quantized_executor(const Network& net, const QuantPlan& plan,
                                                  const ExecutorOptions& options) {
  return std::make_unique<QuantizedExecutor>(net, plan, options);
}

}  // namespace lightnet::cpu
