// The own implicit-GEMM FP16 convolution against a double-precision reference computed from the same
// half-rounded inputs and weights: every tile variant, strides, dilation, padding, tails in every dimension,
// input and output channel slices (as concatenation in place makes them), batch 2. Poisoned outputs check that
// every element of the slice is written and nothing outside it. Skips where there is no CUDA backend or GPU.
//
// INT8 (input and/or output): against an exact int64 reference of the int8 sums. "Counting" runs (unit steps,
// small integer weights and activations, half-integer biases) make every output the exact sum itself, so the
// int8 main loop and split-K must match bit for bit, ties rounded to even. Realistic runs (calibration-like
// steps, the plan's per-channel weight steps, an all-zero channel) replay the kernel's fp32 epilogue on the host
// (the same fma, multiply and round-half-even): exact for linear / relu / leaky; within 1 int8 step for logistic
// / swish / mish, whose fast device exp / tanh differ from the host's, and for FP16 input, whose fp32 sums differ
// from the double reference in the last bits (rarely: at most 1% of the outputs).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "lightnet/engine.h"
#include "reference_activation.h"
#include "lightnet/quantization.h"

#ifdef LIGHTNET_WITH_CUDA
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include "cuda/cuda_engine.h"
#include "cuda/igemm_conv.h"
#endif

namespace lightnet {
namespace {

#ifndef LIGHTNET_WITH_CUDA
TEST(IgemmConv, Builds) { GTEST_SKIP() << "built without the CUDA backend (needs nvcc and cuDNN at configure time)"; }
#else

struct Case {
  int cin, cout, size, stride, dilation, h, w;
  Activation act;
  int in_extra, in_offset, out_extra, out_offset;  // channel slices: pixel stride = c + extra, data at offset
};

double activate(double x, Activation a) { return reference_activation(x, a); }

float round_half(float v) { return __half2float(__float2half_rn(v)); }

void check_case(const Case& k, int variant, int* tested) {
  const int batch = 2;
  Layer l;
  l.index = 7;
  l.type = LayerType::Convolutional;
  ConvParams p;
  p.filters = k.cout; p.size = k.size; p.stride_x = p.stride_y = k.stride; p.dilation = k.dilation;
  p.padding = (k.size / 2) * k.dilation; p.activation = k.act;
  l.params = p;
  const int span = (k.size - 1) * k.dilation + 1;
  const int oh = (k.h + 2 * p.padding - span) / k.stride + 1, ow = (k.w + 2 * p.padding - span) / k.stride + 1;
  l.input_shapes = {Shape{k.cin, k.h, k.w}};
  l.output = {k.cout, oh, ow};
  std::mt19937 rng(k.cin * 131 + k.cout * 7 + variant);
  std::normal_distribution<float> wd(0.f, std::sqrt(2.f / (k.cin * k.size * k.size))), bd(0.f, 0.3f);
  l.weights.resize(size_t(k.cout) * k.cin * k.size * k.size);
  for (float& v : l.weights) v = round_half(wd(rng));
  l.bias.resize(k.cout);
  for (float& v : l.bias) v = bd(rng);

  const int in_ps = k.cin + k.in_extra, out_ps = k.cout + k.out_extra;
  std::uniform_real_distribution<float> xd(-1.f, 1.f);
  std::vector<__half> x(size_t(batch) * k.h * k.w * in_ps);
  for (auto& v : x) v = __float2half_rn(xd(rng));
  const __half poison = __float2half_rn(-777.f);
  std::vector<__half> y(size_t(batch) * oh * ow * out_ps, poison);

  cuda::DeviceBuffer dx(x.size() * 2), dy(y.size() * 2);
  ASSERT_EQ(cudaMemcpy(dx.get(), x.data(), x.size() * 2, cudaMemcpyHostToDevice), cudaSuccess);
  ASSERT_EQ(cudaMemcpy(dy.get(), y.data(), y.size() * 2, cudaMemcpyHostToDevice), cudaSuccess);
  cuda::View in{dx.get<__half>() + k.in_offset, batch, k.h, k.w, k.cin, in_ps, int64_t(k.h) * k.w * in_ps};
  cuda::View out{dy.get<__half>() + k.out_offset, batch, oh, ow, k.cout, out_ps, int64_t(oh) * ow * out_ps};
  cuda::IgemmConv conv(l, k.cin);
  if (!conv.sensible(variant, out)) return;
  cuda::DeviceBuffer partials(std::max<size_t>(conv.partials_bytes(variant, out), 16)),
      arrivals(sizeof(int) * cuda::kIgemmMaxArrivals);
  ASSERT_EQ(cudaMemset(arrivals.get(), 0, arrivals.bytes()), cudaSuccess);
  const cuda::IgemmWorkspace ws{partials.get(), partials.bytes(), arrivals.get<int>()};
  for (int launch = 0; launch < 2; ++launch) conv.run(variant, in, out, ws, nullptr);  // 2: arrivals reset
  ++*tested;
  ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
  ASSERT_EQ(cudaMemcpy(y.data(), dy.get(), y.size() * 2, cudaMemcpyDeviceToHost), cudaSuccess);

  double num = 0, den = 0;
  int outside_touched = 0, unwritten = 0;
  for (int n = 0; n < batch; ++n)
    for (int oy = 0; oy < oh; ++oy)
      for (int ox = 0; ox < ow; ++ox) {
        const __half* px = y.data() + (size_t(n) * oh * ow + size_t(oy) * ow + ox) * out_ps;
        for (int c = 0; c < out_ps; ++c) {
          const bool inside = c >= k.out_offset && c < k.out_offset + k.cout;
          const float got = __half2float(px[c]);
          if (!inside) { outside_touched += got != -777.f; continue; }
          if (got == -777.f) ++unwritten;
          const int o = c - k.out_offset;
          double sum = l.bias[o];
          for (int ci = 0; ci < k.cin; ++ci)
            for (int ky = 0; ky < k.size; ++ky)
              for (int kx = 0; kx < k.size; ++kx) {
                const int iy = oy * k.stride - p.padding + ky * k.dilation, ix = ox * k.stride - p.padding + kx * k.dilation;
                if (iy < 0 || iy >= k.h || ix < 0 || ix >= k.w) continue;
                sum += double(l.weights[((size_t(o) * k.cin + ci) * k.size + ky) * k.size + kx]) *
                       __half2float(x[(size_t(n) * k.h * k.w + size_t(iy) * k.w + ix) * in_ps + k.in_offset + ci]);
              }
          const double ref = activate(sum, k.act);
          num += (got - ref) * (got - ref);
          den += ref * ref;
        }
      }
  EXPECT_EQ(unwritten, 0);
  EXPECT_EQ(outside_touched, 0);
  // Same input, same bits, launch after launch: split-K adds its shares in a fixed order whichever block of a
  // tile arrives last.
  std::vector<__half> again(y.size());
  int differing_launches = 0;
  for (int launch = 0; launch < 6; ++launch) {
    conv.run(variant, in, out, ws, nullptr);
    ASSERT_EQ(cudaMemcpy(again.data(), dy.get(), again.size() * 2, cudaMemcpyDeviceToHost), cudaSuccess);
    differing_launches += std::memcmp(again.data(), y.data(), y.size() * 2) != 0;
  }
  EXPECT_EQ(differing_launches, 0) << "variant " << cuda::igemm_variant_name(variant) << " is not deterministic";
  const double rel = std::sqrt(num / std::max(den, 1e-30));
  EXPECT_LT(rel, 2e-3) << "cin " << k.cin << " cout " << k.cout << " " << k.size << "x" << k.size << "/" << k.stride
                       << " d" << k.dilation << " variant " << cuda::igemm_variant_name(variant);
  cudaGetLastError();
}

TEST(IgemmConv, MatchesDoubleReferenceForEveryVariant) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA GPU visible (cuda_device_count() == 0)";
  const std::vector<Case> cases = {
      {8, 32, 3, 2, 1, 37, 53, Activation::Relu, 0, 0, 0, 0},        // the padded network input, stride 2
      {32, 32, 3, 1, 1, 20, 33, Activation::Leaky, 32, 32, 96, 64},  // slices in and out (concat in place)
      {64, 45, 1, 1, 1, 9, 13, Activation::Logistic, 0, 0, 0, 0},    // a YOLO head: odd channel count
      {48, 40, 3, 1, 2, 17, 19, Activation::Swish, 16, 8, 0, 0},     // dilation 2, depth not a multiple of 32
      {16, 136, 3, 2, 1, 15, 22, Activation::Mish, 0, 0, 8, 0},      // columns beyond 128
      {256, 512, 1, 1, 1, 3, 5, Activation::Linear, 0, 0, 0, 0},     // deep and tiny
      {24, 30, 3, 1, 1, 11, 7, Activation::Relu, 0, 0, 3, 1},        // odd output stride: scalar stores
      {128, 96, 3, 1, 1, 6, 9, Activation::Leaky, 0, 0, 32, 32},     // deep, few tiles: split-K 2, 4, 8
      {64, 48, 3, 1, 3, 13, 21, Activation::Relu, 64, 64, 0, 0},     // dilation 3: the halo kernels' widest halo
      {32, 128, 3, 1, 1, 96, 96, Activation::Relu, 0, 0, 0, 0},      // resident blocks walking over several tiles
      {8, 40, 3, 2, 1, 34, 41, Activation::Leaky, 8, 8, 24, 16},     // the padded input, stride 2, in and out of slices
  };
  int tested = 0;
  for (const Case& c : cases)
    for (int v = 0; v < cuda::kIgemmVariants; ++v) {
      SCOPED_TRACE(cuda::igemm_variant_name(v));
      check_case(c, v, &tested);
    }
  EXPECT_GE(tested, 8 * 7 + 3 * 7);  // every shape for every case, and every split for the deep ones
}

// ---- INT8 ------------------------------------------------------------------------------------------------

struct QuantMode {
  cuda::IgemmType in, out;
  bool counting;  // unit steps and small integers: every output is the exact int8 sum (see the file comment)
};

std::string mode_name(const QuantMode& m) {
  auto t = [](cuda::IgemmType x) { return x == cuda::IgemmType::S8 ? "s8" : "f16"; };
  return std::string(t(m.in)) + "->" + t(m.out) + (m.counting ? " counting" : " realistic");
}

// The device's piecewise-linear activations in fp32, operation for operation (device_math.cuh).
bool piecewise_linear(Activation a) { return a == Activation::Linear || a == Activation::Relu || a == Activation::Leaky; }
float activate_f32(float x, Activation a) {
  switch (a) {
    case Activation::Linear: return x;
    case Activation::Relu: return x > 0.f ? x : 0.f;
    case Activation::Leaky: return x > 0.f ? x : 0.1f * x;
    default: return float(activate(double(x), a));
  }
}

void check_quantized_case(const Case& k, const QuantMode& mode, int* tested) {
  const bool s8_in = mode.in == cuda::IgemmType::S8, s8_out = mode.out == cuda::IgemmType::S8;
  const int batch = 2;
  Layer l;
  l.index = 9;
  l.type = LayerType::Convolutional;
  ConvParams p;
  p.filters = k.cout; p.size = k.size; p.stride_x = p.stride_y = k.stride; p.dilation = k.dilation;
  p.padding = (k.size / 2) * k.dilation;
  p.activation = mode.counting ? Activation::Linear : k.act;
  l.params = p;
  const int span = (k.size - 1) * k.dilation + 1;
  const int oh = (k.h + 2 * p.padding - span) / k.stride + 1, ow = (k.w + 2 * p.padding - span) / k.stride + 1;
  l.input_shapes = {Shape{k.cin, k.h, k.w}};
  l.output = {k.cout, oh, ow};
  const int per = k.cin * k.size * k.size;
  std::mt19937 rng(k.cin * 131 + k.cout * 7 + k.size);

  // Weights, bias and the steps an INT8 plan would give them.
  l.weights.resize(size_t(k.cout) * per);
  l.bias.resize(k.cout);
  cuda::IgemmPrecision pr;
  pr.input = mode.in;
  pr.output = mode.out;
  if (mode.counting) {
    std::uniform_int_distribution<int> wd(-1, 1);
    for (float& v : l.weights) v = float(wd(rng));
    for (int o = 0; o < k.cout; ++o) l.bias[o] = 0.5f * float(o % 4 - 1);  // -0.5, 0, 0.5, 1: ties to even
    pr.weight_scales.assign(k.cout, 1.f);
    pr.input_scale = 1.f;
  } else {
    std::normal_distribution<float> wd(0.f, std::sqrt(2.f / per)), bd(0.f, 0.3f);
    for (float& v : l.weights) v = s8_in ? wd(rng) : round_half(wd(rng));
    if (k.cout > 1) std::fill(l.weights.begin() + per, l.weights.begin() + 2 * per, 0.f);  // an all-zero channel
    for (float& v : l.bias) v = bd(rng);
    for (int o = 0; o < k.cout; ++o) {  // max |w| / 127, 1 for an all-zero channel (quant_plan.cpp)
      float m = 0;
      for (int i = 0; i < per; ++i) m = std::max(m, std::fabs(l.weights[size_t(o) * per + i]));
      pr.weight_scales.push_back(m > 0 ? m / 127.f : 1.f);
    }
    pr.input_scale = 0.03f;
  }
  // The weights the reference multiplies: int8 by the one quantization rule, or the halves themselves.
  std::vector<int> wq(l.weights.size());
  for (size_t i = 0; i < wq.size(); ++i) wq[i] = quantize_s8(l.weights[i], 1.f / pr.weight_scales[i / per]);

  // Input: int8 steps (counting: -2..2; realistic: the full range) or halves in [-1, 1].
  const int in_ps = k.cin + k.in_extra, out_ps = k.cout + k.out_extra;
  const size_t in_count = size_t(batch) * k.h * k.w * in_ps;
  std::vector<int8_t> xq(in_count);
  std::vector<__half> xh(in_count);
  std::uniform_int_distribution<int> xd(mode.counting ? -2 : -128, mode.counting ? 2 : 127);
  std::uniform_real_distribution<float> hd(-1.f, 1.f);
  for (size_t i = 0; i < in_count; ++i) {
    xq[i] = int8_t(xd(rng));
    xh[i] = __float2half_rn(hd(rng));
  }

  // Reference: the value before the output conversion for every output (n, oy, ox, o).
  const size_t outputs = size_t(batch) * oh * ow * k.cout;
  std::vector<float> value(outputs);
  for (int n = 0; n < batch; ++n)
    for (int oy = 0; oy < oh; ++oy)
      for (int ox = 0; ox < ow; ++ox)
        for (int o = 0; o < k.cout; ++o) {
          int64_t isum = 0;
          double dsum = 0;
          for (int ci = 0; ci < k.cin; ++ci)
            for (int ky = 0; ky < k.size; ++ky)
              for (int kx = 0; kx < k.size; ++kx) {
                const int iy = oy * k.stride - p.padding + ky * k.dilation, ix = ox * k.stride - p.padding + kx * k.dilation;
                if (iy < 0 || iy >= k.h || ix < 0 || ix >= k.w) continue;
                const size_t wi = ((size_t(o) * k.cin + ci) * k.size + ky) * k.size + kx;
                const size_t xi = (size_t(n) * k.h * k.w + size_t(iy) * k.w + ix) * in_ps + k.in_offset + ci;
                if (s8_in) isum += int64_t(wq[wi]) * xq[xi];
                else dsum += double(l.weights[wi]) * __half2float(xh[xi]);
              }
          const size_t e = ((size_t(n) * oh + oy) * ow + ox) * k.cout + o;
          if (s8_in) {  // the kernel: fma(float(sum), s_in · s_w[o], bias[o]) in fp32, then the activation
            const float step = pr.input_scale * pr.weight_scales[o];
            value[e] = activate_f32(std::fma(float(isum), step, l.bias[o]), p.activation);
          } else {
            value[e] = float(activate(dsum + l.bias[o], p.activation));
          }
        }
  if (s8_out) {  // counting: unit step; realistic: a range that saturates the largest few percent
    float amax = 0;
    for (float v : value) amax = std::max(amax, std::fabs(v));
    pr.output_scale = mode.counting ? 1.f : std::max(0.7f * amax, 1e-3f) / 127.f;
  }
  // Exact where the host replays the kernel's fp32 operations; otherwise the output may round the other way:
  // FP16 input (fp32 sums vs the double reference: rarely) and logistic / swish / mish (the device's __expf and,
  // under --use_fast_math, tanh.approx.f32 with 2^-11 relative error: often, but by less than one int8 step).
  const bool approximate_act = !piecewise_linear(p.activation);
  const bool exact = mode.counting || (s8_in && !approximate_act);

  cuda::IgemmConv conv(l, k.cin, pr);
  ASSERT_EQ(conv.input_type(), mode.in);
  ASSERT_EQ(conv.output_type(), mode.out);
  const size_t in_elem = s8_in ? 1 : 2, out_elem = s8_out ? 1 : 2;
  const size_t out_count = size_t(batch) * oh * ow * out_ps;
  cuda::DeviceBuffer dx(in_count * in_elem), dy(out_count * out_elem);
  ASSERT_EQ(cudaMemcpy(dx.get(), s8_in ? static_cast<const void*>(xq.data()) : xh.data(), in_count * in_elem,
                       cudaMemcpyHostToDevice), cudaSuccess);
  cuda::View in{static_cast<char*>(dx.get()) + k.in_offset * in_elem, batch, k.h, k.w, k.cin, in_ps,
                int64_t(k.h) * k.w * in_ps};
  cuda::View out{static_cast<char*>(dy.get()) + k.out_offset * out_elem, batch, oh, ow, k.cout, out_ps,
                 int64_t(oh) * ow * out_ps};
  // Two poisons: an element written holds the same value after both runs; one not written holds the poison.
  const float poison[2] = {-77.f, 99.f};
  auto poison_output = [&](int i) {
    std::vector<unsigned char> bytes(out_count * out_elem);
    for (size_t e = 0; e < out_count; ++e) {
      if (s8_out) bytes[e] = static_cast<unsigned char>(int8_t(poison[i]));
      else { const __half h = __float2half_rn(poison[i]); std::memcpy(&bytes[e * 2], &h, 2); }
    }
    return cudaMemcpy(dy.get(), bytes.data(), bytes.size(), cudaMemcpyHostToDevice);
  };
  auto read_output = [&]() {
    std::vector<unsigned char> bytes(out_count * out_elem);
    EXPECT_EQ(cudaMemcpy(bytes.data(), dy.get(), bytes.size(), cudaMemcpyDeviceToHost), cudaSuccess);
    std::vector<float> v(out_count);
    for (size_t e = 0; e < out_count; ++e) {
      if (s8_out) { v[e] = float(int8_t(bytes[e])); continue; }
      __half h;
      std::memcpy(&h, &bytes[e * 2], 2);
      v[e] = __half2float(h);
    }
    return v;
  };

  for (int variant = 0; variant < cuda::kIgemmVariants; ++variant) {
    if (!conv.sensible(variant, out)) continue;
    SCOPED_TRACE(cuda::igemm_variant_name(variant));
    cuda::DeviceBuffer partials(std::max<size_t>(conv.partials_bytes(variant, out), 16)),
        arrivals(sizeof(int) * cuda::kIgemmMaxArrivals);
    ASSERT_EQ(cudaMemset(arrivals.get(), 0, arrivals.bytes()), cudaSuccess);
    const cuda::IgemmWorkspace ws{partials.get(), partials.bytes(), arrivals.get<int>()};
    std::vector<float> got[2];
    for (int run = 0; run < 2; ++run) {
      ASSERT_EQ(poison_output(run), cudaSuccess);
      for (int launch = 0; launch <= run; ++launch) conv.run(variant, in, out, ws, nullptr);  // 2nd: arrivals reset
      ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
      got[run] = read_output();
    }
    ++*tested;

    int outside_touched = 0, unwritten = 0, off_by_one = 0, wrong = 0;
    for (size_t px = 0; px < size_t(batch) * oh * ow; ++px)
      for (int c = 0; c < out_ps; ++c) {
        const size_t e = px * out_ps + c;
        const bool inside = c >= k.out_offset && c < k.out_offset + k.cout;
        if (!inside) { outside_touched += got[0][e] != poison[0] || got[1][e] != poison[1]; continue; }
        if (got[0][e] != got[1][e]) { ++unwritten; continue; }
        const float v = value[px * k.cout + (c - k.out_offset)];
        const float ref = s8_out ? float(quantize_s8(v, 1.f / pr.output_scale)) : round_half(v);
        const float g = got[1][e];
        if (g == ref) continue;
        // One step of the output type: 1 for int8 (the approximations stay below 0.2 steps at 127 steps), one
        // half ulp (2^-10 of the binade; subnormal below 2^-14), two where tanh.approx adds up to one.
        const float step = s8_out ? 1.f
                                  : std::ldexp(1.f, std::max(std::ilogb(std::fabs(ref) + 1e-30f), -14) - 10) *
                                        (approximate_act ? 2.f : 1.f);
        if (!exact && std::fabs(g - ref) <= step) ++off_by_one;
        else if (++wrong <= 5)
          ADD_FAILURE() << "output (pixel " << px << ", channel " << c - k.out_offset << "): expected " << ref
                        << ", found " << g << " (value before conversion " << v << ")";
      }
    EXPECT_EQ(unwritten, 0);
    EXPECT_EQ(outside_touched, 0);
    EXPECT_EQ(wrong, 0);
    if (!approximate_act) {  // fp32 vs double sums: only values within ~1e-6 of a rounding boundary may differ
      EXPECT_LE(off_by_one, int(outputs / 100)) << "1-step differences should be rare (rounding boundaries only)";
    }
    cudaGetLastError();
  }
}

TEST(IgemmConv, Int8MatchesExactReferenceForEveryVariant) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA GPU visible (cuda_device_count() == 0)";
  using T = cuda::IgemmType;
  const std::vector<Case> cases = {
      {8, 32, 3, 2, 1, 37, 53, Activation::Relu, 0, 0, 0, 0},        // the FP16 first conv feeding int8
      {16, 32, 3, 2, 1, 37, 53, Activation::Leaky, 0, 0, 0, 0},      // stride 2, depth 144: a partial k tile
      {32, 32, 3, 1, 1, 20, 33, Activation::Leaky, 32, 32, 96, 64},  // slices in and out (concat in place)
      {64, 45, 1, 1, 1, 9, 13, Activation::Logistic, 0, 0, 1, 0},    // a YOLO head: odd channels, paired stores
      {48, 40, 3, 1, 2, 17, 19, Activation::Swish, 16, 16, 0, 0},    // dilation 2, depth 432
      {16, 136, 3, 2, 1, 15, 22, Activation::Mish, 0, 0, 8, 0},      // columns beyond 128
      {32, 30, 3, 1, 1, 11, 7, Activation::Relu, 0, 0, 3, 1},        // odd output stride and offset: scalar stores
      {128, 96, 3, 1, 1, 6, 9, Activation::Leaky, 0, 0, 32, 32},     // deep, few tiles: split-K 2, 4
      {256, 64, 3, 1, 1, 5, 7, Activation::Linear, 0, 0, 0, 0},      // deeper: split-K 2, 4, 8
  };
  const std::vector<QuantMode> modes = {
      {T::S8, T::S8, true},  {T::S8, T::F16, true},  {T::S8, T::S8, false},
      {T::S8, T::F16, false}, {T::F16, T::S8, false},
  };
  int tested = 0;
  for (const Case& c : cases)
    for (const QuantMode& m : modes) {
      if (m.in == T::S8 && (c.cin % 16 || c.in_extra % 16 || c.in_offset % 16)) continue;  // int8: 16-channel chunks
      SCOPED_TRACE(mode_name(m) + " cin " + std::to_string(c.cin) + " cout " + std::to_string(c.cout) + " " +
                   std::to_string(c.size) + "x" + std::to_string(c.size) + "/" + std::to_string(c.stride));
      check_quantized_case(c, m, &tested);
    }
  // Every shape in every run (8 int8-input cases × 4 modes + 9 FP16-input cases), and the split-K variants of
  // the deep cases (int8 depth tiles of 64: 18 and 36 tiles give splits 2, 4 and 2, 4, 8).
  EXPECT_GE(tested, (8 * 4 + 9) * 7 + (2 + 3) * 4 * 7);
}

TEST(IgemmConv, Int8RefusesMissingSteps) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA GPU visible (cuda_device_count() == 0)";
  Layer l;
  l.index = 3;
  l.type = LayerType::Convolutional;
  ConvParams p;
  p.filters = 4; p.size = 1;
  l.params = p;
  l.input_shapes = {Shape{16, 2, 2}};
  l.output = {4, 2, 2};
  l.weights.assign(4 * 16, 0.5f);
  l.bias.assign(4, 0.f);
  cuda::IgemmPrecision pr;
  pr.input = cuda::IgemmType::S8;
  pr.input_scale = 0.1f;
  pr.weight_scales = {1.f, 1.f, 1.f};  // one short
  EXPECT_THROW(cuda::IgemmConv(l, 16, pr), std::invalid_argument);
  pr.weight_scales.push_back(0.f);  // not positive
  EXPECT_THROW(cuda::IgemmConv(l, 16, pr), std::invalid_argument);
  pr.weight_scales.back() = 1.f;
  pr.output = cuda::IgemmType::S8;  // no output step
  EXPECT_THROW(cuda::IgemmConv(l, 16, pr), std::invalid_argument);
  pr.output_scale = 0.2f;
  EXPECT_NO_THROW(cuda::IgemmConv(l, 16, pr));
  EXPECT_THROW(cuda::IgemmConv(l, 8, pr), std::invalid_argument);  // int8 needs 16-channel chunks
}

// A kernel's shared-memory limit is shared by every layer that runs it: a halo layer of small dilation set up
// after one of large dilation must not lower it below what the larger halo needs (the engine constructs every
// layer first and runs them later; the launch failed with cudaErrorInvalidValue before the limit only grew).
TEST(IgemmConv, LaterLayersDoNotShrinkAHaloKernelsSharedMemory) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA GPU visible (cuda_device_count() == 0)";
  auto layer = [](int dilation) {
    Layer l;
    l.index = dilation;
    l.type = LayerType::Convolutional;
    ConvParams p;
    p.filters = 64; p.size = 3; p.stride_x = p.stride_y = 1; p.dilation = dilation; p.padding = dilation;
    p.activation = Activation::Leaky;
    l.params = p;
    l.input_shapes = {Shape{64, 24, 40}};
    l.output = {64, 24, 40};
    l.weights.assign(size_t(64) * 64 * 9, 0.01f);
    l.bias.assign(64, 0.f);
    return l;
  };
  const Layer wide = layer(5), narrow = layer(1);
  cuda::IgemmConv first(wide, 64);
  ASSERT_TRUE(first.halo_fits());
  cuda::IgemmConv later(narrow, 64);  // sets up the same halo kernels for a smaller halo
  ASSERT_TRUE(later.halo_fits());
  cuda::DeviceBuffer dx(size_t(24) * 40 * 64 * 2), dy(size_t(24) * 40 * 64 * 2);
  ASSERT_EQ(cudaMemset(dx.get(), 0, dx.bytes()), cudaSuccess);
  cuda::View in{dx.get(), 1, 24, 40, 64, 64, int64_t(24) * 40 * 64};
  cuda::View out{dy.get(), 1, 24, 40, 64, 64, int64_t(24) * 40 * 64};
  const cuda::IgemmWorkspace ws{};
  int halos = 0;
  for (int v = 0; v < cuda::kIgemmVariants; ++v) {
    if (cuda::igemm_variant_name(v).rfind("halo", 0) != 0 || !first.sensible(v, out)) continue;
    SCOPED_TRACE(cuda::igemm_variant_name(v));
    EXPECT_NO_THROW(first.run(v, in, out, ws, nullptr));
    EXPECT_EQ(cudaDeviceSynchronize(), cudaSuccess);
    ++halos;
  }
  EXPECT_EQ(halos, 3);
}

TEST(IgemmConv, RefusesWhatItCannotRun) {
  Layer l;
  l.type = LayerType::Convolutional;
  ConvParams p;
  p.filters = 32; p.groups = 2;
  l.params = p;
  EXPECT_FALSE(cuda::IgemmConv::supports(l, 32, cuda::DType::F16));  // grouped
  p.groups = 1;
  l.params = p;
  EXPECT_FALSE(cuda::IgemmConv::supports(l, 12, cuda::DType::F16));  // channels not a multiple of 8
  EXPECT_FALSE(cuda::IgemmConv::supports(l, 32, cuda::DType::F32));  // FP32 stays on cuDNN
  EXPECT_TRUE(cuda::IgemmConv::supports(l, 32, cuda::DType::F16));
  cuda::IgemmPrecision s8;
  s8.input = cuda::IgemmType::S8;
  EXPECT_FALSE(cuda::IgemmConv::supports(l, 24, s8));  // int8: channels a multiple of 16
  EXPECT_EQ(cuda::IgemmConv::supports(l, 32, s8), cuda::IgemmConv::supports(l, 32, cuda::DType::F16));
}

#endif

}  // namespace
}  // namespace lightnet
