// darknet/weights_file + conv_weights + random_weights: exact sizes, header variants, BN folding, errors, and the
// randomize ⇔ write+load round trip.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>

#include "darknet/random_weights.h"
#include "lightnet/model_loader.h"
#include "model_test_util.h"

using namespace lightnet;
using test::model_error_of;

namespace {

const char* kFastestCoco = "models/yolo-fastest/yolo-fastest-1.1-xl";
const char* kFastestVoc = "models/yolo-fastest/yolo-fastest-xl-voc";

// Little-endian bytes of a weights file, built by hand.
struct Bytes {
  std::string data;
  Bytes& i32(int32_t v) { return raw(&v, 4); }
  Bytes& u64(uint64_t v) { return raw(&v, 8); }
  Bytes& f32(std::initializer_list<float> vs) {
    for (float v : vs) raw(&v, 4);
    return *this;
  }
  Bytes& raw(const void* p, size_t n) {
    data.append(static_cast<const char*>(p), n);
    return *this;
  }
};

// Two convolutions on a 1-channel 1x2 input: the first 1x1 with batch-norm (2 filters), the second without.
const char* kTinyCfg =
    "[net]\nwidth=2\nheight=1\nchannels=1\n"
    "[convolutional]\nfilters=2\nsize=1\nbatch_normalize=1\nactivation=linear\n"
    "[convolutional]\nfilters=1\nsize=1\nactivation=linear\n";

Bytes tiny_weights() {
  Bytes b;
  b.i32(0).i32(2).i32(5).u64(12345);
  b.f32({1, -2}).f32({2, 0.5f}).f32({0.5f, 4}).f32({1, 0.25f}).f32({3, -1});  // biases, scales, means, vars, w
  b.f32({0.25f}).f32({1.5f, -0.5f});                                         // biases, w
  return b;
}

std::vector<float> read_floats(const std::string& path, int64_t offset, int64_t count) {
  std::ifstream f(path, std::ios::binary);
  f.seekg(offset);
  std::vector<float> v(static_cast<size_t>(count));
  f.read(reinterpret_cast<char*>(v.data()), std::streamsize(count * 4));
  return v;
}

}  // namespace

TEST(Weights, BatchNormFoldingKnownAnswer) {
  Network net = load_cfg(test::write_temp("tiny.cfg", kTinyCfg));
  EXPECT_EQ(net.weights_float_count(), 2 + 3 * 2 + 2 + 1 + 2);
  load_weights(net, test::write_temp("tiny.weights", tiny_weights().data));
  EXPECT_TRUE(net.has_weights);
  const Layer& bn = net.layers[0];
  ASSERT_EQ(bn.weights.size(), 2u);
  ASSERT_EQ(bn.bias.size(), 2u);
  // w' = w·s/sqrt(v + 1e-5), b' = b − s·m/sqrt(v + 1e-5), by hand (darknet's epsilon; OpenCV's 1e-6 would give
  // b'0 = 5.0e-7, ten times smaller).
  EXPECT_NEAR(bn.weights[0], 5.999970000224998, 1e-6);
  EXPECT_NEAR(bn.bias[0], 4.999962500251698e-06, 1e-12);
  EXPECT_NEAR(bn.weights[1], -0.9999800005999799, 1e-7);
  EXPECT_NEAR(bn.bias[1], -5.99992000239992, 1e-6);
  const Layer& plain = net.layers[1];  // no batch-norm: stored as is
  EXPECT_EQ(plain.weights, (std::vector<float>{1.5f, -0.5f}));
  EXPECT_EQ(plain.bias, std::vector<float>{0.25f});
}

TEST(Weights, OldHeaderHasA32BitSeenCounter) {
  Network net = load_cfg(test::write_temp("tiny.cfg", kTinyCfg));
  Bytes b;
  b.i32(0).i32(1).i32(0).i32(7);  // version 0.1: (0*10 + 1) < 2 → int32 seen, 16-byte header
  b.data += tiny_weights().data.substr(20);
  load_weights(net, test::write_temp("tiny_v01.weights", b.data));
  EXPECT_EQ(net.layers[1].bias, std::vector<float>{0.25f});
}

TEST(Weights, SizeMismatchStatesExpectedAndFound) {
  const std::string cfg = test::write_temp("tiny.cfg", kTinyCfg);
  Network net = load_cfg(cfg);
  const std::string full = tiny_weights().data;  // 20 + 13·4 = 72 bytes
  ASSERT_EQ(full.size(), 72u);
  const std::string cut = test::write_temp("tiny_cut.weights", full.substr(0, 60));
  EXPECT_EQ(model_error_of([&] { load_weights(net, cut); }),
            cut + ": size does not match " + cfg + ": expected 72 bytes (20-byte header + 13 floats), found 60 "
                  "(12 bytes short; data ends in layer 1 [convolutional] (cfg line 10) biases)");
  const std::string cut2 = test::write_temp("tiny_cut2.weights", full.substr(0, 40));
  EXPECT_NE(model_error_of([&] { load_weights(net, cut2); }).find("data ends in layer 0 [convolutional] (cfg line 5) BN rolling means"),
            std::string::npos);
  const std::string extra = test::write_temp("tiny_extra.weights", full + std::string(8, '\0'));
  EXPECT_EQ(model_error_of([&] { load_weights(net, extra); }),
            extra + ": size does not match " + cfg + ": expected 72 bytes (20-byte header + 13 floats), found 80 (8 extra bytes)");
  EXPECT_FALSE(net.has_weights);
}

TEST(Weights, BadFilesAreModelErrors) {
  Network net = load_cfg(test::write_temp("tiny.cfg", kTinyCfg));
  EXPECT_EQ(model_error_of([&] { load_weights(net, "/nonexistent/a.weights"); }), "/nonexistent/a.weights: weights file not found");
  const std::string dir = test::temp_path("a_directory.weights");
  std::filesystem::create_directories(dir);
  EXPECT_EQ(model_error_of([&] { load_weights(net, dir); }), dir + ": is a directory, expected a .weights file");
  const std::string png = test::write_temp("image.weights", "\x89PNG\r\n\x1a\n" + std::string(64, 'x'));
  EXPECT_EQ(model_error_of([&] { load_weights(net, png); }),
            png + ": not a darknet weights header (major 1196314761, minor 169478669, revision 2021161080)");
  const std::string tiny = test::write_temp("short.weights", "abc");
  EXPECT_EQ(model_error_of([&] { load_weights(net, tiny); }), tiny + ": too short for a darknet weights header: 3 bytes");

  std::string nan = tiny_weights().data;
  const float q = std::numeric_limits<float>::quiet_NaN();
  std::memcpy(&nan[20 + 4 * 11], &q, 4);  // layer 1: bias at float 10, first weight at 11
  const std::string nan_path = test::write_temp("nan.weights", nan);
  EXPECT_EQ(model_error_of([&] { load_weights(net, nan_path); }), nan_path + ": layer 1 [convolutional] weights: non-finite value");
  std::string negvar = tiny_weights().data;
  const float minus = -1;
  std::memcpy(&negvar[20 + 4 * 6], &minus, 4);  // layer 0's first rolling variance
  const std::string neg_path = test::write_temp("negvar.weights", negvar);
  EXPECT_EQ(model_error_of([&] { load_weights(net, neg_path); }),
            neg_path + ": layer 0 [convolutional] BN rolling variance -1.000000, expected >= 0");
}

// Trained Yolo-Fastest weights: exact size match, and folded values recomputed here from the raw file floats.
TEST(Weights, YoloFastestLoadsWithExactSizeMatch) {
  for (const char* base : {kFastestCoco, kFastestVoc}) {
    const std::string cfg = std::string(base) + ".cfg", weights = std::string(base) + ".weights";
    if (!test::shared_exists(weights)) GTEST_SKIP() << "missing " << test::shared_path(weights);
    Network net = load_cfg(test::shared_path(cfg));
    const int64_t size = int64_t(std::filesystem::file_size(test::shared_path(weights)));
    EXPECT_EQ(20 + 4 * net.weights_float_count(), size) << weights;
    load_weights(net, test::shared_path(weights));
    ASSERT_TRUE(net.has_weights);
    for (const auto& l : net.layers) {
      if (l.type != LayerType::Convolutional) continue;
      const auto& p = l.as<ConvParams>();
      EXPECT_EQ(int64_t(l.weights.size()), int64_t(p.filters) * (l.input_shapes[0].c / p.groups) * p.size * p.size);
      EXPECT_EQ(int(l.bias.size()), p.filters);
    }
    // Layer 0: 16 filters 3x3 over 3 channels with batch-norm, right after the 20-byte header.
    const Layer& first = net.layers[0];
    ASSERT_EQ(first.as<ConvParams>().filters, 16);
    const std::string path = test::shared_path(weights);
    const auto b = read_floats(path, 20, 16), s = read_floats(path, 20 + 64, 16), m = read_floats(path, 20 + 128, 16),
               v = read_floats(path, 20 + 192, 16), w = read_floats(path, 20 + 256, 16 * 27);
    for (int f = 0; f < 16; ++f) {
      const double gain = s[f] / std::sqrt(double(v[f]) + 1e-5);
      EXPECT_NEAR(first.bias[f], b[f] - gain * m[f], 1e-5 * (1 + std::fabs(b[f] - gain * m[f])));
      for (int i = 0; i < 27; ++i)
        EXPECT_NEAR(first.weights[f * 27 + i], w[f * 27 + i] * gain, 1e-6 * (1 + std::fabs(w[f * 27 + i] * gain)));
    }
    // The last layer is a head conv without batch-norm: its weights are the file's last floats, unchanged.
    const Layer& last = net.layers[size_t(net.heads.back().source)];
    ASSERT_FALSE(last.as<ConvParams>().batch_normalize);
    const int64_t n = int64_t(last.weights.size());
    EXPECT_EQ(last.weights, read_floats(path, size - 4 * n, n));
  }
}

TEST(Weights, SplitMix64MatchesTheReferenceSequence) {
  darknet::SplitMix64 rng(0);  // Vigna's splitmix64.c seeded with 0
  EXPECT_EQ(rng.next(), 0xe220a8397b1dcdafull);
  EXPECT_EQ(rng.next(), 0x6e789e6aa1b965f4ull);
  EXPECT_EQ(rng.next(), 0x06c45d188009454full);
}

TEST(Weights, RandomizeEqualsWriteThenLoad) {
  const std::string cfg = test::shared_exists("models/lightnet/lightNet-BDD100K-1280x960.cfg")
                              ? test::shared_path("models/lightnet/lightNet-BDD100K-1280x960.cfg")
                              : test::write_temp("tiny.cfg", kTinyCfg);
  Network direct = load_cfg(cfg), loaded = load_cfg(cfg), other = load_cfg(cfg);
  randomize_weights(direct, 42);
  const std::string path = test::temp_path("random42.weights");
  write_random_weights(loaded, path, 42);
  EXPECT_EQ(int64_t(std::filesystem::file_size(path)), 20 + 4 * loaded.weights_float_count());
  load_weights(loaded, path);
  ASSERT_TRUE(direct.has_weights);
  for (size_t i = 0; i < direct.layers.size(); ++i) {
    EXPECT_EQ(direct.layers[i].weights, loaded.layers[i].weights) << "layer " << i;
    EXPECT_EQ(direct.layers[i].bias, loaded.layers[i].bias) << "layer " << i;
  }
  randomize_weights(other, 43);
  EXPECT_NE(other.layers[0].weights, direct.layers[0].weights);
  Network again = load_cfg(cfg);
  randomize_weights(again, 42);
  EXPECT_EQ(again.layers.back().weights, direct.layers.back().weights);
}

// The random weights are scaled from an estimate of each layer's input second moment so that every convolution's
// pre-activation has about unit variance: check the estimate and the folded kernels on the deep LightNet cfgs.
TEST(Weights, RandomWeightsKeepPreActivationsNearUnitVariance) {
  for (const char* rel : {"models/lightnet/lightNet-BDD100K-det-semaseg-1280x960.cfg",
                          "models/lightnet/yolov8x-BDD100K-640x640-T4-lane4cls.cfg"}) {
    if (!test::shared_exists(rel)) GTEST_SKIP() << "missing " << rel;
    Network net = load_cfg(test::shared_path(rel));
    randomize_weights(net, 1);
    const std::vector<double> q = darknet::estimate_second_moments(net);
    for (const auto& l : net.layers) {
      EXPECT_GT(q[size_t(l.index)], 0.05) << rel << " layer " << l.index;
      EXPECT_LT(q[size_t(l.index)], 20) << rel << " layer " << l.index;
      if (l.type != LayerType::Convolutional) continue;
      // E[z²] ≈ Σ w'² · q_in per filter (independent inputs), averaged over filters.
      const double q_in = l.inputs[0] < 0 ? 0.3 : q[size_t(l.inputs[0])];
      double sum = 0;
      for (float w : l.weights) sum += double(w) * w;
      const double var = sum / l.bias.size() * q_in;
      EXPECT_GT(var, 0.5) << rel << " layer " << l.index;
      EXPECT_LT(var, 1.6) << rel << " layer " << l.index;
    }
  }
}
