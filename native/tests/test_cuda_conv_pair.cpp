// The conv pair kernel (two chained 3×3 stride-1 convs in one launch) against a double-precision reference of the
// two convs run apart, with the intermediate rounded to FP16 as the engine stores it, for every tile variant:
// 32 and 64 channels, sizes that leave partial tiles at every edge, batch 2, more tiles than the grid has blocks,
// input and output as channel slices of wider tensors (poison around the output's), every activation in both
// epilogues. Skips where there is no CUDA backend or GPU.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "lightnet/engine.h"
#include "reference_activation.h"

#ifdef LIGHTNET_WITH_CUDA
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include "cuda/conv_pair.h"
#include "cuda/cuda_engine.h"
#endif

namespace lightnet {
namespace {

#ifndef LIGHTNET_WITH_CUDA
TEST(ConvPair, Builds) { GTEST_SKIP() << "built without the CUDA backend (needs nvcc and cuDNN at configure time)"; }
#else

float round_half(float v) { return __half2float(__float2half_rn(v)); }

Layer conv3x3(int index, int input, Shape in, int filters, Activation act, std::mt19937& rng) {
  Layer l;
  l.index = index;
  l.type = LayerType::Convolutional;
  l.inputs = {input};
  ConvParams p;
  p.filters = filters; p.size = 3; p.stride_x = p.stride_y = 1; p.padding = 1; p.activation = act;
  l.params = p;
  l.input_shapes = {in};
  l.output = {filters, in.h, in.w};
  std::normal_distribution<float> wd(0.f, std::sqrt(2.f / (in.c * 9))), bd(0.f, 0.3f);
  l.weights.resize(size_t(filters) * in.c * 9);
  for (float& v : l.weights) v = round_half(wd(rng));
  l.bias.resize(filters);
  for (float& v : l.bias) v = bd(rng);
  return l;
}

// y[n][y][x][o] of a 3×3 stride-1 pad-1 conv over x [n][h][w][stride] (channels offset.. offset + c), in double.
std::vector<double> conv_reference(const Layer& l, const std::vector<float>& x, int batch, int stride, int offset) {
  const Shape in = l.input_shapes[0], out = l.output;
  std::vector<double> y(size_t(batch) * out.h * out.w * out.c);
  for (int n = 0; n < batch; ++n)
    for (int oy = 0; oy < out.h; ++oy)
      for (int ox = 0; ox < out.w; ++ox)
        for (int o = 0; o < out.c; ++o) {
          double sum = l.bias[o];
          for (int ky = 0; ky < 3; ++ky)
            for (int kx = 0; kx < 3; ++kx) {
              const int iy = oy - 1 + ky, ix = ox - 1 + kx;
              if (iy < 0 || iy >= in.h || ix < 0 || ix >= in.w) continue;
              const float* px = &x[((size_t(n) * in.h + iy) * in.w + ix) * stride + offset];
              for (int c = 0; c < in.c; ++c) sum += double(l.weights[((size_t(o) * in.c + c) * 3 + ky) * 3 + kx]) * px[c];
            }
          y[((size_t(n) * out.h + oy) * out.w + ox) * out.c + o] = reference_activation(sum, l.as<ConvParams>().activation);
        }
  return y;
}

struct Case {
  int channels, h, w, batch;
  Activation first, second;
  int in_extra, in_offset;    // the input as a channel slice: pixel stride channels + extra, data at offset
  int out_extra, out_offset;  // the same for the output
};

void check_case(const Case& k) {
  SCOPED_TRACE(std::to_string(k.channels) + " channels, " + std::to_string(k.batch) + "x" + std::to_string(k.h) +
               "x" + std::to_string(k.w));
  const int c = k.channels;
  std::mt19937 rng(c * 1000 + k.h * 7 + k.w);
  const Layer first = conv3x3(5, 4, Shape{c, k.h, k.w}, c, k.first, rng);
  const Layer second = conv3x3(6, 5, first.output, c, k.second, rng);
  ASSERT_TRUE(cuda::ConvPair::supports(first, second, cuda::DType::F16));

  const int in_ps = c + k.in_extra;
  std::uniform_real_distribution<float> xd(-1.f, 1.f);
  std::vector<__half> x(size_t(k.batch) * k.h * k.w * in_ps);
  std::vector<float> xf(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    const int ch = int(i % in_ps);  // the channels beside the slice hold large values: reading them shows
    x[i] = __float2half_rn(ch >= k.in_offset && ch < k.in_offset + c ? xd(rng) : 500.f);
    xf[i] = __half2float(x[i]);
  }
  const std::vector<double> mid_ref = conv_reference(first, xf, k.batch, in_ps, k.in_offset);
  std::vector<float> mid_half(mid_ref.size());
  for (size_t i = 0; i < mid_ref.size(); ++i) mid_half[i] = round_half(float(mid_ref[i]));
  const std::vector<double> ref = conv_reference(second, mid_half, k.batch, c, 0);

  const int out_ps = c + k.out_extra;
  const __half poison = __float2half_rn(-777.f);
  std::vector<__half> y(size_t(k.batch) * k.h * k.w * out_ps, poison);
  cuda::DeviceBuffer dx(x.size() * 2), dy(y.size() * 2);
  ASSERT_EQ(cudaMemcpy(dx.get(), x.data(), x.size() * 2, cudaMemcpyHostToDevice), cudaSuccess);
  cuda::View in{dx.get<__half>() + k.in_offset, k.batch, k.h, k.w, c, in_ps, int64_t(k.h) * k.w * in_ps};
  cuda::View out{dy.get<__half>() + k.out_offset, k.batch, k.h, k.w, c, out_ps, int64_t(k.h) * k.w * out_ps};
  cuda::ConvPair pair(first, second);
  for (int v = 0; v < cuda::ConvPair::kVariants; ++v) {
    SCOPED_TRACE(pair.variant_name(v));
    EXPECT_GE(pair.blocks_per_sm(v), 1);
    ASSERT_EQ(cudaMemcpy(dy.get(), y.data(), y.size() * 2, cudaMemcpyHostToDevice), cudaSuccess);
    pair.run(v, in, out, nullptr);
    ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
    std::vector<__half> got(y.size());
    ASSERT_EQ(cudaMemcpy(got.data(), dy.get(), got.size() * 2, cudaMemcpyDeviceToHost), cudaSuccess);
    double num = 0, den = 0;
    int outside_touched = 0, unwritten = 0;
    for (size_t px = 0; px < size_t(k.batch) * k.h * k.w; ++px)
      for (int ch = 0; ch < out_ps; ++ch) {
        const float g = __half2float(got[px * out_ps + ch]);
        const bool inside = ch >= k.out_offset && ch < k.out_offset + c;
        if (!inside) { outside_touched += g != -777.f; continue; }
        unwritten += g == -777.f;
        const double want = ref[px * c + (ch - k.out_offset)];
        num += (g - want) * (g - want);
        den += want * want;
      }
    EXPECT_EQ(unwritten, 0);
    EXPECT_EQ(outside_touched, 0);
    EXPECT_LT(std::sqrt(num / std::max(den, 1e-30)), 2e-3);
    // Same input, same bits, launch after launch.
    pair.run(v, in, out, nullptr);
    std::vector<__half> again(y.size());
    ASSERT_EQ(cudaMemcpy(again.data(), dy.get(), again.size() * 2, cudaMemcpyDeviceToHost), cudaSuccess);
    EXPECT_EQ(std::memcmp(again.data(), got.data(), got.size() * 2), 0);
  }
}

TEST(ConvPair, MatchesDoubleReferenceOfTheTwoConvs) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA GPU visible (cuda_device_count() == 0)";
  const std::vector<Case> cases = {
      {32, 48, 64, 1, Activation::Relu, Activation::Relu, 0, 0, 0, 0},          // whole tiles
      {32, 37, 53, 2, Activation::Leaky, Activation::Linear, 96, 32, 96, 64},   // partial tiles; ELAN's concat slices
      {32, 5, 7, 1, Activation::Swish, Activation::Mish, 0, 0, 32, 16},         // smaller than a tile
      {32, 240, 320, 1, Activation::Relu, Activation::Relu, 0, 0, 0, 0},        // LightNet's layers 5-8: many tiles
      {64, 60, 80, 1, Activation::Relu, Activation::Relu, 192, 128, 192, 0},    // layers 61-64, in their concat
      {64, 29, 45, 2, Activation::Logistic, Activation::Leaky, 0, 0, 64, 32},   // odd sizes, batch 2
      {64, 120, 160, 1, Activation::Relu, Activation::Mish, 0, 0, 0, 0},        // layers 15-18
  };
  for (const Case& c : cases) check_case(c);
}

TEST(ConvPair, RefusesWhatItCannotRun) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA GPU visible (cuda_device_count() == 0)";
  std::mt19937 rng(1);
  const Layer first = conv3x3(5, 4, Shape{32, 24, 24}, 32, Activation::Relu, rng);
  const Layer second = conv3x3(6, 5, first.output, 32, Activation::Relu, rng);
  EXPECT_TRUE(cuda::ConvPair::supports(first, second, cuda::DType::F16));
  EXPECT_FALSE(cuda::ConvPair::supports(first, second, cuda::DType::F32));
  const Layer wide = conv3x3(5, 4, Shape{32, 24, 24}, 48, Activation::Relu, rng);
  const Layer after_wide = conv3x3(6, 5, wide.output, 48, Activation::Relu, rng);
  EXPECT_FALSE(cuda::ConvPair::supports(wide, after_wide, cuda::DType::F16));
  const Layer big = conv3x3(5, 4, Shape{128, 24, 24}, 128, Activation::Relu, rng);
  const Layer after_big = conv3x3(6, 5, big.output, 128, Activation::Relu, rng);
  EXPECT_FALSE(cuda::ConvPair::supports(big, after_big, cuda::DType::F16));
  Layer strided = second;
  strided.as<ConvParams>().stride_x = strided.as<ConvParams>().stride_y = 2;
  EXPECT_FALSE(cuda::ConvPair::supports(first, strided, cuda::DType::F16));
  Layer dilated = second;
  dilated.as<ConvParams>().dilation = 2;
  EXPECT_FALSE(cuda::ConvPair::supports(first, dilated, cuda::DType::F16));
  Layer two_inputs = second;
  two_inputs.inputs = {5, 3};
  EXPECT_FALSE(cuda::ConvPair::supports(first, two_inputs, cuda::DType::F16));
  EXPECT_THROW(cuda::ConvPair(first, strided), std::invalid_argument);

  // Views that do not fit the layers: a clear error, and nothing launched.
  cuda::ConvPair pair(first, second);
  cuda::DeviceBuffer buf(size_t(24) * 24 * 64 * 2);
  cuda::View ok{buf.get(), 1, 24, 24, 32, 32, 24 * 24 * 32};
  cuda::View wrong_c = ok;
  wrong_c.c = 16;
  cuda::View misaligned = ok;
  misaligned.data = buf.get<__half>() + 4;
  misaligned.pixel_stride = 36;
  EXPECT_THROW(pair.run(0, wrong_c, ok, nullptr), std::invalid_argument);
  EXPECT_THROW(pair.run(0, misaligned, ok, nullptr), std::invalid_argument);
  EXPECT_THROW(pair.run(cuda::ConvPair::kVariants, ok, ok, nullptr), std::invalid_argument);
}

#endif

}  // namespace
}  // namespace lightnet
