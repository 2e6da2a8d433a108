// CUDA backend against an independent double-precision reference of darknet's layers, on a small network
// that exercises every layer kind the backend runs (grouped/dilated/strided convs, all activations, in-place
// and copied concats, route groups, shortcut, both maxpool paddings, upsample, a YOLO and a segmentation head).
// Skips, saying why, where the backend is not built or no GPU is visible.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <numeric>
#include <random>

#include "lightnet/engine.h"
#include "reference_activation.h"
#include "lightnet/model_loader.h"
#include "lightnet/postprocess.h"

#ifdef LIGHTNET_WITH_CUDA
#include <cuda_runtime.h>

#include <cstring>
#include <tuple>

#include "cuda/cuda_engine.h"
#include "cuda/host_upload.h"
#include "cuda/kernels.h"
#include "cuda/memory_plan.h"
#endif

namespace lightnet {
namespace {

#ifndef LIGHTNET_WITH_CUDA
TEST(CudaEngine, Builds) { GTEST_SKIP() << "built without the CUDA backend (needs nvcc and cuDNN at configure time)"; }
#else

#define REQUIRE_GPU()                                                                       \
  do {                                                                                      \
    if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA GPU visible (cuda_device_count() == 0)"; \
  } while (0)

// ------------------------------------------------------------------ a hand-built network
struct NetBuilder {
  Network net;
  std::mt19937 rng{1234};
  NetBuilder(int c, int h, int w) { net.input = {c, h, w}; net.has_weights = true; net.cfg_path = "synthetic.cfg"; }
  Shape shape(int i) const { return i < 0 ? net.input : net.layers[i].output; }
  int abs(int rel) const { return rel < 0 ? int(net.layers.size()) + rel : rel; }
  Layer& add(LayerType t, LayerParams p, std::vector<int> inputs) {
    Layer l;
    l.index = int(net.layers.size());
    l.cfg_line = 10 * l.index + 1;
    l.type = t;
    l.params = std::move(p);
    l.inputs = std::move(inputs);
    for (int i : l.inputs) l.input_shapes.push_back(shape(i));
    net.layers.push_back(std::move(l));
    return net.layers.back();
  }
  int conv(int in, int filters, int size, int stride, int dilation, int groups, Activation act) {
    ConvParams p;
    p.filters = filters; p.size = size; p.stride_x = p.stride_y = stride; p.dilation = dilation; p.groups = groups;
    p.padding = (size / 2) * dilation; p.activation = act; p.batch_normalize = true;
    Shape s = shape(in);
    Layer& l = add(LayerType::Convolutional, p, {in});
    int span = (size - 1) * dilation + 1;
    l.output = {filters, (s.h + 2 * p.padding - span) / stride + 1, (s.w + 2 * p.padding - span) / stride + 1};
    int fan_in = s.c / groups * size * size;
    std::normal_distribution<float> wd(0.f, std::sqrt(2.f / fan_in)), bd(0.f, 0.2f);
    l.weights.resize(size_t(filters) * fan_in);
    for (float& v : l.weights) v = wd(rng);
    l.bias.resize(filters);
    for (float& v : l.bias) v = bd(rng);
    return l.index;
  }
  int route(std::vector<int> in, int groups = 1, int group_id = 0) {
    RouteParams p;
    p.layers = in; p.groups = groups; p.group_id = group_id;
    int c = 0;
    for (int i : in) c += shape(i).c;
    Shape s = shape(in[0]);
    Layer& l = add(LayerType::Route, p, in);
    l.output = {c / groups, s.h, s.w};
    return l.index;
  }
  int shortcut(int a, int b) {
    ShortcutParams p;
    p.from = {b};
    Layer& l = add(LayerType::Shortcut, p, {a, b});
    l.output = shape(a);
    return l.index;
  }
  int maxpool(int in, int size, int stride, int padding) {
    MaxpoolParams p;
    p.size = size; p.stride_x = p.stride_y = stride; p.padding = padding;
    Shape s = shape(in);
    Layer& l = add(LayerType::Maxpool, p, {in});
    l.output = {s.c, (s.h + padding - size) / stride + 1, (s.w + padding - size) / stride + 1};
    return l.index;
  }
  int upsample(int in, int stride) {
    UpsampleParams p;
    p.stride = stride;
    Shape s = shape(in);
    Layer& l = add(LayerType::Upsample, p, {in});
    l.output = {s.c, s.h * stride, s.w * stride};
    return l.index;
  }
  int yolo(int in, YoloParams p) {
    Layer& l = add(LayerType::Yolo, p, {in});
    l.output = shape(in);
    net.heads.push_back({Head::Kind::Yolo, l.index, in});
    return l.index;
  }
  int softmax(int in, int classes) {
    SoftmaxParams p;
    p.classes = classes;
    Layer& l = add(LayerType::Softmax, p, {in});
    l.output = shape(in);
    net.heads.push_back({Head::Kind::Segmentation, l.index, in});
    return l.index;
  }
};

YoloParams yolo_params(bool new_coords) {
  YoloParams y;
  y.mask = {0, 1, 2};
  y.anchors = {6, 9, 14, 20, 30, 18, 40, 44};
  y.classes = 2;
  y.num = 4;
  y.scale_x_y = new_coords ? 2.f : 1.05f;
  y.new_coords = new_coords;
  return y;
}

Network test_network(bool new_coords = true) {
  NetBuilder b(3, 32, 48);
  int c0 = b.conv(-1, 16, 3, 1, 1, 1, Activation::Leaky);
  int c1 = b.conv(c0, 32, 3, 2, 1, 1, Activation::Relu);
  int c2 = b.conv(c1, 16, 1, 1, 1, 1, Activation::Relu);
  int c3 = b.conv(c1, 16, 3, 1, 2, 1, Activation::Swish);
  int r4 = b.route({c2, c3});
  int c5 = b.conv(r4, 32, 3, 1, 1, 4, Activation::Mish);
  int s6 = b.shortcut(c5, r4);
  int r7 = b.route({s6}, 2, 1);
  int m8 = b.maxpool(r7, 2, 2, 1);
  int m9 = b.maxpool(m8, 3, 1, 2);
  int u10 = b.upsample(m9, 2);
  int r11 = b.route({u10, c2});
  int c12 = b.conv(r11, 3 * (5 + 2), 1, 1, 1, 1, new_coords ? Activation::Logistic : Activation::Linear);
  b.yolo(c12, yolo_params(new_coords));
  int r14 = b.route({r11});
  int c15 = b.conv(r14, 5, 1, 1, 1, 1, Activation::Linear);
  b.softmax(c15, 5);
  return b.net;
}

// ------------------------------------------------------------------ double-precision reference (NCHW)
using Tensor3 = std::vector<double>;  // c × h × w

double act(double x, Activation a) { return reference_activation(x, a); }

std::vector<Tensor3> reference_forward(const Network& net, const float* input) {
  std::vector<Tensor3> out(net.layers.size());
  Tensor3 in0(input, input + net.input.size());
  auto get = [&](int i) -> const Tensor3& { return i < 0 ? in0 : out[i]; };
  for (const Layer& l : net.layers) {
    const Shape o = l.output;
    Tensor3 y(size_t(o.size()), 0.0);
    const Shape s = l.input_shapes.empty() ? Shape{} : l.input_shapes[0];
    const Tensor3& x = get(l.inputs.empty() ? -1 : l.inputs[0]);
    switch (l.type) {
      case LayerType::Convolutional: {
        const auto& p = l.as<ConvParams>();
        int cg = s.c / p.groups, kg = p.filters / p.groups;
        for (int k = 0; k < o.c; ++k)
          for (int oy = 0; oy < o.h; ++oy)
            for (int ox = 0; ox < o.w; ++ox) {
              double sum = l.bias[k];
              int g = k / kg;
              for (int c = 0; c < cg; ++c)
                for (int ky = 0; ky < p.size; ++ky)
                  for (int kx = 0; kx < p.size; ++kx) {
                    int iy = oy * p.stride_y - p.padding + ky * p.dilation;
                    int ix = ox * p.stride_x - p.padding + kx * p.dilation;
                    if (iy < 0 || iy >= s.h || ix < 0 || ix >= s.w) continue;
                    sum += double(l.weights[((size_t(k) * cg + c) * p.size + ky) * p.size + kx]) *
                           x[(size_t(g * cg + c) * s.h + iy) * s.w + ix];
                  }
              y[(size_t(k) * o.h + oy) * o.w + ox] = act(sum, p.activation);
            }
        break;
      }
      case LayerType::Route: {
        const auto& p = l.as<RouteParams>();
        Tensor3 cat;
        for (int i : l.inputs) cat.insert(cat.end(), get(i).begin(), get(i).end());
        size_t slice = size_t(o.size());
        y.assign(cat.begin() + p.group_id * slice, cat.begin() + (p.group_id + 1) * slice);
        break;
      }
      case LayerType::Shortcut:
        for (size_t i = 0; i < y.size(); ++i) y[i] = act(x[i] + get(l.inputs[1])[i], l.as<ShortcutParams>().activation);
        break;
      case LayerType::Maxpool: {
        const auto& p = l.as<MaxpoolParams>();
        for (int c = 0; c < o.c; ++c)
          for (int oy = 0; oy < o.h; ++oy)
            for (int ox = 0; ox < o.w; ++ox) {
              double m = -1e300;
              for (int ky = 0; ky < p.size; ++ky)
                for (int kx = 0; kx < p.size; ++kx) {
                  int iy = oy * p.stride_y - p.padding / 2 + ky, ix = ox * p.stride_x - p.padding / 2 + kx;
                  if (iy >= 0 && iy < s.h && ix >= 0 && ix < s.w) m = std::max(m, x[(size_t(c) * s.h + iy) * s.w + ix]);
                }
              y[(size_t(c) * o.h + oy) * o.w + ox] = m;
            }
        break;
      }
      case LayerType::Upsample: {
        int st = l.as<UpsampleParams>().stride;
        for (int c = 0; c < o.c; ++c)
          for (int oy = 0; oy < o.h; ++oy)
            for (int ox = 0; ox < o.w; ++ox)
              y[(size_t(c) * o.h + oy) * o.w + ox] = x[(size_t(c) * s.h + oy / st) * s.w + ox / st];
        break;
      }
      default:
        y = x;
    }
    out[l.index] = std::move(y);
  }
  return out;
}

std::vector<float> random_input(const Network& net, int batch, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(0.f, 1.f);
  std::vector<float> v(size_t(batch) * net.input.size());
  for (float& x : v) x = d(rng);
  return v;
}

double relative_error(const float* got, const double* ref, size_t n) {
  double num = 0, den = 0;
  for (size_t i = 0; i < n; ++i) {
    if (!std::isfinite(got[i])) return INFINITY;
    num += (got[i] - ref[i]) * (got[i] - ref[i]);
    den += ref[i] * ref[i];
  }
  return std::sqrt(num / std::max(den, 1e-30));
}

// Numerics tests: sparse=1 layers are not pruned (FP16 would prune them to 2:4 by default, FP32 never does).
std::unique_ptr<Engine> build(const Network& net, Precision p, int batch, const std::string& cache = "",
                              bool sparsity = false) {
  BuildOptions o;
  o.backend = "cuda";
  o.sparsity = sparsity;
  o.precision = p;
  o.batch = batch;
  o.cache_dir = cache;
  return build_engine(net, o);
}

void expect_heads_match(const Network& net, Engine& e, int batch, double tolerance, uint32_t seed) {
  auto input = random_input(net, batch, seed);
  auto heads = e.forward(input.data(), batch);
  ASSERT_EQ(heads.size(), net.heads.size());
  for (int b = 0; b < batch; ++b) {
    auto ref = reference_forward(net, input.data() + b * net.input.size());
    for (size_t k = 0; k < heads.size(); ++k) {
      const Tensor& t = heads[k];
      const Shape s = net.layers[net.heads[k].source].output;
      ASSERT_EQ(t.n, batch);
      ASSERT_EQ(t.c, s.c);
      ASSERT_EQ(t.h, s.h);
      ASSERT_EQ(t.w, s.w);
      double err = relative_error(t.data.data() + b * s.size(), ref[net.heads[k].source].data(), s.size());
      EXPECT_LT(err, tolerance) << "head " << k << " image " << b;
    }
  }
}

TEST(CudaEngine, Fp32HeadsMatchReference) {
  REQUIRE_GPU();
  for (bool new_coords : {true, false}) {
    Network net = test_network(new_coords);
    auto e = build(net, Precision::FP32, 1);
    EXPECT_EQ(e->backend(), "cuda");
    expect_heads_match(net, *e, 1, 1e-5, 7);
  }
}

TEST(CudaEngine, Fp16HeadsMatchReference) {
  REQUIRE_GPU();
  Network net = test_network();
  auto e = build(net, Precision::FP16, 1);
  expect_heads_match(net, *e, 1, 1e-2, 8);
}

// Every group-1 conv on the own implicit-GEMM kernels (the grouped one stays on cuDNN), in both concat layouts.
TEST(CudaEngine, Fp16OwnKernelsMatchReference) {
  REQUIRE_GPU();
  Network net = test_network();
  ::setenv("LIGHTNET_CUDA_CONV", "own", 1);
  for (const char* concat : {"inplace", "copy"}) {
    SCOPED_TRACE(concat);
    ::setenv("LIGHTNET_CUDA_CONCAT", concat, 1);
    auto e = build(net, Precision::FP16, 2);
    expect_heads_match(net, *e, 2, 1e-2, 14);
    expect_heads_match(net, *e, 1, 1e-2, 15);
  }
  ::unsetenv("LIGHTNET_CUDA_CONCAT");
  ::unsetenv("LIGHTNET_CUDA_CONV");
}

TEST(CudaEngine, BatchesAndChunksMatchSingleImages) {
  REQUIRE_GPU();
  Network net = test_network();
  auto e = build(net, Precision::FP32, 2);
  expect_heads_match(net, *e, 2, 1e-5, 9);
  expect_heads_match(net, *e, 1, 1e-5, 10);  // a smaller batch: its own graph
  expect_heads_match(net, *e, 3, 1e-5, 11);  // above max_batch: two chunks
}

// In FP32 with concatenation by copies, the upsample (layer 10) is computed by the concat reading it (11).
TEST(CudaEngine, UpsampleFusedIntoConcatMatchesReference) {
  REQUIRE_GPU();
  Network net = test_network();
  ::setenv("LIGHTNET_CUDA_CONCAT", "copy", 1);
  auto e = build(net, Precision::FP32, 2);
  ::unsetenv("LIGHTNET_CUDA_CONCAT");
  expect_heads_match(net, *e, 2, 1e-5, 12);
  expect_heads_match(net, *e, 1, 1e-5, 13);
}

TEST(CudaMemoryPlan, FusesAnUpsampleOnlyIntoTheConcatThatCopiesIt) {
  Network net = test_network();
  const int up = 10, up_input = 9, concat = 11;
  ASSERT_EQ(net.layers[up].type, LayerType::Upsample);
  ASSERT_EQ(net.layers[concat].inputs, (std::vector<int>{up, 2}));
  cuda::MemoryPlanOptions o;
  o.input_channels = 3;
  o.concat_in_place = false;
  auto plan = cuda::plan_memory(net, o);
  EXPECT_TRUE(plan.upsample_fused[up]);
  // The upsample's input now lives until the concat reads it.
  EXPECT_GE(plan.storages[plan.layers[up_input].storage].last, concat);
  EXPECT_EQ(std::count(plan.upsample_fused.begin(), plan.upsample_fused.end(), true), 1);
  o.fuse_upsample = false;
  EXPECT_FALSE(cuda::plan_memory(net, o).upsample_fused[up]);
  o.fuse_upsample = true;
  o.concat_in_place = true;  // the upsample writes its slice of the concat itself: nothing to fuse
  EXPECT_FALSE(cuda::plan_memory(net, o).upsample_fused[up]);
  // A second reader of the upsample needs its output: not fused.
  Network two = net;
  Layer extra = two.layers[concat];
  extra.index = int(two.layers.size());
  extra.type = LayerType::Route;
  RouteParams rp;
  rp.layers = {up};
  extra.params = rp;
  extra.inputs = {up};
  extra.input_shapes = {two.layers[up].output};
  extra.output = two.layers[up].output;
  two.layers.push_back(extra);
  o.concat_in_place = false;
  EXPECT_FALSE(cuda::plan_memory(two, o).upsample_fused[up]);
}

// Reference full-frame path: bilinear (OpenCV INTER_LINEAR) in double, forward, decode, NMS.
std::vector<float> reference_preprocess(const std::vector<uint8_t>& bgr, int w, int h, const Shape& in) {
  std::vector<float> out(size_t(in.size()));
  for (int y = 0; y < in.h; ++y)
    for (int x = 0; x < in.w; ++x) {
      double fx = (x + 0.5) * w / in.w - 0.5, fy = (y + 0.5) * h / in.h - 0.5;
      int x0 = int(std::floor(fx)), y0 = int(std::floor(fy));
      double ax = fx - x0, ay = fy - y0;
      if (x0 < 0) { x0 = 0; ax = 0; }
      if (y0 < 0) { y0 = 0; ay = 0; }
      if (x0 >= w - 1) { x0 = w - 1; ax = 0; }
      if (y0 >= h - 1) { y0 = h - 1; ay = 0; }
      int x1 = std::min(x0 + 1, w - 1), y1 = std::min(y0 + 1, h - 1);
      for (int c = 0; c < 3; ++c) {
        auto px = [&](int yy, int xx) { return double(bgr[(size_t(yy) * w + xx) * 3 + (2 - c)]); };
        double v = (px(y0, x0) * (1 - ax) + px(y0, x1) * ax) * (1 - ay) + (px(y1, x0) * (1 - ax) + px(y1, x1) * ax) * ay;
        out[(size_t(c) * in.h + y) * in.w + x] = float(v / 255.0);
      }
    }
  return out;
}

TEST(CudaEngine, DetectMatchesReferencePipeline) {
  REQUIRE_GPU();
  Network net = test_network();
  auto e = build(net, Precision::FP32, 2);
  const int w = 101, h = 67;
  std::vector<std::vector<uint8_t>> frames(3, std::vector<uint8_t>(size_t(w) * h * 3));
  std::mt19937 rng(5);
  for (auto& f : frames)
    for (auto& v : f) v = uint8_t(rng() & 255);
  std::vector<ImageView> views;
  for (auto& f : frames) views.push_back({f.data(), w, h, size_t(w) * 3, PixelFormat::BGR8});
  DetectOptions opt;
  opt.score_threshold = 0.3f;
  opt.nms_threshold = 0.45f;
  auto results = e->detect(views, opt);
  ASSERT_EQ(results.size(), frames.size());
  for (size_t i = 0; i < frames.size(); ++i) {
    auto input = reference_preprocess(frames[i], w, h, net.input);
    auto ref = reference_forward(net, input.data());
    // The mask: argmax of the segmentation head; pixels whose top two scores nearly tie may differ.
    const Layer& seg_src = net.layers[net.heads[1].source];
    ASSERT_EQ(results[i].masks.size(), 1u);
    const auto& mask = results[i].masks[0];
    ASSERT_EQ(mask.width, seg_src.output.w);
    ASSERT_EQ(mask.height, seg_src.output.h);
    int differ = 0;
    const int64_t plane = int64_t(mask.width) * mask.height;
    for (int64_t p = 0; p < plane; ++p) {
      int best = 0;
      for (int c = 1; c < seg_src.output.c; ++c)
        if (ref[seg_src.index][c * plane + p] > ref[seg_src.index][best * plane + p]) best = c;
      differ += mask.class_ids[p] != best;
    }
    EXPECT_LE(differ, 2) << "image " << i;
    // Detections: the reference decode + NMS on the reference head.
    const Layer& src = net.layers[net.heads[0].source];
    std::vector<float> head(ref[src.index].begin(), ref[src.index].end());
    std::vector<Detection> cands;
    decode_yolo(net, net.layers[net.heads[0].layer], head.data(), w, h, opt.score_threshold, cands);
    auto expected = nms(cands, opt.nms_threshold);
    const auto& got = results[i].detections;
    EXPECT_GT(expected.size(), 0u) << "the test network should produce some boxes";
    ASSERT_EQ(got.size(), expected.size()) << "image " << i;
    // Same boxes; the order of near-equal scores may differ, so match each expected box to a got one.
    std::vector<bool> used(got.size(), false);
    for (const Detection& x : expected) {
      bool found = false;
      for (size_t k = 0; k < got.size() && !found; ++k) {
        const Detection& g = got[k];
        if (used[k] || g.class_id != x.class_id || std::fabs(g.score - x.score) > 1e-4f) continue;
        if (std::fabs(g.x - x.x) < 1e-2f && std::fabs(g.y - x.y) < 1e-2f && std::fabs(g.width - x.width) < 1e-2f &&
            std::fabs(g.height - x.height) < 1e-2f)
          used[k] = found = true;
      }
      EXPECT_TRUE(found) << "image " << i << ": no match for class " << x.class_id << " score " << x.score << " at "
                         << x.x << "," << x.y << " " << x.width << "x" << x.height;
    }
    for (size_t k = 1; k < got.size(); ++k) EXPECT_GE(got[k - 1].score, got[k].score) << "sorted by score";
  }
}

// The real LightNet cfgs (seeded random weights): the CUDA heads against the CPU backend's.
TEST(CudaEngine, LightNetHeadsMatchCpuBackend) {
  REQUIRE_GPU();
  const std::string cfg = std::string(LIGHTNET_SHARED_DIR) + "/models/lightnet/lightNet-BDD100K-det-semaseg-1280x960.cfg";
  if (!std::filesystem::exists(cfg)) GTEST_SKIP() << cfg << " not found";
  Network net = load_cfg(cfg);
  randomize_weights(net, 1);
  BuildOptions co;
  co.backend = "cpu";
  auto cpu = build_engine(net, co);
  auto input = random_input(net, 1, 21);
  auto ref = cpu->forward(input.data(), 1);
  for (Precision p : {Precision::FP32, Precision::FP16})
  for (const char* concat : {"copy", "inplace"}) {  // both ways to concatenate (LIGHTNET_CUDA_CONCAT)
    SCOPED_TRACE(std::string("concat ") + concat);
    setenv("LIGHTNET_CUDA_CONCAT", concat, 1);
    auto gpu = build(net, p, 1);
    unsetenv("LIGHTNET_CUDA_CONCAT");
    auto got = gpu->forward(input.data(), 1);
    ASSERT_EQ(got.size(), ref.size());
    for (size_t k = 0; k < got.size(); ++k) {
      ASSERT_EQ(got[k].data.size(), ref[k].data.size());
      double num = 0, den = 0;
      for (size_t i = 0; i < ref[k].data.size(); ++i) {
        double d = double(got[k].data[i]) - ref[k].data[i];
        num += d * d;
        den += double(ref[k].data[i]) * ref[k].data[i];
      }
      EXPECT_LT(std::sqrt(num / den), p == Precision::FP32 ? 1e-3 : 1e-2) << to_string(p) << " head " << k;
    }
  }
}

// Sets an environment variable for one scope (also when an assertion returns early).
struct ScopedEnv {
  std::string name;
  ScopedEnv(const char* n, const char* value) : name(n) { ::setenv(n, value, 1); }
  ~ScopedEnv() { ::unsetenv(name.c_str()); }
};

double relative_l2(const std::vector<float>& got, const std::vector<float>& want) {
  double num = 0, den = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    const double d = double(got[i]) - want[i];
    num += d * d;
    den += double(want[i]) * want[i];
  }
  return std::sqrt(num / den);
}

// Independent branches on several streams (LIGHTNET_CUDA_STREAMS lanes, a DAG-shaped graph) compute what one
// stream computes: with the same tuned plan (shared plan cache, so the same kernel per layer) the heads are
// bitwise equal, frame after frame (a race between lanes would show as a difference; so would a kernel that sums
// in a racy order, which the engine never picks), and match the CPU backend.
TEST(CudaEngine, LanesMatchOneStreamAndCpuBackend) {
  REQUIRE_GPU();
  const std::string cfg = std::string(LIGHTNET_SHARED_DIR) + "/models/lightnet/lightNet-BDD100K-det-semaseg-1280x960.cfg";
  if (!std::filesystem::exists(cfg)) GTEST_SKIP() << cfg << " not found";
  Network net = load_cfg(cfg);
  randomize_weights(net, 1);
  BuildOptions co;
  co.backend = "cpu";
  auto cpu = build_engine(net, co);
  auto input = random_input(net, 1, 23);
  auto ref = cpu->forward(input.data(), 1);
  for (const char* concat : {"copy", "inplace", "mixed"}) {  // mixed: own-kernel producers write in place
    SCOPED_TRACE(std::string("concat ") + concat);
    ScopedEnv concat_env("LIGHTNET_CUDA_CONCAT", concat);
    const std::string dir = std::string(LIGHTNET_TEST_TMP) + "/cuda_lanes_" + concat;
    std::filesystem::remove_all(dir);
    std::vector<Tensor> one;
    {
      ScopedEnv lanes("LIGHTNET_CUDA_STREAMS", "1");
      one = build(net, Precision::FP16, 1, dir)->forward(input.data(), 1);
    }
    ScopedEnv lanes("LIGHTNET_CUDA_STREAMS", "4");
    auto four = build(net, Precision::FP16, 1, dir);  // the plan the one-stream engine tuned and saved
    ASSERT_EQ(one.size(), ref.size());
    for (int frame = 0; frame < 3; ++frame) {
      auto got = four->forward(input.data(), 1);
      ASSERT_EQ(got.size(), one.size());
      for (size_t k = 0; k < got.size(); ++k) {
        ASSERT_EQ(got[k].data.size(), one[k].data.size());
        const bool same = std::memcmp(got[k].data.data(), one[k].data.data(), got[k].data.size() * sizeof(float)) == 0;
        EXPECT_TRUE(same) << "frame " << frame << " head " << k << ": 4 lanes differ from 1, relative L2 "
                          << relative_l2(got[k].data, one[k].data);
        EXPECT_LT(relative_l2(got[k].data, ref[k].data), 1e-2) << "frame " << frame << " head " << k << " vs cpu";
      }
    }
  }
}

TEST(CudaEngine, BadStreamCountIsAnError) {
  REQUIRE_GPU();
  Network net = test_network();
  for (const char* bad : {"0", "9", "two", "", "-1", "4x"}) {
    ScopedEnv lanes("LIGHTNET_CUDA_STREAMS", bad);
    try {
      build(net, Precision::FP32, 1);
      ADD_FAILURE() << "LIGHTNET_CUDA_STREAMS=\"" << bad << "\" was accepted";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find("LIGHTNET_CUDA_STREAMS: expected 1..8"), std::string::npos) << e.what();
    }
  }
}

TEST(CudaEngine, BadConcatModeIsAnError) {
  REQUIRE_GPU();
  Network net = test_network();
  ScopedEnv concat("LIGHTNET_CUDA_CONCAT", "sideways");
  try {
    build(net, Precision::FP16, 1);
    ADD_FAILURE() << "LIGHTNET_CUDA_CONCAT=sideways was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("LIGHTNET_CUDA_CONCAT: expected copy, inplace or mixed, found \"sideways\""),
              std::string::npos)
        << e.what();
  }
}

// The LightNet stem (layers 0 and 1) on one kernel (LIGHTNET_CUDA_STEM=on: whatever the timing says): the heads
// match the CPU backend, the profile names the pair, and the plan cache brings the choice back bit for bit.
TEST(CudaEngine, StemKernelRunsTheLightNetStem) {
  REQUIRE_GPU();
  const std::string cfg = std::string(LIGHTNET_SHARED_DIR) + "/models/lightnet/lightNet-BDD100K-1280x960.cfg";
  if (!std::filesystem::exists(cfg)) GTEST_SKIP() << cfg << " not found";
  Network net = load_cfg(cfg);
  randomize_weights(net, 2);
  BuildOptions co;
  co.backend = "cpu";
  auto input = random_input(net, 1, 31);
  auto ref = build_engine(net, co)->forward(input.data(), 1);
  ScopedEnv stem("LIGHTNET_CUDA_STEM", "on");
  const std::string dir = std::string(LIGHTNET_TEST_TMP) + "/cuda_stem";
  std::filesystem::remove_all(dir);
  BuildOptions o;
  o.backend = "cuda";
  o.precision = Precision::FP16;
  o.sparsity = false;
  o.profile = true;
  o.cache_dir = dir;
  std::vector<std::vector<Tensor>> heads;
  for (int build_no = 0; build_no < 2; ++build_no) {  // tuned, then from the plan
    testing::internal::CaptureStderr();
    auto e = build_engine(net, o);
    const std::string log = testing::internal::GetCapturedStderr();
    EXPECT_EQ(log.find("building") == std::string::npos, build_no == 1) << log;
    heads.push_back(e->forward(input.data(), 1));
    auto prof = e->take_profile();
    ASSERT_GE(prof.size(), 2u);
    EXPECT_NE(prof[0].name.find("computed by layer 1's stem kernel"), std::string::npos) << prof[0].name;
    EXPECT_NE(prof[1].name.find("stem kernel: layers 0 + 1"), std::string::npos) << prof[1].name;
    ASSERT_EQ(heads.back().size(), ref.size());
    for (size_t k = 0; k < ref.size(); ++k)
      EXPECT_LT(relative_l2(heads.back()[k].data, ref[k].data), 1e-2) << "build " << build_no << " head " << k;
  }
  for (size_t k = 0; k < ref.size(); ++k)
    EXPECT_EQ(std::memcmp(heads[0][k].data.data(), heads[1][k].data.data(), heads[0][k].data.size() * sizeof(float)), 0)
        << "head " << k << ": the cached plan computes other values";
}

// The ELAN chains' 3×3 pairs on one kernel each (LIGHTNET_CUDA_PAIRS=on: whatever the timing says): the heads
// match the CPU backend, the profile names every pair, the plan cache brings the choices back bit for bit, and
// four lanes (no profile) compute the same.
TEST(CudaEngine, PairKernelsRunTheElanChains) {
  REQUIRE_GPU();
  const std::string cfg = std::string(LIGHTNET_SHARED_DIR) + "/models/lightnet/lightNet-BDD100K-1280x960.cfg";
  if (!std::filesystem::exists(cfg)) GTEST_SKIP() << cfg << " not found";
  Network net = load_cfg(cfg);
  randomize_weights(net, 3);
  BuildOptions co;
  co.backend = "cpu";
  auto input = random_input(net, 1, 37);
  auto ref = build_engine(net, co)->forward(input.data(), 1);
  ScopedEnv pairs("LIGHTNET_CUDA_PAIRS", "on");
  const std::string dir = std::string(LIGHTNET_TEST_TMP) + "/cuda_pairs";
  std::filesystem::remove_all(dir);
  BuildOptions o;
  o.backend = "cuda";
  o.precision = Precision::FP16;
  o.sparsity = false;
  o.cache_dir = dir;
  std::vector<std::vector<Tensor>> heads;
  for (int build_no = 0; build_no < 3; ++build_no) {  // tuned, from the plan, from the plan on four lanes
    o.profile = build_no < 2;
    testing::internal::CaptureStderr();
    auto e = build_engine(net, o);
    const std::string log = testing::internal::GetCapturedStderr();
    EXPECT_EQ(log.find("building") == std::string::npos, build_no > 0) << log;
    if (build_no == 0) EXPECT_NE(log.find("conv pairs: 10 of 10 chained 3x3 pairs on one kernel"), std::string::npos) << log;
    heads.push_back(e->forward(input.data(), 1));
    if (o.profile) {
      int firsts = 0, seconds = 0;
      for (const LayerTiming& t : e->take_profile()) {
        firsts += t.name.find("'s conv pair kernel)") != std::string::npos;
        seconds += t.name.find("(conv pair kernel: layers ") != std::string::npos;
        if (t.name.find("conv pair kernel: layers 5 + 6") != std::string::npos) EXPECT_EQ(t.layer, 6) << t.name;
      }
      EXPECT_EQ(firsts, 10);
      EXPECT_EQ(seconds, 10);
    }
    ASSERT_EQ(heads.back().size(), ref.size());
    for (size_t k = 0; k < ref.size(); ++k)
      EXPECT_LT(relative_l2(heads.back()[k].data, ref[k].data), 1e-2) << "build " << build_no << " head " << k;
  }
  for (int b : {1, 2})
    for (size_t k = 0; k < ref.size(); ++k)
      EXPECT_EQ(std::memcmp(heads[0][k].data.data(), heads[b][k].data.data(), heads[0][k].data.size() * sizeof(float)), 0)
          << "build " << b << ", head " << k << ": other values than the first build's";
}

TEST(CudaEngine, BadStemOrPairModeIsAnError) {
  REQUIRE_GPU();
  Network net = test_network();
  for (const char* var : {"LIGHTNET_CUDA_STEM", "LIGHTNET_CUDA_PAIRS"}) {
    ScopedEnv mode(var, "sideways");
    try {
      build(net, Precision::FP16, 1);
      ADD_FAILURE() << var << "=sideways was accepted";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(std::string(var) + ": expected auto, on or off, found \"sideways\""),
                std::string::npos)
          << e.what();
    }
  }
}

TEST(CudaEngine, BadCudnnCandidateCountIsAnError) {
  REQUIRE_GPU();
  Network net = test_network();
  for (const char* bad : {"0", "1001", "many", "", "5x"}) {
    ScopedEnv count("LIGHTNET_CUDNN_CANDIDATES", bad);
    try {
      build(net, Precision::FP16, 1);
      ADD_FAILURE() << "LIGHTNET_CUDNN_CANDIDATES=\"" << bad << "\" was accepted";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find("LIGHTNET_CUDNN_CANDIDATES: expected 1..1000"), std::string::npos) << e.what();
    }
  }
}

// ------------------------------------------------------------------ real images (decoded by Python's cv2)
struct DecodedImage {
  std::vector<uint8_t> bgr;
  int width = 0, height = 0;
};

// Decodes with cv2 through $LIGHTNET_PYTHON (default /usr/bin/python3); empty when that is not possible.
DecodedImage decode_image(const std::string& path) {
  const char* env = std::getenv("LIGHTNET_PYTHON");
  const std::string python = env ? env : "/usr/bin/python3";
  const std::string raw = std::string(LIGHTNET_TEST_TMP) + "/cuda_decoded.bgr";
  std::filesystem::create_directories(LIGHTNET_TEST_TMP);
  const std::string cmd = python + " -c \"import cv2,sys; im=cv2.imread(sys.argv[1]); "
                          "open(sys.argv[2],'wb').write(im.tobytes()); print(im.shape[1], im.shape[0])\" '" + path +
                          "' '" + raw + "' 2>/dev/null";
  DecodedImage im;
  FILE* f = popen(cmd.c_str(), "r");
  if (!f) return im;
  if (std::fscanf(f, "%d %d", &im.width, &im.height) != 2) im.width = im.height = 0;
  pclose(f);
  if (im.width <= 0) return {};
  std::ifstream in(raw, std::ios::binary);
  im.bgr.resize(size_t(im.width) * im.height * 3);
  in.read(reinterpret_cast<char*>(im.bgr.data()), std::streamsize(im.bgr.size()));
  if (!in) return {};
  return im;
}

std::vector<DecodedImage> shared_images() {
  std::vector<DecodedImage> out;
  const std::filesystem::path dir = std::filesystem::path(LIGHTNET_SHARED_DIR) / "images";
  if (!std::filesystem::exists(dir)) return out;
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(dir)) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    DecodedImage im = decode_image(f.string());
    if (im.width > 0) out.push_back(std::move(im));
  }
  return out;
}

float box_iou(const Detection& a, const Detection& b) {
  float x0 = std::max(a.x, b.x), y0 = std::max(a.y, b.y);
  float x1 = std::min(a.x + a.width, b.x + b.width), y1 = std::min(a.y + a.height, b.y + b.height);
  float inter = std::max(0.f, x1 - x0) * std::max(0.f, y1 - y0);
  float uni = a.width * a.height + b.width * b.height - inter;
  return uni > 0 ? inter / uni : 0.f;
}

TEST(CudaEngine, Fp16DetectionsAgreeWithFp32OnYoloFastest) {
  REQUIRE_GPU();
  const std::string dir = std::string(LIGHTNET_SHARED_DIR) + "/models/yolo-fastest/";
  if (!std::filesystem::exists(dir + "yolo-fastest-1.1-xl.weights")) GTEST_SKIP() << dir << " has no weights";
  auto images = shared_images();
  if (images.empty()) GTEST_SKIP() << "no decodable images (set LIGHTNET_PYTHON to a python with cv2)";
  Network net = load_cfg(dir + "yolo-fastest-1.1-xl.cfg");
  load_weights(net, dir + "yolo-fastest-1.1-xl.weights");
  auto fp32 = build(net, Precision::FP32, 1), fp16 = build(net, Precision::FP16, 1);
  int tp = 0, n32 = 0, n16 = 0;
  for (const auto& im : images) {
    ImageView v{im.bgr.data(), im.width, im.height, size_t(im.width) * 3, PixelFormat::BGR8};
    auto a = fp32->detect({v}, {})[0].detections, b = fp16->detect({v}, {})[0].detections;
    n32 += int(a.size());
    n16 += int(b.size());
    std::vector<bool> used(a.size(), false);
    for (const Detection& d : b)
      for (size_t k = 0; k < a.size(); ++k)
        if (!used[k] && a[k].class_id == d.class_id && box_iou(a[k], d) >= 0.9f) {
          used[k] = true;
          ++tp;
          break;
        }
  }
  ASSERT_GT(n32, 0) << "Yolo-Fastest should find objects in " << images.size() << " street photos";
  const double f1 = 2.0 * tp / (n32 + n16);
  EXPECT_GE(f1, 0.98) << "tp " << tp << ", fp32 " << n32 << ", fp16 " << n16;
}

TEST(CudaEngine, Fp16MaskAgreesWithFp32) {
  REQUIRE_GPU();
  const std::string cfg = std::string(LIGHTNET_SHARED_DIR) + "/models/lightnet/lightNet-BDD100K-det-semaseg-1280x960.cfg";
  auto images = shared_images();
  if (images.empty() || !std::filesystem::exists(cfg)) GTEST_SKIP() << "no decodable images or no cfg";
  Network net = load_cfg(cfg);
  randomize_weights(net, 1);
  auto fp32 = build(net, Precision::FP32, 1), fp16 = build(net, Precision::FP16, 1);
  size_t same = 0, total = 0;
  for (const auto& im : images) {
    ImageView v{im.bgr.data(), im.width, im.height, size_t(im.width) * 3, PixelFormat::BGR8};
    auto a = fp32->detect({v}, {})[0].masks, b = fp16->detect({v}, {})[0].masks;
    ASSERT_EQ(a.size(), 1u);
    ASSERT_EQ(b.size(), 1u);
    ASSERT_EQ(a[0].class_ids.size(), b[0].class_ids.size());
    for (size_t i = 0; i < a[0].class_ids.size(); ++i) same += a[0].class_ids[i] == b[0].class_ids[i];
    total += a[0].class_ids.size();
  }
  EXPECT_GE(double(same) / total, 0.995) << same << " of " << total << " mask pixels agree";
}

TEST(CudaEngine, PlanCacheIsReusedAndCorruptPlansAreRebuilt) {
  REQUIRE_GPU();
  Network net = test_network();
  std::string dir = std::string(LIGHTNET_TEST_TMP) + "/cuda_plans";
  std::filesystem::remove_all(dir);
  testing::internal::CaptureStderr();
  build(net, Precision::FP16, 1, dir);
  std::string first = testing::internal::GetCapturedStderr();
  EXPECT_NE(first.find("no cached plan"), std::string::npos) << first;
  EXPECT_NE(first.find("build time "), std::string::npos) << first;  // where a tuning build's time went
  std::string plan = dir + "/synthetic-fp16-b1-sparsity-off.cudaplan";
  ASSERT_TRUE(std::filesystem::exists(plan)) << first;

  testing::internal::CaptureStderr();
  auto e = build(net, Precision::FP16, 1, dir);
  std::string second = testing::internal::GetCapturedStderr();
  EXPECT_EQ(second.find("building"), std::string::npos) << second;
  EXPECT_EQ(second.find("build time "), std::string::npos) << second;
  EXPECT_NE(second.find("plan load time "), std::string::npos) << second;
  expect_heads_match(net, *e, 1, 1e-2, 12);

  std::string header;
  std::getline(std::ifstream(plan), header);           // "lightnet-cuda-plan <format>"
  std::ofstream(plan) << header << "\nkey 00";          // a key for another network, nothing after it
  testing::internal::CaptureStderr();
  e = build(net, Precision::FP16, 1, dir);
  std::string third = testing::internal::GetCapturedStderr();
  EXPECT_NE(third.find("built for something else"), std::string::npos) << third;
  expect_heads_match(net, *e, 1, 1e-2, 13);

  std::ofstream(plan) << "garbage";
  testing::internal::CaptureStderr();
  e = build(net, Precision::FP16, 1, dir);
  std::string fourth = testing::internal::GetCapturedStderr();
  EXPECT_NE(fourth.find("corrupt"), std::string::npos) << fourth;

  Network other = test_network();
  other.layers[0].bias[0] += 1.f;  // other weights: the plan is stale
  testing::internal::CaptureStderr();
  build(other, Precision::FP16, 1, dir);
  std::string fifth = testing::internal::GetCapturedStderr();
  EXPECT_NE(fifth.find("built for something else"), std::string::npos) << fifth;

  // A setting a user switches (here sparsity) has a plan file of its own: going back and forth reuses both.
  testing::internal::CaptureStderr();
  build(other, Precision::FP16, 1, dir, true);
  std::string sixth = testing::internal::GetCapturedStderr();
  EXPECT_NE(sixth.find("no cached plan"), std::string::npos) << sixth;
  EXPECT_TRUE(std::filesystem::exists(dir + "/synthetic-fp16-b1.cudaplan")) << sixth;
  testing::internal::CaptureStderr();
  build(other, Precision::FP16, 1, dir);
  build(other, Precision::FP16, 1, dir, true);
  std::string seventh = testing::internal::GetCapturedStderr();
  EXPECT_EQ(seventh.find("building"), std::string::npos) << seventh;
}

TEST(CudaEngine, ProfileListsComputedLayers) {
  REQUIRE_GPU();
  Network net = test_network();
  BuildOptions o;
  o.backend = "cuda";
  o.profile = true;
  auto e = build_engine(net, o);
  auto input = random_input(net, 1, 3);
  e->forward(input.data(), 1);
  e->forward(input.data(), 1);
  auto prof = e->take_profile();
  ASSERT_FALSE(prof.empty());
  EXPECT_EQ(prof.front().layer, 0);
  EXPECT_EQ(prof.front().name, "0 convolutional 3x3/1 16");
  for (const auto& t : prof) EXPECT_GE(t.ms, 0.0) << t.name;
  EXPECT_TRUE(e->take_profile().empty());  // taken: reset
}

// ------------------------------------------------------------------ uploads through pinned memory
TEST(CudaEngine, HostUploaderCopiesEveryByte) {
  REQUIRE_GPU();
  std::mt19937 rng(21);
  cudaStream_t s = nullptr;
  ASSERT_EQ(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking), cudaSuccess);
  auto random_bytes = [&](size_t n) {
    std::vector<uint8_t> v(n);
    for (auto& x : v) x = uint8_t(rng());
    return v;
  };
  auto read_back = [&](const void* dev, size_t n) {
    std::vector<uint8_t> v(n, 0);
    EXPECT_EQ(cudaMemcpyAsync(v.data(), dev, n, cudaMemcpyDeviceToHost, s), cudaSuccess);
    EXPECT_EQ(cudaStreamSynchronize(s), cudaSuccess);
    return v;
  };
  const size_t chunk = 4096;  // small chunks: many per upload, and a short last one
  for (int helpers : {0, 1, 3}) {
    cuda::HostUploader up(helpers, chunk);
    EXPECT_EQ(up.helper_threads(), helpers);
    for (size_t bytes : {size_t(1), chunk - 1, chunk, chunk + 1, 3 * chunk + 17, size_t(1) << 20}) {
      auto src = random_bytes(bytes);
      const auto expected = src;
      void* dev = nullptr;
      ASSERT_EQ(cudaMalloc(&dev, bytes), cudaSuccess);
      ASSERT_EQ(cudaMemset(dev, 0xA5, bytes), cudaSuccess);
      up.upload(dev, src.data(), bytes, 0, s);
      std::fill(src.begin(), src.end(), uint8_t(0x5A));  // the source is free once upload() returns
      EXPECT_TRUE(read_back(dev, bytes) == expected) << helpers << " helpers, " << bytes << " bytes";
      cudaFree(dev);
    }
    // Two slots in flight at once, then a slot reused while the other's transfer may still run.
    const size_t n = 5 * chunk + 3;
    void* dev[2] = {nullptr, nullptr};
    for (auto& d : dev) ASSERT_EQ(cudaMalloc(&d, n), cudaSuccess);
    auto a = random_bytes(n), b = random_bytes(n), c = random_bytes(n);
    up.upload(dev[0], a.data(), n, 0, s);
    up.upload(dev[1], b.data(), n, 1, s);
    EXPECT_TRUE(read_back(dev[1], n) == b) << helpers << " helpers, slot 1";
    up.upload(dev[0], c.data(), n, 0, s);
    EXPECT_TRUE(read_back(dev[0], n) == c) << helpers << " helpers, slot 0 reused";
    for (auto& d : dev) cudaFree(d);
  }
  cudaStreamDestroy(s);
}

// The three upload paths (pinned staging, the engine's pinned input buffers, the driver's pageable copy) put the
// same bytes on the GPU, so detect() returns the same results from each.
TEST(CudaEngine, PinnedAndPageableUploadsGiveEqualResults) {
  REQUIRE_GPU();
  Network net = test_network();
  auto e = build(net, Precision::FP32, 2);
  const int w = 1001, h = 601;  // 1.8 MB: several 512 KB staging chunks and a short last one
  const size_t step = size_t(w) * 3 + 5, bytes = step * h;  // rows padded: the step is honoured
  std::mt19937 rng(31);
  std::vector<std::vector<uint8_t>> frames(2, std::vector<uint8_t>(bytes));
  for (auto& f : frames)
    for (auto& v : f) v = uint8_t(rng() & 255);
  DetectOptions opt;
  opt.score_threshold = 0.3f;
  opt.nms_threshold = 0.45f;
  std::vector<ImageView> pageable, pinned;
  for (int k = 0; k < 2; ++k) {
    pageable.push_back({frames[k].data(), w, h, step, PixelFormat::BGR8});
    uint8_t* p = e->pinned_input(k, bytes);
    ASSERT_NE(p, nullptr);
    std::memcpy(p, frames[k].data(), bytes);
    pinned.push_back({p, w, h, step, PixelFormat::BGR8});
  }
  ::setenv("LIGHTNET_CUDA_UPLOAD", "pageable", 1);
  auto driver = build(net, Precision::FP32, 2);
  ::unsetenv("LIGHTNET_CUDA_UPLOAD");
  auto sorted = [](std::vector<Detection> d) {
    std::sort(d.begin(), d.end(), [](const Detection& a, const Detection& b) {
      return std::tie(a.score, a.class_id, a.x, a.y) > std::tie(b.score, b.class_id, b.x, b.y);
    });
    return d;
  };
  const auto staged = e->detect(pageable, opt), direct = e->detect(pinned, opt), by_driver = driver->detect(pageable, opt);
  for (const auto* other : {&direct, &by_driver}) {
    ASSERT_EQ(other->size(), staged.size());
    for (size_t i = 0; i < staged.size(); ++i) {
      const auto a = sorted(staged[i].detections), b = sorted((*other)[i].detections);
      ASSERT_EQ(a.size(), b.size()) << "image " << i;
      EXPECT_GT(a.size(), 0u) << "the test network should produce some boxes";
      for (size_t k = 0; k < a.size(); ++k)
        EXPECT_TRUE(a[k].score == b[k].score && a[k].class_id == b[k].class_id && a[k].x == b[k].x &&
                    a[k].y == b[k].y && a[k].width == b[k].width && a[k].height == b[k].height)
            << "image " << i << " box " << k;
      ASSERT_EQ(staged[i].masks.size(), 1u);
      EXPECT_TRUE(staged[i].masks[0].class_ids == (*other)[i].masks[0].class_ids) << "image " << i;
    }
  }
  // A frame in the pinned buffers but changed between calls: the new bytes are what is uploaded.
  std::memcpy(const_cast<uint8_t*>(pinned[0].data), frames[1].data(), bytes);
  const auto swapped = e->detect({pinned[0]}, opt);
  EXPECT_EQ(sorted(swapped[0].detections).size(), sorted(staged[1].detections).size());
  EXPECT_TRUE(swapped[0].masks[0].class_ids == staged[1].masks[0].class_ids);
  EXPECT_THROW(e->pinned_input(2, 16), std::invalid_argument);
  EXPECT_THROW(e->pinned_input(-1, 16), std::invalid_argument);
}

// INT8 on the GPU against the CPU backend's INT8 executor on the same plan (clip value: every range equal,
// so quantizing where a tensor is produced (GPU) and where an int8 conv reads it (CPU) meet the same grid).
// The GPU keeps int8 tensors between int8 convs, FP16 elsewhere; the grouped conv runs FP16 (logged).
TEST(CudaEngine, Int8HeadsMatchCpuInt8) {
  REQUIRE_GPU();
  Network net = test_network();
  BuildOptions o;
  o.precision = Precision::INT8;
  o.clip_value = 4;
  o.quantize_first_layer = false;
  o.batch = 2;
  o.backend = "cpu";
  auto cpu = build_engine(net, o);
  o.backend = "cuda";
  ::setenv("LIGHTNET_CUDA_INT8", "all", 1);  // every planned INT8 layer in int8, not only where it is faster
  auto gpu = build_engine(net, o);
  ::unsetenv("LIGHTNET_CUDA_INT8");
  auto timed = build_engine(net, o);  // int8 only where the timing says so
  EXPECT_EQ(gpu->precision(), Precision::INT8);
  auto input = random_input(net, 2, 21);
  auto want = cpu->forward(input.data(), 2), got = gpu->forward(input.data(), 2);
  ASSERT_EQ(want.size(), got.size());
  for (size_t k = 0; k < want.size(); ++k) {
    ASSERT_EQ(want[k].data.size(), got[k].data.size());
    std::vector<double> ref(want[k].data.begin(), want[k].data.end());
    EXPECT_LT(relative_error(got[k].data.data(), ref.data(), ref.size()), 2e-2) << "head " << k;
  }
  // And the INT8 engine stays close to FP32 (the quantization error itself, not a bug-sized one).
  auto fp32 = build(net, Precision::FP32, 2);
  auto exact = fp32->forward(input.data(), 2);
  auto mixed = timed->forward(input.data(), 2);
  for (size_t k = 0; k < exact.size(); ++k) {
    std::vector<double> ref(exact[k].data.begin(), exact[k].data.end());
    EXPECT_LT(relative_error(got[k].data.data(), ref.data(), ref.size()), 0.15) << "head " << k;
    EXPECT_LT(relative_error(mixed[k].data.data(), ref.data(), ref.size()), 0.15) << "head " << k;
  }
}

// An INT8 engine in which no layer runs int8 (here none can: the own int8 kernels need input channels in 16s)
// is an FP16 engine, sibling convs fused as there, from a fresh build and from its cached plan alike.
TEST(CudaEngine, Int8EngineWithoutInt8LayersRunsRewritten) {
  REQUIRE_GPU();
  NetBuilder b(3, 32, 48);
  const int x = b.conv(-1, 8, 3, 1, 1, 1, Activation::Relu);
  const int a = b.conv(x, 8, 1, 1, 1, 1, Activation::Relu);
  const int r = b.route({x});
  const int s = b.conv(r, 8, 1, 1, 1, 1, Activation::Relu);  // a's sibling
  const int c = b.conv(s, 8, 3, 1, 1, 1, Activation::Relu);
  const int cat = b.route({c, s, a});
  b.yolo(b.conv(cat, 3 * (5 + 2), 1, 1, 1, 1, Activation::Logistic), yolo_params(true));
  const Network net = b.net;
  const std::string dir = std::string(LIGHTNET_TEST_TMP) + "/cuda_int8_rewrites";
  std::filesystem::remove_all(dir);
  BuildOptions o;
  o.backend = "cuda";
  o.precision = Precision::INT8;
  o.clip_value = 4;
  o.quantize_first_layer = true;
  o.sparsity = false;
  o.profile = true;
  o.cache_dir = dir;
  auto input = random_input(net, 1, 17);
  std::vector<Tensor> first;
  for (const char* when : {"fresh", "cached"}) {
    testing::internal::CaptureStderr();
    auto e = build_engine(net, o);
    const std::string log = testing::internal::GetCapturedStderr();
    EXPECT_NE(log.find("sibling convs fused"), std::string::npos) << when << ": " << log;
    EXPECT_EQ(e->network().layers[s].type, LayerType::Convolutional) << when;  // as loaded
    expect_heads_match(net, *e, 1, 2e-2, 17);
    auto heads = e->forward(input.data(), 1);
    bool fused_row = false;
    for (const auto& t : e->take_profile()) fused_row |= t.name.find("(fused") != std::string::npos;
    EXPECT_TRUE(fused_row) << when;
    if (first.empty()) first = heads;
    else for (size_t k = 0; k < heads.size(); ++k) EXPECT_EQ(heads[k].data, first[k].data) << "head " << k;
  }
  EXPECT_GE(std::distance(std::filesystem::directory_iterator(dir), std::filesystem::directory_iterator()), 1);
}

TEST(CudaEngine, BadInputIsAnErrorNotACrash) {
  REQUIRE_GPU();
  Network net = test_network();
  BuildOptions o;
  o.backend = "cuda";
  o.gpu_id = 99;
  EXPECT_THROW(build_engine(net, o), std::invalid_argument);
  o.gpu_id = 0;
  o.precision = Precision::INT8;  // no calibration images, table or clip value
  EXPECT_THROW(build_engine(net, o), std::invalid_argument);
  Network unloaded = net;
  unloaded.has_weights = false;
  EXPECT_THROW(build(unloaded, Precision::FP32, 1), std::invalid_argument);

  auto e = build(net, Precision::FP32, 1);
  std::vector<uint8_t> px(30);
  try {
    e->detect({{px.data(), 10, 1, 30, PixelFormat::BGR8}, {nullptr, 10, 1, 30, PixelFormat::BGR8}}, {});
    FAIL() << "expected invalid_argument";
  } catch (const std::invalid_argument& ex) {
    EXPECT_NE(std::string(ex.what()).find("image 1"), std::string::npos) << ex.what();
  }
  EXPECT_THROW(e->detect({{px.data(), 10, 1, 5, PixelFormat::BGR8}}, {}), std::invalid_argument);
  EXPECT_THROW(e->forward(nullptr, 1), std::invalid_argument);
  // The engine still works after the errors.
  expect_heads_match(net, *e, 1, 1e-5, 14);
}

#endif  // LIGHTNET_WITH_CUDA

}  // namespace
}  // namespace lightnet
