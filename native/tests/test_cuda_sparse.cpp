// 2:4-sparse 1×1 convolutions on cuSPARSELt against a double-precision reference on the same half-rounded,
// pruned weights and inputs: channel slices in and out (concat in place), batch 2, ReLU and linear; the search's
// pick taken again without a search gives the same bits. Skips where the build has no CUDA backend, no
// cuSPARSELt, or no GPU.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "lightnet/engine.h"
#include "lightnet/quantization.h"

#ifdef LIGHTNET_WITH_CUDA
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include "cuda/cuda_engine.h"
#include "cuda/sparse_conv.h"
#endif

namespace lightnet {
namespace {

#ifndef LIGHTNET_WITH_CUDA
TEST(SparseConv, Builds) { GTEST_SKIP() << "built without the CUDA backend (needs nvcc and cuDNN at configure time)"; }
#else

float round_half(float v) { return __half2float(__float2half_rn(v)); }

void check(int cin, int cout, int h, int w, Activation act, int in_extra, int out_extra, int out_offset,
           const std::shared_ptr<cuda::SparseContext>& context) {
  const int batch = 2;
  Layer l;
  l.index = 3;
  l.type = LayerType::Convolutional;
  ConvParams p;
  p.filters = cout; p.size = 1; p.activation = act; p.sparse = true;
  l.params = p;
  l.input_shapes = {Shape{cin, h, w}};
  l.output = {cout, h, w};
  std::mt19937 rng(cin + cout);
  std::normal_distribution<float> wd(0.f, 0.2f), bd(0.f, 0.3f);
  l.weights.resize(size_t(cout) * cin);
  for (float& v : l.weights) v = round_half(wd(rng));
  l.bias.resize(cout);
  for (float& v : l.bias) v = round_half(bd(rng));
  EXPECT_GT(prune_2_4(l), 0.0);
  ASSERT_TRUE(is_2_4_sparse(l));
  ASSERT_TRUE(cuda::SparseConv::supports(l, cin, cuda::DType::F16));

  const int in_ps = cin + in_extra, out_ps = cout + out_extra;
  std::uniform_real_distribution<float> xd(-1.f, 1.f);
  std::vector<__half> x(size_t(batch) * h * w * in_ps), y(size_t(batch) * h * w * out_ps, __float2half_rn(-777.f));
  for (auto& v : x) v = __float2half_rn(xd(rng));
  cuda::DeviceBuffer dx(x.size() * 2), dy(y.size() * 2), ws(64 << 20);
  ASSERT_EQ(cudaMemcpy(dx.get(), x.data(), x.size() * 2, cudaMemcpyHostToDevice), cudaSuccess);
  ASSERT_EQ(cudaMemcpy(dy.get(), y.data(), y.size() * 2, cudaMemcpyHostToDevice), cudaSuccess);
  cuda::View in{dx.get(), batch, h, w, cin, in_ps, int64_t(h) * w * in_ps};
  cuda::View out{dy.get<__half>() + out_offset, batch, h, w, cout, out_ps, int64_t(h) * w * out_ps};
  cuda::SparseConv conv(context, l);
  conv.prepare(in, out, ws.get(), ws.bytes(), nullptr);
  ASSERT_EQ(cudaMemcpy(dy.get(), y.data(), y.size() * 2, cudaMemcpyHostToDevice), cudaSuccess);  // search wrote it
  conv.run(in, out, ws.get(), nullptr);
  ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
  ASSERT_EQ(cudaMemcpy(y.data(), dy.get(), y.size() * 2, cudaMemcpyDeviceToHost), cudaSuccess);

  double num = 0, den = 0;
  int outside = 0;
  for (int px = 0; px < batch * h * w; ++px)
    for (int c = 0; c < out_ps; ++c) {
      const float got = __half2float(y[size_t(px) * out_ps + c]);
      if (c < out_offset || c >= out_offset + cout) { outside += got != -777.f; continue; }
      const int o = c - out_offset;
      double sum = l.bias[o];
      for (int ci = 0; ci < cin; ++ci)
        sum += double(l.weights[size_t(o) * cin + ci]) * __half2float(x[size_t(px) * in_ps + ci]);
      const double ref = act == Activation::Relu ? std::max(sum, 0.0) : sum;
      num += (got - ref) * (got - ref);
      den += ref * ref;
    }
  EXPECT_EQ(outside, 0);
  EXPECT_LT(std::sqrt(num / std::max(den, 1e-30)), 2e-3) << cin << "→" << cout;

  // The search's pick is reported (the engine plan keeps it), and a layer of the same product takes it without
  // searching: from the context, or given as known (a cached plan, on a fresh context). Same kernel, same bits.
  const cuda::SparseAlgorithm searched = conv.algorithm(in, out);
  EXPECT_GE(searched.config, 0);
  auto again = [&](const std::shared_ptr<cuda::SparseContext>& ctx, const cuda::SparseAlgorithm& known) {
    cuda::SparseConv other(ctx, l);
    other.prepare(in, out, ws.get(), ws.bytes(), nullptr, known);
    EXPECT_EQ(other.algorithm(in, out), searched);
    std::vector<__half> z(y.size(), __float2half_rn(-777.f));
    EXPECT_EQ(cudaMemcpy(dy.get(), z.data(), z.size() * 2, cudaMemcpyHostToDevice), cudaSuccess);
    other.run(in, out, ws.get(), nullptr);
    EXPECT_EQ(cudaDeviceSynchronize(), cudaSuccess);
    EXPECT_EQ(cudaMemcpy(z.data(), dy.get(), z.size() * 2, cudaMemcpyDeviceToHost), cudaSuccess);
    EXPECT_EQ(std::memcmp(z.data(), y.data(), y.size() * 2), 0) << cin << "→" << cout << ": other values";
  };
  again(context, {});
  std::string why;
  again(cuda::make_sparse_context(why), searched);
}

TEST(SparseConv, MatchesDoubleReference) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA GPU visible (cuda_device_count() == 0)";
  std::string why;
  auto context = cuda::make_sparse_context(why);
  if (!context) GTEST_SKIP() << why;
  check(64, 96, 12, 20, Activation::Relu, 0, 0, 0, context);
  check(128, 64, 15, 16, Activation::Linear, 64, 32, 32, context);  // channel slices in and out
  check(256, 256, 30, 40, Activation::Relu, 0, 0, 0, context);
}

#endif

}  // namespace
}  // namespace lightnet
