// The stem kernel (both first convs in one launch) against a double-precision reference of the two convs run
// apart, with the intermediate rounded to FP16 as the engine stores it: odd image sizes (partial tiles at every
// edge, the second conv's padding inside a tile), batch 2 (tiles of both images in one launch, more tiles than
// the grid has blocks), 3 and 4 input channels with garbage in the stored padding channels (their weights must be
// zero), a channel slice as output (poisoned around it), the activations of both epilogues. Skips where there is
// no CUDA backend or GPU.
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

#include "cuda/cuda_engine.h"
#include "cuda/stem_conv.h"
#endif

namespace lightnet {
namespace {

#ifndef LIGHTNET_WITH_CUDA
TEST(StemConv, Builds) { GTEST_SKIP() << "built without the CUDA backend (needs nvcc and cuDNN at configure time)"; }
#else

float round_half(float v) { return __half2float(__float2half_rn(v)); }

Layer conv_layer(int index, int input, Shape in, int filters, Activation act, std::mt19937& rng) {
  Layer l;
  l.index = index;
  l.type = LayerType::Convolutional;
  l.inputs = {input};
  ConvParams p;
  p.filters = filters; p.size = 3; p.stride_x = p.stride_y = 2; p.padding = 1; p.activation = act;
  l.params = p;
  l.input_shapes = {in};
  l.output = {filters, (in.h - 1) / 2 + 1, (in.w - 1) / 2 + 1};
  std::normal_distribution<float> wd(0.f, std::sqrt(2.f / (in.c * 9))), bd(0.f, 0.3f);
  l.weights.resize(size_t(filters) * in.c * 9);
  for (float& v : l.weights) v = round_half(wd(rng));
  l.bias.resize(filters);
  for (float& v : l.bias) v = bd(rng);
  return l;
}

// y[n][oy][ox][o] of a 3×3 stride-2 pad-1 conv over x [n][h][w][stride] (channels 0..c-1 read), in double.
std::vector<double> conv_reference(const Layer& l, const std::vector<float>& x, int batch, int stride) {
  const Shape in = l.input_shapes[0], out = l.output;
  std::vector<double> y(size_t(batch) * out.h * out.w * out.c);
  for (int n = 0; n < batch; ++n)
    for (int oy = 0; oy < out.h; ++oy)
      for (int ox = 0; ox < out.w; ++ox)
        for (int o = 0; o < out.c; ++o) {
          double sum = l.bias[o];
          for (int c = 0; c < in.c; ++c)
            for (int ky = 0; ky < 3; ++ky)
              for (int kx = 0; kx < 3; ++kx) {
                const int iy = 2 * oy - 1 + ky, ix = 2 * ox - 1 + kx;
                if (iy < 0 || iy >= in.h || ix < 0 || ix >= in.w) continue;
                sum += double(l.weights[((size_t(o) * in.c + c) * 3 + ky) * 3 + kx]) *
                       x[((size_t(n) * in.h + iy) * in.w + ix) * stride + c];
              }
          y[((size_t(n) * out.h + oy) * out.w + ox) * out.c + o] = reference_activation(sum, l.as<ConvParams>().activation);
        }
  return y;
}

struct Case {
  int channels, h, w;
  Activation first, second;
  int out_extra, out_offset;  // the output as a channel slice: pixel stride 64 + extra, data at offset
};

void check_case(const Case& k) {
  const int batch = 2;
  std::mt19937 rng(k.channels * 1000 + k.h * 7 + k.w);
  const Layer first = conv_layer(0, -1, Shape{k.channels, k.h, k.w}, 32, k.first, rng);
  const Layer second = conv_layer(1, 0, first.output, 64, k.second, rng);
  ASSERT_TRUE(cuda::StemConv::supports(first, second, 8, cuda::DType::F16));
  const Shape out = second.output;

  std::uniform_real_distribution<float> xd(-1.f, 1.f);
  std::vector<__half> x(size_t(batch) * k.h * k.w * 8);
  std::vector<float> xf(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    // Stored padding channels hold garbage here (the engine stores zeros): zero weights must ignore it.
    x[i] = __float2half_rn(int(i % 8) < k.channels ? xd(rng) : 100.f + float(i % 8));
    xf[i] = __half2float(x[i]);
  }
  const std::vector<double> mid_ref = conv_reference(first, xf, batch, 8);
  std::vector<float> mid_half(mid_ref.size());
  for (size_t i = 0; i < mid_ref.size(); ++i) mid_half[i] = round_half(float(mid_ref[i]));
  const std::vector<double> ref = conv_reference(second, mid_half, batch, 32);

  const int out_ps = 64 + k.out_extra;
  const __half poison = __float2half_rn(-777.f);
  std::vector<__half> y(size_t(batch) * out.h * out.w * out_ps, poison);
  cuda::DeviceBuffer dx(x.size() * 2), dy(y.size() * 2);
  ASSERT_EQ(cudaMemcpy(dx.get(), x.data(), x.size() * 2, cudaMemcpyHostToDevice), cudaSuccess);
  ASSERT_EQ(cudaMemcpy(dy.get(), y.data(), y.size() * 2, cudaMemcpyHostToDevice), cudaSuccess);
  cuda::View in{dx.get(), batch, k.h, k.w, 8, 8, int64_t(k.h) * k.w * 8};
  cuda::View view{dy.get<__half>() + k.out_offset, batch, out.h, out.w, 64, out_ps, int64_t(out.h) * out.w * out_ps};
  cuda::StemConv stem(first, second, 8);
  stem.run(in, view, nullptr);
  ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
  ASSERT_EQ(cudaMemcpy(y.data(), dy.get(), y.size() * 2, cudaMemcpyDeviceToHost), cudaSuccess);

  double num = 0, den = 0;
  int outside_touched = 0, unwritten = 0;
  for (size_t px = 0; px < size_t(batch) * out.h * out.w; ++px)
    for (int c = 0; c < out_ps; ++c) {
      const float got = __half2float(y[px * out_ps + c]);
      const bool inside = c >= k.out_offset && c < k.out_offset + 64;
      if (!inside) { outside_touched += got != -777.f; continue; }
      unwritten += got == -777.f;
      const double want = ref[px * 64 + (c - k.out_offset)];
      num += (got - want) * (got - want);
      den += want * want;
    }
  EXPECT_EQ(unwritten, 0);
  EXPECT_EQ(outside_touched, 0);
  EXPECT_LT(std::sqrt(num / std::max(den, 1e-30)), 2e-3) << k.channels << " channels, " << k.h << "x" << k.w;
  // Same input, same bits, launch after launch.
  std::vector<__half> again(y.size());
  stem.run(in, view, nullptr);
  ASSERT_EQ(cudaMemcpy(again.data(), dy.get(), again.size() * 2, cudaMemcpyDeviceToHost), cudaSuccess);
  EXPECT_EQ(std::memcmp(again.data(), y.data(), y.size() * 2), 0);
}

TEST(StemConv, MatchesDoubleReferenceOfTheTwoConvs) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA GPU visible (cuda_device_count() == 0)";
  const std::vector<Case> cases = {
      {3, 96, 128, Activation::Relu, Activation::Relu, 0, 0},       // whole tiles (LightNet's stem, scaled down)
      {3, 61, 83, Activation::Leaky, Activation::Linear, 0, 0},     // odd sizes: partial tiles, padding everywhere
      {4, 37, 150, Activation::Relu, Activation::Leaky, 64, 64},    // 4 channels; a slice of a 128-channel concat
      {3, 130, 70, Activation::Swish, Activation::Mish, 32, 16},    // the other activations; slice mid-pixel
      {1, 9, 5, Activation::Logistic, Activation::Relu, 0, 0},      // smaller than one tile
      {3, 480, 640, Activation::Relu, Activation::Relu, 0, 0},      // many tiles per block
  };
  for (const Case& c : cases) check_case(c);
}

TEST(StemConv, RefusesWhatItCannotRun) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA GPU visible (cuda_device_count() == 0)";
  std::mt19937 rng(1);
  const Layer first = conv_layer(0, -1, Shape{3, 32, 32}, 32, Activation::Relu, rng);
  const Layer second = conv_layer(1, 0, first.output, 64, Activation::Relu, rng);
  EXPECT_TRUE(cuda::StemConv::supports(first, second, 8, cuda::DType::F16));
  EXPECT_FALSE(cuda::StemConv::supports(first, second, 8, cuda::DType::F32));
  EXPECT_FALSE(cuda::StemConv::supports(first, second, 16, cuda::DType::F16));
  const Layer wide = conv_layer(0, -1, Shape{3, 32, 32}, 48, Activation::Relu, rng);
  EXPECT_FALSE(cuda::StemConv::supports(wide, second, 8, cuda::DType::F16));
  const Layer five = conv_layer(0, -1, Shape{5, 32, 32}, 32, Activation::Relu, rng);
  EXPECT_FALSE(cuda::StemConv::supports(five, second, 8, cuda::DType::F16));
  Layer stride1 = second;
  stride1.as<ConvParams>().stride_x = stride1.as<ConvParams>().stride_y = 1;
  EXPECT_FALSE(cuda::StemConv::supports(first, stride1, 8, cuda::DType::F16));
  EXPECT_THROW(cuda::StemConv(first, stride1, 8), std::invalid_argument);
}

#endif

}  // namespace
}  // namespace lightnet
