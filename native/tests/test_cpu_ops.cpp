// Each CPU op through the oneDNN executor against the portable reference executor, on random input and
// seeded random weights, at batch 1 (zero-copy concat paths) and batch 2 (copy paths).
#include <gtest/gtest.h>

#include <fstream>

#include "cpu/executor.h"
#include "lightnet/model_loader.h"
#include "cpu_test_util.h"

namespace lightnet {
namespace {

using testing::NetBuilder;

// Runs `net` through both executors and compares every layer in `outputs`.
void expect_same(const Network& net, std::vector<int> outputs, int batch, double tolerance = 1e-5) {
#ifndef LIGHTNET_WITH_ONEDNN
  GTEST_SKIP() << "built without oneDNN: only the reference executor exists";
#else
  cpu::ExecutorOptions eo;
  eo.max_batch = batch;
  eo.outputs = outputs;
  auto ref = cpu::make_reference_executor(net, eo);
  auto fast = cpu::make_onednn_executor(net, eo);
  auto input = testing::random_input(size_t(net.input.size()) * batch);
  std::vector<std::vector<float>> a, b;
  std::vector<float*> pa, pb;
  for (int o : outputs) {
    size_t n = size_t(net.layers[o].output.size()) * batch;
    a.emplace_back(n, -7.f), b.emplace_back(n, 7.f);
  }
  for (size_t i = 0; i < outputs.size(); ++i) pa.push_back(a[i].data()), pb.push_back(b[i].data());
  fast->run(input.data(), batch, pa);
  ref->run(input.data(), batch, pb);
  for (size_t i = 0; i < outputs.size(); ++i) {
    auto d = testing::compare(a[i].data(), b[i].data(), a[i].size());
    EXPECT_LT(d.relative(), tolerance) << "layer " << outputs[i] << " batch " << batch << ": max|diff| "
                                       << d.max_abs << ", max|ref| " << d.max_ref;
  }
  // A second run on the same plan must give the same answer (no state leaking between runs).
  std::vector<float> again(a[0].size());
  std::vector<float*> pagain{again.data()};
  cpu::ExecutorOptions one = eo;
  one.outputs = {outputs[0]};
  fast->run(input.data(), batch, pa);
  EXPECT_EQ(testing::compare(a[0].data(), b[0].data(), a[0].size()).relative() < tolerance, true);
#endif
}

class CpuOps : public ::testing::TestWithParam<int> {};  // parameter: batch

TEST_P(CpuOps, ConvolutionActivations) {
  NetBuilder b({3, 37, 53});
  int c0 = b.conv(-1, 32, 3, 2, Activation::Relu);        // first layer straight from NCHW input
  int c1 = b.conv(c0, 45, 1, 1, Activation::Logistic);    // channels not a multiple of 16
  int c2 = b.conv(c1, 24, 3, 1, Activation::Leaky);
  int c3 = b.conv(c2, 16, 3, 2, Activation::Swish);
  int c4 = b.conv(c3, 20, 3, 1, Activation::Mish);
  int c5 = b.conv(c4, 7, 1, 1, Activation::Linear);
  expect_same(b.net, {c0, c1, c2, c3, c4, c5}, GetParam());
}

TEST_P(CpuOps, ConvolutionDilationAndGroups) {
  NetBuilder b({3, 40, 36});
  int c0 = b.conv(-1, 32, 3, 1, Activation::Relu);
  int d2 = b.conv(c0, 32, 3, 1, Activation::Relu, 1, 2);
  int d5 = b.conv(d2, 32, 3, 1, Activation::Relu, 1, 5);
  int dw = b.conv(d5, 32, 3, 1, Activation::Leaky, 32);  // depthwise
  int g4 = b.conv(dw, 48, 5, 2, Activation::Linear, 4);
  int dw5 = b.conv(g4, 48, 5, 1, Activation::Leaky, 48);
  expect_same(b.net, {d2, d5, dw, g4, dw5}, GetParam());
}

TEST_P(CpuOps, RouteConcatAligned) {
  NetBuilder b({3, 24, 30});
  int c0 = b.conv(-1, 32, 3, 1, Activation::Relu);
  int c1 = b.conv(c0, 16, 3, 1, Activation::Relu);
  int c2 = b.conv(c1, 16, 3, 1, Activation::Relu);
  int c3 = b.conv(c2, 32, 1, 1, Activation::Relu);
  int r = b.route({c3, c1, c2, c0});             // c0 is also read by a later route: only one can host it
  int c4 = b.conv(r, 32, 1, 1, Activation::Leaky);
  int r2 = b.route({c4, c0});
  int c5 = b.conv(r2, 16, 3, 1, Activation::Leaky);
  int single = b.route({c1});                   // alias
  int c6 = b.conv(single, 16, 1, 1, Activation::Relu);
  int r3 = b.route({c5, c6});
  expect_same(b.net, {r, c4, r2, c5, r3}, GetParam());
}

TEST_P(CpuOps, RouteConcatUnalignedAndGroups) {
  NetBuilder b({3, 20, 22});
  int c0 = b.conv(-1, 8, 3, 1, Activation::Leaky);
  int c1 = b.conv(c0, 12, 3, 1, Activation::Leaky);
  int r = b.route({c1, c0});
  int c2 = b.conv(r, 32, 1, 1, Activation::Leaky);
  int half = b.route({c2}, 2, 1);  // channels 16..31
  int c3 = b.conv(half, 8, 3, 1, Activation::Linear);
  expect_same(b.net, {r, c2, half, c3}, GetParam());
}

TEST_P(CpuOps, ShortcutFusedAndUnfused) {
  NetBuilder b({3, 26, 18});
  int c0 = b.conv(-1, 16, 3, 1, Activation::Leaky);
  int c1 = b.conv(c0, 16, 3, 1, Activation::Leaky);
  int s0 = b.shortcut(c0, Activation::Linear);        // fusable: c1 only feeds the shortcut
  int c2 = b.conv(s0, 20, 1, 1, Activation::Relu);
  int c3 = b.conv(c2, 20, 3, 1, Activation::Linear);
  int s1 = b.shortcut(c2, Activation::Logistic);      // fusable, activation after the sum, 20 channels
  int c4 = b.conv(s1, 20, 1, 1, Activation::Leaky);
  int d = b.dropout();
  int s2 = b.shortcut(c4, Activation::Leaky);         // prev is a dropout: not fusable
  int c5 = b.conv(s2, 20, 3, 1, Activation::Leaky);
  expect_same(b.net, {s0, c3, s1, d, s2, c5}, GetParam());
}

TEST_P(CpuOps, UpsampleAndMaxpool) {
  NetBuilder b({3, 21, 17});
  int c0 = b.conv(-1, 20, 3, 1, Activation::Relu);
  int m0 = b.maxpool(2, 2, 1);   // darknet default padding = size - 1
  int m1 = b.maxpool(5, 1, 4);   // SPP style
  int m2 = b.maxpool(3, 2, 2);
  int u0 = b.upsample(2);
  int c1 = b.conv(u0, 16, 3, 1, Activation::Leaky);
  int m3 = b.maxpool(9, 1, 8);
  int u1 = b.upsample(3);
  expect_same(b.net, {c0, m0, m1, m2, u0, c1, m3, u1}, GetParam());
}

INSTANTIATE_TEST_SUITE_P(Batch, CpuOps, ::testing::Values(1, 2),
                         [](const ::testing::TestParamInfo<int>& i) { return "batch" + std::to_string(i.param); });

// A whole real graph (depthwise convs, 18 fused shortcuts, dropout, SPP maxpools, routes, upsample):
// Yolo-Fastest COCO with its trained weights, both executors, batch 1 and 2.
TEST(CpuOpsWholeModel, YoloFastestReferenceVsOneDNN) {
  const std::string dir = std::string(LIGHTNET_SHARED_DIR) + "/models/yolo-fastest/";
  if (!std::ifstream(dir + "yolo-fastest-1.1-xl.weights")) GTEST_SKIP() << dir << " has no yolo-fastest-1.1-xl";
  Network net = load_cfg(dir + "yolo-fastest-1.1-xl.cfg");
  load_weights(net, dir + "yolo-fastest-1.1-xl.weights");
  std::vector<int> outputs;
  for (const Head& h : net.heads) outputs.push_back(h.source);
  expect_same(net, outputs, 1, 1e-5);
  expect_same(net, outputs, 2, 1e-5);
}

TEST(CpuOpsReference, ConvolutionKnownAnswer) {
  // 1 channel 3x3 input, one 3x3 filter of ones, pad 1, bias 1, linear: each output = 1 + sum of its neighbourhood.
  NetBuilder b({1, 3, 3});
  int c = b.conv(-1, 1, 3, 1, Activation::Linear);
  b.net.layers[c].weights.assign(9, 1.f);
  b.net.layers[c].bias = {1.f};
  cpu::ExecutorOptions eo;
  eo.outputs = {c};
  auto ref = cpu::make_reference_executor(b.net, eo);
  std::vector<float> in{1, 2, 3, 4, 5, 6, 7, 8, 9}, out(9);
  ref->run(in.data(), 1, {out.data()});
  EXPECT_EQ(out, (std::vector<float>{13, 22, 17, 28, 46, 34, 25, 40, 29}));
}

TEST(CpuOpsReference, MaxpoolDarknetPaddingKnownAnswer) {
  // size 2 stride 2 padding 1 on 3x3 → 2x2; window starts at 0, the last one hangs over the edge.
  NetBuilder b({1, 3, 3});
  int c = b.conv(-1, 1, 1, 1, Activation::Linear);
  b.net.layers[c].weights = {1.f};
  b.net.layers[c].bias = {0.f};
  int m = b.maxpool(2, 2, 1);
  cpu::ExecutorOptions eo;
  eo.outputs = {m};
  auto ref = cpu::make_reference_executor(b.net, eo);
  std::vector<float> in{1, -2, 3, -4, 5, -6, 7, -8, -9}, out(4);
  ref->run(in.data(), 1, {out.data()});
  EXPECT_EQ(out, (std::vector<float>{5, 3, 7, -9}));
}

}  // namespace
}  // namespace lightnet
