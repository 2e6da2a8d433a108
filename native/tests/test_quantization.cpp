// INT8 calibration math (entropy vs an independent numpy implementation, percentile by hand), calibration
// tables (round trip, stale and corrupt files), 2:4 sparsity known answers, per-layer precision plans, and the
// CPU int8 convolution against an exact integer reference.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <random>
#include <sstream>

#include "cpu/int8_executor.h"
#include "cpu_test_util.h"
#include "lightnet/model_loader.h"
#include "lightnet/quantization.h"
#include "model_test_util.h"
#include "python_reference.h"
#include "quant/calibrator.h"

namespace lightnet {
namespace {

using testing::NetBuilder;

// A smooth, long-tailed |x| histogram with empty bins, like a leaky conv output.
std::vector<double> synthetic_histogram(int bins, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<double> h(bins);
  for (int j = 0; j < bins; ++j) {
    const double mean = 2e5 * std::exp(-j / 90.0) + 40 * std::exp(-j / 700.0);
    h[j] = std::floor(mean * std::uniform_real_distribution<double>(0.7, 1.3)(rng));
  }
  h[1500] = 0, h[1501] = 0, h[1900] = 3;  // gaps and an outlier
  return h;
}

TEST(EntropyCalibration, MatchesNumpyReimplementation) {
  if (std::system("/usr/bin/python3 -c 'import numpy' >/dev/null 2>&1") != 0) GTEST_SKIP() << "no numpy for /usr/bin/python3";
  for (uint32_t seed : {1u, 2u, 3u}) {
    const std::vector<double> hist = synthetic_histogram(2048, seed);
    const auto in = testing::test_tmp("entropy_hist_" + std::to_string(seed) + ".f64");
    const auto out = testing::test_tmp("entropy_bin_" + std::to_string(seed) + ".txt");
    testing::write_raw(in, hist);
    ASSERT_EQ(testing::run_command(std::string(testing::kPython) + " " + testing::reference_script("entropy_calibration.py") +
                                   " " + in.string() + " > " + out.string()), 0);
    int numpy_bin = 0;
    std::ifstream(out) >> numpy_bin;
    const float amax = entropy_amax(hist, 2048.0);  // bin width 1: the range is the bin count
    EXPECT_EQ(int(std::lround(amax)), numpy_bin) << "seed " << seed;
    EXPECT_GT(numpy_bin, 128);
    EXPECT_LT(numpy_bin, 2048);  // the outlier tail is clipped
  }
}

// Known answers worked by hand with 2 levels (KL values to 4 decimals):
//   hist [8, 8, 1, 4]:    i=2: P [8, 13], Q [8, 8] → 0.0286; i=3: P [8, 8, 5], Q [8, 8, 1] → 0.1719;
//                         i=4: P = hist, Q [8, 8, 2.5, 2.5] → 0.0459. Minimum at i=2: amax = 2/4 of the range.
//   hist [2, 2, 0, 8, 1]: i=2: P [2, 11], Q [2, 2] → 0.2638; i=3: P [2, 2, 9], Q [2, 2, 0]: the folded tail
//                         lands on an empty bin, smoothed to 1e-4 in Q → 6.7189; i=4: P [2, 2, 0, 9],
//                         Q [2, 2, 0, 8] (level 1's mass stays on its non-empty bin) → 0.0015; i=5: Q
//                         [2, 2, 0, 4.5, 4.5] → 0.2384. Minimum at i=4: amax = 4/5. Spreading level 1 over
//                         the empty bin too (Q [2, 2, 4, 4] at i=4 → 0.4813) would pick i=2.
TEST(EntropyCalibration, HandComputedKnownAnswers) {
  EXPECT_FLOAT_EQ(entropy_amax({8, 8, 1, 4}, 4.0, 2), 2.0f);
  EXPECT_FLOAT_EQ(entropy_amax({2, 2, 0, 8, 1}, 5.0, 2), 4.0f);
  EXPECT_FLOAT_EQ(entropy_amax({2, 2, 0, 8, 1}, 10.0, 2), 8.0f);  // the range scales the answer, not the choice
}

// A ReLU output: half of the values are exact zeros, which any scale quantizes exactly. Bin 0 is replaced by
// bin 1 before the search, so the spike does not pull the range down: same range as without it.
TEST(EntropyCalibration, ExactZeroSpikeDoesNotMoveTheRange) {
  std::vector<double> tail(2048, 0.0);
  for (int j = 0; j < 2048; ++j) tail[size_t(j)] = std::floor(2e4 * std::exp(-0.5 * (j / 500.0) * (j / 500.0)));
  std::vector<double> relu = tail;
  double total = 0;
  for (double h : tail) total += h;
  relu[0] += total;  // as many zeros as non-zeros
  const float without = entropy_amax(tail, 2048.0), with = entropy_amax(relu, 2048.0);
  EXPECT_FLOAT_EQ(with, without);
  EXPECT_GT(without, 1500.f);  // a smooth half-normal keeps most of its range
}

// An isolated outlier that the 128 levels at the full range represent exactly is kept: P = Q at i = bins.
TEST(EntropyCalibration, ExactlyRepresentableOutlierKeepsFullRange) {
  std::vector<double> h(2048, 0.0);
  for (int j = 0; j < 128; ++j) h[size_t(j)] = 1000;
  h[2047] = 5;
  EXPECT_FLOAT_EQ(entropy_amax(h, 2048.0), 2048.0f);
}

// A long, sparse tail of rare large values is clipped: the search trades them for resolution near zero.
TEST(EntropyCalibration, ClipsRareTail) {
  std::vector<double> h(2048, 0.0);
  for (int j = 0; j < 400; ++j) h[size_t(j)] = std::floor(1e6 * std::exp(-j / 60.0)) + 1;
  for (int j = 400; j < 2048; j += 97) h[size_t(j)] = 1;
  const float amax = entropy_amax(h, 2048.0);
  EXPECT_GE(amax, 128.f);
  EXPECT_LT(amax, 1024.f);
}

TEST(EntropyCalibration, RejectsBadHistograms) {
  EXPECT_THROW(entropy_amax({}, 1.0), std::invalid_argument);
  EXPECT_THROW(entropy_amax({1, 2}, 0.0, 1), std::invalid_argument);
  EXPECT_THROW(entropy_amax({1, -2}, 1.0, 1), std::invalid_argument);
  EXPECT_THROW(entropy_amax({1, 2}, 1.0, 3), std::invalid_argument);
}

TEST(EntropyCalibration, UniformHistogramKeepsFullRange) {
  // A flat distribution loses nothing by merging at the full range and everything by clipping: amax = max.
  std::vector<double> flat(2048, 10.0);
  EXPECT_FLOAT_EQ(entropy_amax(flat, 5.0), 5.0f);
}

TEST(PercentileCalibration, HandComputed) {
  std::vector<double> h(100, 1.0);  // 100 equal bins over [0, 10]
  EXPECT_FLOAT_EQ(percentile_amax(h, 10.0, 50.0), 5.0f);    // 50 counts reached at the end of bin 49
  EXPECT_FLOAT_EQ(percentile_amax(h, 10.0, 100.0), 10.0f);
  EXPECT_FLOAT_EQ(percentile_amax(h, 10.0, 99.99), 10.0f);  // 99.99 counts: bin 99
  h.assign(100, 0.0);
  h[0] = 9999, h[99] = 1;
  EXPECT_FLOAT_EQ(percentile_amax(h, 10.0, 99.99), 0.1f);   // the single outlier is clipped
  EXPECT_THROW(percentile_amax(h, 10.0, 0.0), std::invalid_argument);
}

TEST(CalibrationTable, RoundTripIsExact) {
  CalibrationTable t{"percentile-99.99", "0123456789abcdef", {{"input", 1.f}, {"0", 3.14159274f}, {"12", 1e-7f}}};
  const std::string path = test::temp_path("roundtrip.table");
  write_calibration_table(path, t);
  const CalibrationTable r = read_calibration_table(path);
  EXPECT_EQ(r.algorithm, t.algorithm);
  EXPECT_EQ(r.model_hash, t.model_hash);
  EXPECT_EQ(r.amax, t.amax);
}

std::string error_of(const std::string& path) {
  try {
    read_calibration_table(path);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

TEST(CalibrationTable, CorruptFilesNameFileAndLine) {
  const std::string head = "lightnet_trt-int8-calibration 1 algorithm=entropy model=00000000000000ff\n";
  std::string p = test::write_temp("bad1.table", head + "input 1\n0 nan\n");
  EXPECT_EQ(error_of(p), p + ":3: expected '<tensor> <range > 0>', found '0 nan'");
  p = test::write_temp("bad2.table", head + "input 1\n0 2 3\n");
  EXPECT_EQ(error_of(p), p + ":3: expected '<tensor> <range > 0>', found '0 2 3'");
  p = test::write_temp("bad3.table", "TRT-8601-EntropyCalibration2\n");
  EXPECT_NE(error_of(p).find(p + ":1: expected the header"), std::string::npos);
  p = test::write_temp("bad4.table", head + "0 1\n0 2\n");
  EXPECT_EQ(error_of(p), p + ":3: tensor '0' listed twice");
  p = test::write_temp("bad5.table", "lightnet_trt-int8-calibration 1 model=00\n");
  EXPECT_NE(error_of(p).find(":1: expected 'algorithm="), std::string::npos);
  EXPECT_EQ(error_of(test::temp_path("missing.table")), test::temp_path("missing.table") + ": cannot open the calibration table");
}

// One conv with 8 input channels, 1×1 kernel (K order = input channels) or 3×3.
Layer conv_with(const std::vector<float>& w, int ic, int k) {
  NetBuilder b({ic, 4, 4});
  b.conv(-1, int(w.size() / (size_t(ic) * k * k)), k, 1, Activation::Linear);
  Layer l = b.net.layers[0];
  l.weights = w;
  return l;
}

TEST(Sparsity, CheckAndPruneKnownAnswer) {
  // 1×1, 1 output channel, 8 inputs: groups {1,-3,2,0.5} (breaks 2:4) and {0,0,4,0} (fine).
  Layer l = conv_with({1, -3, 2, 0.5f, 0, 0, 4, 0}, 8, 1);
  EXPECT_FALSE(is_2_4_sparse(l));
  EXPECT_NEAR(prune_2_4(l), 1.5 / 10.5, 1e-12);  // 1 and 0.5 removed of Σ|w| = 10.5
  EXPECT_EQ(l.weights, (std::vector<float>{0, -3, 2, 0, 0, 0, 4, 0}));
  EXPECT_TRUE(is_2_4_sparse(l));
  EXPECT_EQ(prune_2_4(l), 0.0);
}

TEST(Sparsity, GroupsRunAlongInputChannelsAtEachKernelTap) {
  // 3×3 kernel, 4 input channels: darknet index (c·9 + tap). Tap 0 has 4 non-zeros across channels; every
  // other tap has one. Along the kernel taps of one channel there are 9 non-zeros: that is not a K group.
  std::vector<float> w(4 * 9, 0.f);
  for (int c = 0; c < 4; ++c) w[c * 9 + 0] = float(c + 1);
  for (int t = 1; t < 9; ++t) w[0 * 9 + t] = 1.f;
  Layer l = conv_with(w, 4, 3);
  EXPECT_FALSE(is_2_4_sparse(l));
  EXPECT_NEAR(prune_2_4(l), 3.0 / (10.0 + 8.0), 1e-12);  // channels 0 and 1 of tap 0 (|1| + |2|) go
  EXPECT_EQ(l.weights[0], 0.f);
  EXPECT_EQ(l.weights[9], 0.f);
  EXPECT_EQ(l.weights[18], 3.f);
  EXPECT_EQ(l.weights[27], 4.f);
  EXPECT_EQ(l.weights[1], 1.f);  // the other taps are untouched
  EXPECT_TRUE(is_2_4_sparse(l));
}

TEST(Sparsity, PartialGroupIsZeroPadded) {
  Layer l = conv_with({1, 2, 3, 4, 5, 6}, 6, 1);  // groups {1,2,3,4} and {5,6,(0,0)}
  prune_2_4(l);
  EXPECT_EQ(l.weights, (std::vector<float>{0, 0, 3, 4, 5, 6}));
}

// Exact integer reference of one int8 conv: Σ q_x·q_w in int64, × s_x·s_w[oc], + bias, activation.
struct ConvCase {
  const char* name;
  int ic, oc, size, stride, groups;
  Activation act;
};

class Int8Convolution : public ::testing::TestWithParam<ConvCase> {};

TEST_P(Int8Convolution, MatchesIntegerReferenceAndStaysNearFp32) {
  const ConvCase c = GetParam();
  const int H = 9, W = 11;
  NetBuilder b({c.ic, H, W});
  const int conv = b.conv(-1, c.oc, c.size, c.stride, c.act, c.groups);
  const Layer& l = b.net.layers[conv];
  const Shape os = l.output;
  std::vector<float> x = testing::random_input(size_t(c.ic) * H * W, 5);
  for (float& v : x) v = (v - 0.3f) * 4.f;  // signed input in [-1.2, 2.8]
  QuantPlan plan;
  plan.layers.resize(1);
  LayerQuantization& q = plan.layers[0];
  q.precision = Precision::INT8;
  q.input_scale = 2.8f / 127;  // the input's range: no clipping, rounding error only
  const size_t per = l.weights.size() / c.oc;
  for (int o = 0; o < c.oc; ++o) {
    float m = 0;
    for (size_t k = 0; k < per; ++k) m = std::max(m, std::fabs(l.weights[o * per + k]));
    q.weight_scales.push_back(m / 127);
  }
  cpu::ExecutorOptions eo;
  eo.outputs = {conv};
  auto exec = cpu::make_quantized_executor(b.net, plan, eo);
  std::vector<float> out(size_t(os.size()));
  exec->run(x.data(), 1, {out.data()});

  auto qz = [](float v, float s) { return std::fmin(127.f, std::fmax(-128.f, std::nearbyint(v / s))); };
  auto act = [&](double v) { return c.act == Activation::Leaky ? (v > 0 ? v : 0.1 * v) : v; };
  const int icg = c.ic / c.groups, ocg = c.oc / c.groups, K = c.size, pad = K / 2;
  double max_err = 0, fp32_err2 = 0, fp32_ref2 = 0, max_ref = 0;
  for (int o = 0; o < c.oc; ++o)
    for (int y = 0; y < os.h; ++y)
      for (int xx = 0; xx < os.w; ++xx) {
        int64_t acc = 0;
        double fp = 0;
        for (int ci = 0; ci < icg; ++ci)
          for (int ky = 0; ky < K; ++ky)
            for (int kx = 0; kx < K; ++kx) {
              const int iy = y * c.stride + ky - pad, ix = xx * c.stride + kx - pad;
              if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
              const int ch = (o / ocg) * icg + ci;
              const float v = x[(size_t(ch) * H + iy) * W + ix], w = l.weights[((size_t(o) * icg + ci) * K + ky) * K + kx];
              acc += int64_t(qz(v, q.input_scale)) * int64_t(qz(w, q.weight_scales[o]));
              fp += double(v) * w;
            }
        const double ref = act(double(acc) * q.input_scale * q.weight_scales[o] + l.bias[o]);
        const double fp32 = act(fp + l.bias[o]);
        const float got = out[(size_t(o) * os.h + y) * os.w + xx];
        max_err = std::max(max_err, std::fabs(got - ref));
        fp32_err2 += (got - fp32) * (got - fp32), fp32_ref2 += fp32 * fp32;
        max_ref = std::max(max_ref, std::fabs(fp32));
      }
  EXPECT_LT(max_err, 1e-5 * max_ref) << "int8 conv differs from the exact integer reference";
  // Rounding to 8 bits (steps of 1/254 of each range, inputs and weights) costs well under 2% RMS vs fp32.
  EXPECT_LT(std::sqrt(fp32_err2 / fp32_ref2), 0.02);
  EXPECT_GT(fp32_err2, 0.0);
}

INSTANTIATE_TEST_SUITE_P(Shapes, Int8Convolution,
                         ::testing::Values(ConvCase{"dense3x3", 16, 24, 3, 1, 1, Activation::Leaky},
                                           ConvCase{"dense3x3s2", 16, 24, 3, 2, 1, Activation::Linear},
                                           ConvCase{"pointwise", 40, 8, 1, 1, 1, Activation::Linear},
                                           ConvCase{"depthwise", 24, 24, 3, 1, 24, Activation::Leaky},
                                           ConvCase{"depthwise_s2", 24, 24, 3, 2, 24, Activation::Linear},
                                           ConvCase{"grouped", 16, 32, 3, 1, 4, Activation::Leaky}),
                         [](const auto& info) { return std::string(info.param.name); });

// The int8 executor's layer outputs share one liveness-planned arena: with every layer requested each output
// lives to the end (the arena is the sum of the outputs, 64-byte aligned); with only the last requested, dead
// outputs are reused, and the results are the same bits.
TEST(Int8Executor, ArenaReusesDeadOutputs) {
  NetBuilder b({8, 12, 12});
  const int c0 = b.conv(-1, 16, 3, 1, Activation::Leaky);
  b.conv(c0, 16, 1, 1, Activation::Leaky);
  b.conv(b.last(), 16, 3, 1, Activation::Leaky, 16);
  b.conv(b.last(), 16, 1, 1, Activation::Linear);
  b.shortcut(c0, Activation::Linear);  // keeps c0 alive across the block
  b.maxpool(2, 2, 0);
  b.conv(b.last(), 8, 3, 1, Activation::Leaky);
  QuantPlan plan;
  plan.layers.resize(b.net.layers.size());
  for (const Layer& l : b.net.layers) {
    if (l.type != LayerType::Convolutional) continue;
    LayerQuantization& q = plan.layers[l.index];
    q.precision = Precision::INT8;
    q.input_scale = 3.f / 127;
    q.weight_scales.assign(size_t(l.output.c), 0.6f / 127);
  }
  cpu::ExecutorOptions all, last;
  size_t sum = 0, biggest = 0;
  for (const Layer& l : b.net.layers) {
    all.outputs.push_back(l.index);
    const size_t bytes = (sizeof(float) * size_t(l.output.size()) + 63) / 64 * 64;
    sum += bytes, biggest = std::max(biggest, bytes);
  }
  last.outputs = {b.last()};
  auto ea = cpu::make_quantized_executor(b.net, plan, all), el = cpu::make_quantized_executor(b.net, plan, last);
  EXPECT_EQ(ea->workspace_bytes(), sum);
  EXPECT_LE(el->workspace_bytes(), 3 * biggest);  // at most three outputs alive at once (block input, two in flight)
  const std::vector<float> x = testing::random_input(size_t(b.net.input.size()), 9);
  std::vector<std::vector<float>> outs;
  std::vector<float*> dst;
  for (const Layer& l : b.net.layers) outs.emplace_back(size_t(l.output.size()));
  for (auto& o : outs) dst.push_back(o.data());
  std::vector<float> tail(size_t(b.net.layers.back().output.size()));
  ea->run(x.data(), 1, dst);
  el->run(x.data(), 1, {tail.data()});
  EXPECT_EQ(tail, outs.back());
  el->run(x.data(), 1, {tail.data()});  // a second run over reused bytes gives the same
  EXPECT_EQ(tail, outs.back());
}

std::string precision_cfg() {
  return test::write_temp("precision.cfg",
                          "[net]\nwidth=32\nheight=32\nchannels=3\n"
                          "[convolutional]\nbatch_normalize=1\nfilters=8\nsize=3\nstride=1\npad=1\nactivation=leaky\n"
                          "[convolutional]\nbatch_normalize=1\nfilters=16\nsize=3\nstride=2\npad=1\nactivation=leaky\nsparse=1\nprecision=fp16\n"
                          "[convolutional]\nbatch_normalize=1\nfilters=16\nsize=1\nstride=1\npad=1\nactivation=leaky\nprecision=fp32\n"
                          "[convolutional]\nfilters=75\nsize=1\nstride=1\npad=1\nactivation=linear\n"
                          "[yolo]\nmask=0,1,2\nanchors=10,14, 23,27, 37,58\nclasses=20\nnum=3\n");
}

TEST(PrecisionPlan, FirstLastAndPerLayerKeys) {
  Network net = load_cfg(precision_cfg());
  BuildOptions o;
  o.precision = Precision::INT8;
  using P = Precision;
  EXPECT_EQ(plan_precisions(net, o), (std::vector<P>{P::FP16, P::INT8, P::INT8, P::FP16, P::FP32}));
  o.quantize_first_layer = o.quantize_last_layer = true;
  EXPECT_EQ(plan_precisions(net, o), (std::vector<P>{P::INT8, P::INT8, P::INT8, P::INT8, P::FP32}));
  o.multi_precision = true;  // the cfg's precision= keys win
  EXPECT_EQ(plan_precisions(net, o), (std::vector<P>{P::INT8, P::FP16, P::FP32, P::INT8, P::FP32}));
  o.precision = P::FP32;
  EXPECT_EQ(plan_precisions(net, o), (std::vector<P>{P::FP32, P::FP16, P::FP32, P::FP32, P::FP32}));
}

TEST(QuantPlan, ClipValueAndSparsityOnTheWholeEngine) {
  Network net = load_cfg(precision_cfg());
  randomize_weights(net, 3);
  BuildOptions o;
  o.precision = Precision::INT8;
  o.clip_value = 6;
  std::vector<std::string> logs;
  Network pruned = net;
  QuantPlan plan = prepare_quantization(pruned, o, [&](const std::string& m) { logs.push_back(m); });
  EXPECT_EQ(plan.algorithm, "clip");
  EXPECT_FLOAT_EQ(plan.layers[2].input_scale, 6.f / 127);
  EXPECT_FLOAT_EQ(plan.layers[1].output_scale, 6.f / 127);
  EXPECT_TRUE(plan.layers[1].sparse);  // sparse=1 and int8
  EXPECT_TRUE(is_2_4_sparse(pruned.layers[1]));
  EXPECT_FALSE(is_2_4_sparse(net.layers[1]));
  bool warned = false;
  for (const auto& m : logs) warned = warned || m.find("layer 1 [convolutional] (cfg line 12) sparse=1 but its weights are not 2:4 sparse; pruned by magnitude") != std::string::npos;
  EXPECT_TRUE(warned) << (logs.empty() ? "" : logs.front());
  // sparsity off: no pruning, no sparse flag.
  o.sparsity = false;
  Network dense = net;
  plan = prepare_quantization(dense, o);
  EXPECT_FALSE(plan.layers[1].sparse);
  EXPECT_EQ(dense.layers[1].weights, net.layers[1].weights);
  // Per-layer keys under multi-precision: layer 2 (precision=fp32) is fp32 in an int8 engine.
  o.multi_precision = true;
  plan = prepare_quantization(dense, o);
  EXPECT_EQ(plan.layers[2].precision, Precision::FP32);
  EXPECT_EQ(plan.layers[2].input_scale, 0.f);
  // Without images, table or clip there are no ranges.
  o.multi_precision = false;
  o.clip_value = 0;
  EXPECT_THROW(prepare_quantization(dense, o), std::invalid_argument);
}

// Layers that only move values (maxpool, upsample, a one-layer route, dropout) carry their producer's range, so a
// conv reading them quantizes at the producer's scale whatever the table says for the moved copy; a concat of
// two layers keeps its own range.
TEST(QuantPlan, PassThroughTensorsShareTheProducersScale) {
  const std::string cfg = test::write_temp("pass_through.cfg",
      "[net]\nwidth=16\nheight=16\nchannels=3\n"
      "[convolutional]\nfilters=8\nsize=3\nstride=1\npad=1\nactivation=leaky\n"   // 0
      "[maxpool]\nsize=2\nstride=2\n"                                                // 1
      "[convolutional]\nfilters=8\nsize=3\nstride=1\npad=1\nactivation=leaky\n"   // 2 reads 1
      "[upsample]\nstride=2\n"                                                        // 3
      "[dropout]\nprobability=.1\n"                                                   // 4
      "[route]\nlayers=-1\n"                                                          // 5
      "[convolutional]\nfilters=8\nsize=1\nstride=1\npad=1\nactivation=leaky\n"   // 6 reads 5
      "[route]\nlayers=-1,0\n"                                                        // 7 concat(6, 0)
      "[convolutional]\nfilters=8\nsize=1\nstride=1\npad=1\nactivation=leaky\n"   // 8 reads 7
      "[convolutional]\nfilters=75\nsize=1\nstride=1\npad=1\nactivation=linear\n" // 9
      "[yolo]\nmask=0,1,2\nanchors=10,14, 23,27, 37,58\nclasses=20\nnum=3\n");
  Network net = load_cfg(cfg);
  randomize_weights(net, 5);
  ASSERT_EQ(net.layers.size(), 11u);
  CalibrationTable t{"entropy", model_hash(net), {{"input", 1.f}}};
  for (size_t i = 0; i < net.layers.size(); ++i) t.amax[std::to_string(i)] = float(i + 2);  // all different
  BuildOptions o;
  o.precision = Precision::INT8;
  o.calibration_table = test::temp_path("pass_through.table");
  write_calibration_table(o.calibration_table, t);
  const QuantPlan plan = prepare_quantization(net, o);
  EXPECT_FLOAT_EQ(plan.amax[1], 2.f);  // maxpool → conv 0
  EXPECT_FLOAT_EQ(plan.layers[2].input_scale, 2.f / 127);
  EXPECT_FLOAT_EQ(plan.amax[3], 4.f);  // upsample, dropout, route → conv 2
  EXPECT_FLOAT_EQ(plan.amax[4], 4.f);
  EXPECT_FLOAT_EQ(plan.amax[5], 4.f);
  EXPECT_FLOAT_EQ(plan.layers[6].input_scale, 4.f / 127);
  EXPECT_FLOAT_EQ(plan.amax[7], 9.f);  // the concat's own range
  EXPECT_FLOAT_EQ(plan.layers[8].input_scale, 9.f / 127);
  EXPECT_FLOAT_EQ(plan.layers[6].output_scale, 8.f / 127);
}

// Calibrates Yolo-Fastest VOC on ../shared/images, writes the table, reuses it, and recalibrates a stale one.
TEST(Calibration, YoloFastestTableWrittenReusedAndRefreshed) {
  const std::string cfg = test::shared_path("models/yolo-fastest/yolo-fastest-xl-voc.cfg");
  if (!test::shared_exists("models/yolo-fastest/yolo-fastest-xl-voc.weights") || !test::shared_exists("images"))
    GTEST_SKIP() << "needs ../shared/models/yolo-fastest and ../shared/images";
  Network net = load_cfg(cfg);
  load_weights(net, test::shared_path("models/yolo-fastest/yolo-fastest-xl-voc.weights"));
  BuildOptions o;
  o.backend = "cpu";
  o.precision = Precision::INT8;
  o.calibration_list = test::shared_path("images");
  o.calibration_table = test::temp_path("yolo-fastest.table");
  std::filesystem::remove(o.calibration_table);
  std::vector<std::string> logs;
  auto log = [&](const std::string& m) { logs.push_back(m); };
  Network a = net;
  const QuantPlan first = prepare_quantization(a, o, log);
  ASSERT_TRUE(std::filesystem::exists(o.calibration_table));
  const CalibrationTable t = read_calibration_table(o.calibration_table);
  EXPECT_EQ(t.algorithm, "entropy");
  EXPECT_EQ(t.model_hash, model_hash(net));
  EXPECT_EQ(t.amax.size(), net.layers.size() + 1);
  for (const auto& [name, amax] : t.amax) EXPECT_GT(amax, 0.f) << name;
  EXPECT_NEAR(t.amax.at("input"), 1.0, 0.01);  // pixels / 255

  // The INT8 engine built from this table stays near FP32 on a calibration photo: the head tensors' (raw
  // logits before the yolo decode) RMS error, measured 0.13-0.18 here, accumulates over 115 layers of which
  // entropy calibration clips many (depthwise outputs especially); a bound of 0.25 catches a broken path
  // (a wrong scale or layout gives errors of order 1).
  {
    BuildOptions fp32;
    fp32.backend = "cpu";
    BuildOptions int8 = o;
    int8.calibration_list.clear();
    auto e32 = build_engine(net, fp32), e8 = build_engine(net, int8);
    EXPECT_EQ(e8->precision(), Precision::INT8);
    std::vector<float> in(size_t(net.input.size()));
    quant::load_calibration_input(test::shared_path("images/dog.jpg"), net.input, in.data());
    const auto h32 = e32->forward(in.data(), 1), h8 = e8->forward(in.data(), 1);
    ASSERT_EQ(h32.size(), h8.size());
    for (size_t i = 0; i < h32.size(); ++i) {
      double err = 0, ref = 0;
      for (size_t k = 0; k < h32[i].data.size(); ++k) {
        const double d = h8[i].data[k] - h32[i].data[k];
        err += d * d, ref += double(h32[i].data[k]) * h32[i].data[k];
      }
      std::cout << "head " << i << ": RMS(int8 - fp32) / RMS(fp32) = " << std::sqrt(err / ref) << "\n";
      EXPECT_LT(std::sqrt(err / ref), 0.25) << "head " << i;
      EXPECT_GT(err, 0.0) << "head " << i << ": int8 identical to fp32?";
    }
  }

  // Reused without images: same ranges.
  logs.clear();
  BuildOptions reuse = o;
  reuse.calibration_list.clear();
  Network b = net;
  const QuantPlan second = prepare_quantization(b, reuse, log);
  EXPECT_EQ(second.amax, first.amax);
  ASSERT_FALSE(logs.empty());
  EXPECT_EQ(logs.front(), "INT8 ranges: calibration table " + o.calibration_table + " (entropy)");

  // Another algorithm makes the table stale: recalibrated, with the reason logged.
  logs.clear();
  BuildOptions other = o;
  other.calibration_algorithm = "minmax";
  Network c = net;
  const QuantPlan third = prepare_quantization(c, other, log);
  EXPECT_EQ(logs.front(), "calibration table " + o.calibration_table +
                              " is stale: it was calibrated with entropy, this build asks for minmax; recalibrating");
  EXPECT_EQ(read_calibration_table(o.calibration_table).algorithm, "minmax");
  for (size_t i = 0; i < third.amax.size(); ++i) EXPECT_GE(third.amax[i], first.amax[i] * 0.999f) << i;  // max ≥ entropy

  // A stale table without images to recalibrate is an error naming the reason.
  BuildOptions stale = reuse;
  try {
    Network d = net;
    prepare_quantization(d, stale);
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("is stale (it was calibrated with minmax, this build asks for entropy)"),
              std::string::npos) << e.what();
  }
  // A corrupt table is an error naming file and line, never a silent recalibration.
  std::ofstream(o.calibration_table, std::ios::app) << "7 -1\n";
  try {
    Network d = net;
    prepare_quantization(d, other);
    FAIL() << "expected std::runtime_error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(o.calibration_table + ":" + std::to_string(net.layers.size() + 3) + ":"),
              std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace lightnet
