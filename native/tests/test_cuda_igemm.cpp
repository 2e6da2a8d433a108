// The own implicit-GEMM FP16 convolution against a double-precision reference computed from the same
// half-rounded inputs and weights: every tile variant, strides, dilation, padding, tails in every dimension,
// input and output channel slices (as concatenation in place makes them), batch 2. Poisoned outputs check that
// every element of the slice is written and nothing outside it. Skips where there is no CUDA backend or GPU.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "lightnet/engine.h"

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

double activate(double x, Activation a) {
  switch (a) {
    case Activation::Linear: return x;
    case Activation::Relu: return x > 0 ? x : 0;
    case Activation::Leaky: return x > 0 ? x : 0.1 * x;
    case Activation::Logistic: return 1 / (1 + std::exp(-x));
    case Activation::Swish: return x / (1 + std::exp(-x));
    case Activation::Mish: return x * std::tanh(x > 20 ? x : std::log1p(std::exp(x)));
  }
  return x;
}

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
  };
  int tested = 0;
  for (const Case& c : cases)
    for (int v = 0; v < cuda::kIgemmVariants; ++v) {
      SCOPED_TRACE(cuda::igemm_variant_name(v));
      check_case(c, v, &tested);
    }
  EXPECT_GE(tested, 8 * 7 + 3 * 7);  // every shape for every case, and every split for the deep ones
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
}

#endif

}  // namespace
}  // namespace lightnet
