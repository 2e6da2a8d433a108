// The CUDA engine's exact graph rewrites: horizontal fusion of sibling convolutions (ir/sibling_fusion.h) and
// pointwise convolutions moved before nearest upsamples (ir/upsample_reorder.h). Which layers change, how, and
// that the rewritten network computes the same tensors as the original. The truth is the original network run
// by the CPU executors (the plain reference one on small blocks, oneDNN on the LightNet cfgs).
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "common/env_switch.h"
#include "cpu/executor.h"
#include "cpu_test_util.h"
#include "ir/sibling_fusion.h"
#include "ir/upsample_reorder.h"
#include "lightnet/model_loader.h"

namespace lightnet {
namespace {

using ir::SiblingFusion;
using testing::NetBuilder;

// Runs `net` on a seeded input and returns the outputs of `layers`.
std::vector<std::vector<float>> outputs_of(const Network& net, const std::vector<int>& layers, bool reference) {
  cpu::ExecutorOptions eo;
  eo.outputs = layers;
  std::unique_ptr<cpu::Executor> ex;
#ifdef LIGHTNET_WITH_ONEDNN
  if (!reference) ex = cpu::make_onednn_executor(net, eo);
#endif
  if (!ex) ex = cpu::make_reference_executor(net, eo);
  const std::vector<float> in = testing::random_input(size_t(net.input.size()), 5);
  std::vector<std::vector<float>> out;
  std::vector<float*> ptrs;
  for (int j : layers) out.emplace_back(size_t(net.layers[j].output.size()));
  for (auto& o : out) ptrs.push_back(o.data());
  ex->run(in.data(), 1, ptrs);
  return out;
}

// Every original layer's output equals the rewritten network's output at where[layer] (skip: -1).
void expect_same_tensors(const Network& original, const Network& rewritten, const std::vector<int>& where,
                         bool reference, double tolerance) {
  std::vector<int> before, after;
  for (const Layer& l : original.layers) {
    if (l.type == LayerType::Yolo || l.type == LayerType::Softmax) continue;  // heads: their sources are compared
    if (where[l.index] < 0) continue;
    before.push_back(l.index);
    after.push_back(where[l.index]);
  }
  const auto want = outputs_of(original, before, reference);
  const auto got = outputs_of(rewritten, after, reference);
  for (size_t i = 0; i < before.size(); ++i) {
    ASSERT_EQ(got[i].size(), want[i].size()) << "layer " << before[i];
    const auto d = testing::compare(got[i].data(), want[i].data(), want[i].size());
    EXPECT_LE(d.relative(), tolerance) << "layer " << before[i] << " (now " << after[i] << ")";
  }
}

// Where each original layer's output is after sibling fusion: a member's at its view; the route that now holds
// the first member's output was an alias of the shared input (compared there).
std::vector<int> after_fusion(const Network& original, const std::vector<SiblingFusion>& fusions) {
  std::vector<int> where(original.layers.size());
  for (size_t i = 0; i < where.size(); ++i) where[i] = int(i);
  for (const SiblingFusion& f : fusions)
    for (size_t k = 0; k < f.members.size(); ++k)
      if (f.members[k] == f.conv) where[f.views[k]] = -1;
  for (const SiblingFusion& f : fusions)
    for (size_t k = 0; k < f.members.size(); ++k) where[f.members[k]] = f.views[k];
  return where;
}

// An ELAN block as the LightNet cfgs write it, plus a three-way group and a look-alike that must stay apart.
struct Block {
  Network net;
  int a, r, b, c4, cat, out, x, s0, s1, s2, leaky;
};
Block elan_block() {
  NetBuilder n({8, 12, 16});
  Block k;
  k.x = n.conv(-1, 16, 3, 1, Activation::Relu);
  k.a = n.conv(k.x, 8, 1, 1, Activation::Relu);
  k.r = n.route({k.x});
  k.b = n.conv(k.r, 8, 1, 1, Activation::Relu);
  const int c2 = n.conv(k.b, 8, 3, 1, Activation::Relu);
  k.c4 = n.conv(c2, 8, 3, 1, Activation::Relu);
  k.cat = n.route({k.c4, c2, k.b, k.a});
  k.out = n.conv(k.cat, 16, 1, 1, Activation::Relu);
  // SPP-like: three 1x1 siblings of `out`, each after a route to it, concatenated in reverse.
  k.s0 = n.conv(k.out, 8, 1, 1, Activation::Leaky);
  const int r1 = n.route({k.out});
  k.s1 = n.conv(r1, 8, 1, 1, Activation::Leaky);
  n.route({k.out});
  k.s2 = n.conv(n.last(), 8, 1, 1, Activation::Leaky);
  n.route({k.s2, k.s1, k.s0, k.out});
  // Same input, same shape, other activation: not a sibling.
  n.route({k.out});
  k.leaky = n.conv(n.last(), 8, 1, 1, Activation::Linear);
  n.route({n.last(), k.s2});
  k.net = n.net;
  return k;
}

TEST(SiblingFusion, FusesAnElanPairInTheConcatsChannelOrder) {
  Block k = elan_block();
  Network fused = k.net;
  const auto fusions = ir::fuse_sibling_convs(fused);
  ASSERT_EQ(fusions.size(), 2u);
  EXPECT_EQ(fusions[0].conv, k.a);
  EXPECT_EQ(fusions[0].members, (std::vector<int>{k.b, k.a}));  // the concat reads [c4, c2, b, a]
  EXPECT_EQ(fusions[0].views, (std::vector<int>{k.b, k.r}));    // a's output moved to the route before b
  const Layer& conv = fused.layers[k.a];
  ASSERT_EQ(conv.type, LayerType::Convolutional);
  EXPECT_EQ(conv.as<ConvParams>().filters, 16);
  EXPECT_EQ(conv.output.c, 16);
  EXPECT_EQ(conv.weights.size(), k.net.layers[k.a].weights.size() * 2);
  // The first 8 filters are b's, exactly.
  EXPECT_TRUE(std::equal(k.net.layers[k.b].weights.begin(), k.net.layers[k.b].weights.end(), conv.weights.begin()));
  EXPECT_EQ(fused.layers[k.b].type, LayerType::Route);
  EXPECT_EQ(fused.layers[k.b].as<RouteParams>().group_id, 0);
  EXPECT_EQ(fused.layers[k.r].as<RouteParams>().group_id, 1);
  EXPECT_EQ(fused.layers[k.cat].inputs, (std::vector<int>{k.c4, k.c4 - 1, k.b, k.r}));
  // The three-way group, reversed by its concat; the linear look-alike stays a convolution.
  EXPECT_EQ(fusions[1].members, (std::vector<int>{k.s2, k.s1, k.s0}));
  EXPECT_EQ(fused.layers[k.s0].as<ConvParams>().filters, 24);
  EXPECT_EQ(fused.layers[k.leaky].type, LayerType::Convolutional);
  EXPECT_EQ(fused.layers[k.leaky].as<ConvParams>().filters, 8);
  expect_same_tensors(k.net, fused, after_fusion(k.net, fusions), /*reference=*/true, 1e-6);
}

TEST(SiblingFusion, LeavesSiblingsWithoutAFreeRouteAndHeadsAlone) {
  NetBuilder n({8, 6, 6});
  const int x = n.conv(-1, 8, 3, 1, Activation::Relu);
  const int a = n.conv(x, 8, 1, 1, Activation::Relu);
  const int b = n.conv(x, 8, 1, 1, Activation::Relu);  // reads x directly: no index for a's output
  n.route({b, a});
  Network net = n.net;
  EXPECT_TRUE(ir::fuse_sibling_convs(net).empty());

  NetBuilder h({8, 6, 6});
  const int y = h.conv(-1, 8, 3, 1, Activation::Relu);
  const int c = h.conv(y, 8, 1, 1, Activation::Relu);
  const int r = h.route({y});
  const int d = h.conv(r, 8, 1, 1, Activation::Relu);
  Network with_head = h.net;
  with_head.heads.push_back({Head::Kind::Segmentation, d, d});
  EXPECT_TRUE(ir::fuse_sibling_convs(with_head).empty()) << c;
}

// The LightNet cfgs: every ELAN pair, the two 1x1 convs reading the backbone end and the three-way (dilated 1x1)
// block fuse; the network computes the same.
struct CfgCase {
  const char* name;
  size_t groups;
};
class SiblingFusionCfg : public ::testing::TestWithParam<CfgCase> {};

TEST_P(SiblingFusionCfg, SameTensorsAsTheOriginal) {
  const std::string path = std::string(LIGHTNET_SHARED_DIR) + "/models/lightnet/" + GetParam().name;
  if (!std::filesystem::exists(path)) GTEST_SKIP() << path << " not found";
  Network net = load_cfg(path);
  randomize_weights(net, 3);
  Network fused = net;
  const auto fusions = ir::fuse_sibling_convs(fused);
  std::string listed;
  for (const SiblingFusion& f : fusions) {
    listed += " ";
    for (size_t k = 0; k < f.members.size(); ++k) listed += (k ? "+" : "") + std::to_string(f.members[k]);
  }
  ASSERT_EQ(fusions.size(), GetParam().groups) << listed;
  EXPECT_EQ(fusions[0].members, (std::vector<int>{4, 2}));
  int convs_before = 0, convs_after = 0;
  for (const Layer& l : net.layers) convs_before += l.type == LayerType::Convolutional;
  for (const Layer& l : fused.layers) convs_after += l.type == LayerType::Convolutional;
  size_t merged = 0;
  for (const SiblingFusion& f : fusions) merged += f.members.size() - 1;
  EXPECT_EQ(size_t(convs_before - convs_after), merged);
  EXPECT_DOUBLE_EQ(fused.gflops(), net.gflops());
  expect_same_tensors(net, fused, after_fusion(net, fusions), /*reference=*/false, 1e-5);
}

INSTANTIATE_TEST_SUITE_P(LightNet, SiblingFusionCfg,
                         ::testing::Values(CfgCase{"lightNet-BDD100K-1280x960.cfg", 10},
                                           CfgCase{"lightNet-BDD100K-det-semaseg-1280x960.cfg", 13}),
                         [](const ::testing::TestParamInfo<CfgCase>& i) {
                           return std::string(i.param.groups == 10 ? "detection" : "det_semaseg");
                         });

TEST(UpsampleReorder, MovesA1x1ConvBeforeItsUpsample) {
  NetBuilder n({8, 10, 12});
  const int x = n.conv(-1, 16, 3, 1, Activation::Relu);
  const int up = n.upsample(2);
  const int conv = n.conv(up, 8, 1, 1, Activation::Leaky);
  const int conv3 = n.conv(conv, 8, 3, 1, Activation::Relu);
  n.upsample(2);  // read by a 3x3 conv: stays
  n.conv(n.last(), 8, 3, 1, Activation::Relu);
  const int up3 = n.upsample(3);  // read by a 1x1 conv and a route: stays
  n.conv(up3, 4, 1, 1, Activation::Linear);
  n.route({up3, n.last()});
  Network net = n.net;
  const auto swaps = ir::move_pointwise_convs_before_upsamples(net);
  ASSERT_EQ(swaps.size(), 1u);
  EXPECT_EQ(swaps[0].upsample, up);
  EXPECT_EQ(swaps[0].conv, conv);
  const Layer& small = net.layers[up];
  ASSERT_EQ(small.type, LayerType::Convolutional);
  EXPECT_EQ(small.inputs, std::vector<int>{x});
  EXPECT_EQ(small.output, (Shape{8, 10, 12}));
  EXPECT_DOUBLE_EQ(small.flops * 4, n.net.layers[conv].flops);
  EXPECT_EQ(small.weights, n.net.layers[conv].weights);
  EXPECT_EQ(net.layers[conv].type, LayerType::Upsample);
  EXPECT_EQ(net.layers[conv].output, (Shape{8, 20, 24}));
  EXPECT_EQ(net.layers[conv3].inputs, std::vector<int>{conv});
  // Same tensors at every index but the upsample's, whose old value (x upsampled) no longer exists.
  std::vector<int> where(n.net.layers.size());
  for (size_t i = 0; i < where.size(); ++i) where[i] = int(i);
  where[up] = -1;
  expect_same_tensors(n.net, net, where, /*reference=*/true, 0);  // bit for bit
}

TEST(UpsampleReorder, LightNetSegmentationDecoderSameMask) {
  const std::string path = std::string(LIGHTNET_SHARED_DIR) + "/models/lightnet/lightNet-BDD100K-det-semaseg-1280x960.cfg";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << path << " not found";
  Network net = load_cfg(path);
  randomize_weights(net, 4);
  Network swapped = net;
  const auto swaps = ir::move_pointwise_convs_before_upsamples(swapped);
  ASSERT_EQ(swaps.size(), 2u);
  EXPECT_EQ(swaps[0].upsample, 147);
  EXPECT_EQ(swaps[0].conv, 148);
  EXPECT_EQ(swaps[1].upsample, 150);
  EXPECT_EQ(swaps[1].conv, 151);
  EXPECT_LT(swapped.gflops(), net.gflops());
  std::vector<int> where(net.layers.size());
  for (size_t i = 0; i < where.size(); ++i) where[i] = int(i);
  for (const ir::UpsampleSwap& s : swaps) where[s.upsample] = -1;
  expect_same_tensors(net, swapped, where, /*reference=*/false, 1e-6);
  // The detection cfg's upsamples feed concats: nothing moves.
  Network det = load_cfg(std::string(LIGHTNET_SHARED_DIR) + "/models/lightnet/lightNet-BDD100K-1280x960.cfg");
  EXPECT_TRUE(ir::move_pointwise_convs_before_upsamples(det).empty());
}

// The rewrites' switches (LIGHTNET_CUDA_FUSE_SIBLINGS, LIGHTNET_CUDA_SWAP_UPSAMPLE) take 0 or 1 only.
TEST(GraphRewriteSwitch, ZeroOneOrAnErrorNamingTheVariable) {
  const char* name = "LIGHTNET_TEST_SWITCH";
  ::unsetenv(name);
  EXPECT_TRUE(env_switch(name, true));
  EXPECT_FALSE(env_switch(name, false));
  ::setenv(name, "0", 1);
  EXPECT_FALSE(env_switch(name, true));
  ::setenv(name, "1", 1);
  EXPECT_TRUE(env_switch(name, false));
  ::setenv(name, "off", 1);
  try {
    env_switch(name, true);
    ADD_FAILURE() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "LIGHTNET_TEST_SWITCH: expected 0 or 1, found \"off\"");
  }
  ::unsetenv(name);
}

// Counts (LIGHTNET_CUDA_STREAMS, LIGHTNET_CUDNN_CANDIDATES, LIGHTNET_CUDNN_COMPILED, ...): digits in range only.
TEST(EnvCount, DigitsInRangeOrAnErrorNamingTheVariableAndRange) {
  const char* name = "LIGHTNET_TEST_COUNT";
  ::unsetenv(name);
  EXPECT_EQ(env_count(name, 7, 0, 10), 7);
  ::setenv(name, "0", 1);
  EXPECT_EQ(env_count(name, 7, 0, 10), 0);
  ::setenv(name, "10", 1);
  EXPECT_EQ(env_count(name, 7, 0, 10), 10);
  for (const char* bad : {"11", "", "-1", "3x", " 3", "many", "99999999999999"}) {
    ::setenv(name, bad, 1);
    try {
      env_count(name, 7, 0, 10);
      ADD_FAILURE() << "\"" << bad << "\" was accepted";
    } catch (const std::invalid_argument& e) {
      EXPECT_EQ(std::string(e.what()), std::string("LIGHTNET_TEST_COUNT: expected 0..10, found \"") + bad + "\"");
    }
  }
  ::unsetenv(name);
}

}  // namespace
}  // namespace lightnet
