// Frames placed in the engine's input buffers (Engine::pinned_input through lightnet::InputBuffers) give the same
// detections and masks as frames in the caller's own memory, on the CPU backend, whose pinned_input hands out
// plain host memory; an engine without such buffers (here a wrapper that keeps Engine's default) falls back to
// memory of the InputBuffers, with the same results.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <tuple>
#include <fstream>
#include <random>
#include <sstream>

#include "lightnet/engine.h"
#include "lightnet/input_buffers.h"
#include "lightnet/model_loader.h"
#include "python_reference.h"

namespace lightnet {
namespace {

namespace fs = std::filesystem;

// Forwards everything to a real engine but keeps Engine::pinned_input's default (nullptr): a backend without
// input buffers of its own.
class NoInputBuffers : public Engine {
 public:
  explicit NoInputBuffers(std::unique_ptr<Engine> inner) : inner_(std::move(inner)) {}
  std::string backend() const override { return inner_->backend(); }
  Precision precision() const override { return inner_->precision(); }
  int max_batch() const override { return inner_->max_batch(); }
  const Network& network() const override { return inner_->network(); }
  std::vector<FrameResult> detect(const std::vector<ImageView>& images, const DetectOptions& o) override {
    return inner_->detect(images, o);
  }
  std::vector<Tensor> forward(const float* input, int batch) override { return inner_->forward(input, batch); }

 private:
  std::unique_ptr<Engine> inner_;
};

// Gradients plus noise, in a buffer whose rows are `pad` bytes longer than the pixels (as ROS images may be).
struct PaddedFrame {
  std::vector<uint8_t> bytes;
  ImageView view;
};
PaddedFrame synthetic_frame(int width, int height, size_t pad, uint32_t seed) {
  PaddedFrame f;
  const size_t step = size_t(width) * 3 + pad;
  f.bytes.assign(step * height, 0xab);  // the padding must never be read as pixels
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> noise(0, 60);
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x)
      for (int c = 0; c < 3; ++c) f.bytes[y * step + x * 3 + c] = uint8_t((x * (c + 1) + y * (3 - c) + noise(rng)) % 256);
  f.view = {f.bytes.data(), width, height, step, PixelFormat::BGR8};
  return f;
}

// The det + seg LightNet cfg at 160x128 (same layers, a fraction of the work) with seeded random weights.
Network small_det_semaseg() {
  const fs::path original = fs::path(LIGHTNET_SHARED_DIR) / "models/lightnet/lightNet-BDD100K-det-semaseg-1280x960.cfg";
  std::ifstream in(original);
  std::ostringstream out;
  std::string line;
  int section = 0;
  while (std::getline(in, line)) {
    if (!line.empty() && line[0] == '[') ++section;
    if (section == 1 && line.rfind("width", 0) == 0) line = "width=160";
    if (section == 1 && line.rfind("height", 0) == 0) line = "height=128";
    out << line << "\n";
  }
  const fs::path cfg = testing::test_tmp("input_buffers_det_semaseg_160x128.cfg");
  std::ofstream(cfg) << out.str();
  Network net = load_cfg(cfg.string());
  const fs::path weights = testing::test_tmp("input_buffers_det_semaseg_160x128_seed11.weights");
  write_random_weights(net, weights.string(), 11);
  load_weights(net, weights.string());
  return net;
}

// Boxes in one order (a GPU's NMS may list equal-score survivors in another order than the CPU's).
std::vector<Detection> sorted(std::vector<Detection> d) {
  std::sort(d.begin(), d.end(), [](const Detection& a, const Detection& b) {
    return std::tie(a.score, a.class_id, a.x, a.y, a.width, a.height) > std::tie(b.score, b.class_id, b.x, b.y, b.width, b.height);
  });
  return d;
}

void expect_same_results(const std::vector<FrameResult>& a, const std::vector<FrameResult>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    ASSERT_EQ(a[i].detections.size(), b[i].detections.size()) << "frame " << i;
    const std::vector<Detection> da = sorted(a[i].detections), db = sorted(b[i].detections);
    for (size_t k = 0; k < da.size(); ++k) {
      const Detection &p = da[k], &q = db[k];
      EXPECT_EQ(p.class_id, q.class_id);
      EXPECT_EQ(p.score, q.score);  // same pixels, same arithmetic: bit for bit
      EXPECT_EQ(p.x, q.x);
      EXPECT_EQ(p.y, q.y);
      EXPECT_EQ(p.width, q.width);
      EXPECT_EQ(p.height, q.height);
    }
    ASSERT_EQ(a[i].masks.size(), b[i].masks.size());
    for (size_t m = 0; m < a[i].masks.size(); ++m) EXPECT_EQ(a[i].masks[m].class_ids, b[i].masks[m].class_ids);
  }
}

class InputBuffersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const fs::path cfg = fs::path(LIGHTNET_SHARED_DIR) / "models/lightnet/lightNet-BDD100K-det-semaseg-1280x960.cfg";
    if (!fs::exists(cfg)) GTEST_SKIP() << cfg << " not found";
    net = small_det_semaseg();
  }
  std::unique_ptr<Engine> cpu(int batch) {
    BuildOptions o;
    o.backend = "cpu";
    o.batch = batch;
    return build_engine(net, o);
  }
  Network net;
};

TEST_F(InputBuffersTest, CpuEngineHandsOutHostMemoryPerSlot) {
  auto e = cpu(2);
  uint8_t* a = e->pinned_input(0, 100);
  uint8_t* b = e->pinned_input(1, 100);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_NE(a, b);
  EXPECT_EQ(e->pinned_input(0, 50), a);  // a smaller request keeps the buffer
  EXPECT_NE(e->pinned_input(0, 0), nullptr);
  try {
    e->pinned_input(2, 16);
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& err) {
    EXPECT_EQ(std::string(err.what()), "pinned_input: slot: expected 0..1, found 2");
  }
  EXPECT_THROW(e->pinned_input(-1, 16), std::invalid_argument);
}

TEST_F(InputBuffersTest, UsesTheEngineBuffersUpToMaxBatchThenItsOwn) {
  auto e = cpu(2);
  InputBuffers buffers(*e);
  EXPECT_EQ(buffers.reserve(0, 64), e->pinned_input(0, 64));
  EXPECT_EQ(buffers.reserve(1, 64), e->pinned_input(1, 64));
  uint8_t* third = buffers.reserve(2, 64);  // beyond max_batch: memory of the InputBuffers
  EXPECT_TRUE(buffers.in_engine_memory(0));
  EXPECT_TRUE(buffers.in_engine_memory(1));
  EXPECT_FALSE(buffers.in_engine_memory(2));
  EXPECT_NE(third, nullptr);

  InputBuffers plain(*e, /*use_engine_memory=*/false);
  EXPECT_NE(plain.reserve(0, 64), e->pinned_input(0, 64));
  EXPECT_FALSE(plain.in_engine_memory(0));

  NoInputBuffers bare(cpu(1));
  InputBuffers fallback(bare);
  EXPECT_NE(fallback.reserve(0, 64), nullptr);
  EXPECT_FALSE(fallback.in_engine_memory(0));
}

TEST_F(InputBuffersTest, CopyPacksRowsAndRejectsBadViews) {
  auto e = cpu(1);
  InputBuffers buffers(*e);
  PaddedFrame f = synthetic_frame(7, 5, 3, 1);
  ImageView copy = buffers.copy(0, f.view);
  EXPECT_EQ(copy.data, e->pinned_input(0, 0));
  EXPECT_EQ(copy.step, 21u);
  EXPECT_EQ(copy.width, 7);
  EXPECT_EQ(copy.height, 5);
  for (int y = 0; y < 5; ++y)
    EXPECT_TRUE(std::equal(copy.data + y * 21, copy.data + y * 21 + 21, f.view.data + y * f.view.step)) << "row " << y;
  ImageView bad = f.view;
  bad.step = 20;
  EXPECT_THROW(buffers.copy(0, bad), std::invalid_argument);
}

// The point of the whole path: a batch through the engine's buffers, through an InputBuffers that declines
// them, and through an engine that has none, all equal detect() on the caller's own (padded) memory.
TEST_F(InputBuffersTest, SameDetectionsAndMasksWithAndWithoutEngineBuffers) {
  auto e = cpu(2);
  std::vector<PaddedFrame> frames;
  for (uint32_t i = 0; i < 3; ++i) frames.push_back(synthetic_frame(300 + 40 * i, 200 + 10 * i, i * 5, 20 + i));
  std::vector<ImageView> caller;
  for (const auto& f : frames) caller.push_back(f.view);
  DetectOptions opt;
  opt.score_threshold = 0.05f;  // random weights: plenty of boxes to compare
  const auto reference = e->detect(caller, opt);
  ASSERT_FALSE(reference[0].detections.empty());
  ASSERT_EQ(reference[0].masks.size(), 1u);

  for (bool use_engine : {true, false}) {
    InputBuffers buffers(*e, use_engine);
    std::vector<ImageView> placed;
    for (size_t i = 0; i < frames.size(); ++i) placed.push_back(buffers.copy(i, frames[i].view));
    EXPECT_EQ(buffers.in_engine_memory(0), use_engine);
    expect_same_results(reference, e->detect(placed, opt));
  }
  NoInputBuffers bare(cpu(2));
  InputBuffers fallback(bare);
  std::vector<ImageView> placed;
  for (size_t i = 0; i < frames.size(); ++i) placed.push_back(fallback.copy(i, frames[i].view));
  expect_same_results(reference, bare.detect(placed, opt));
}

// On a GPU build with a device: the CUDA engine's buffers are page-locked, InputBuffers lands frames there, and
// detect() gives what it gives from the caller's pageable memory (staged upload). Skipped without a GPU.
TEST_F(InputBuffersTest, CudaEngineBuffersGiveThePageableResults) {
  const auto backends = available_backends();
  if (std::find(backends.begin(), backends.end(), "cuda") == backends.end())
    GTEST_SKIP() << "no CUDA backend in this build, or no GPU";
  BuildOptions o;
  o.backend = "cuda";
  o.batch = 2;
  auto e = build_engine(net, o);
  std::vector<PaddedFrame> frames;
  for (uint32_t i = 0; i < 3; ++i) frames.push_back(synthetic_frame(1920 - 200 * i, 1080 - 100 * i, i * 3, 40 + i));
  std::vector<ImageView> caller;
  for (const auto& f : frames) caller.push_back(f.view);
  DetectOptions opt;
  opt.score_threshold = 0.05f;
  const auto reference = e->detect(caller, opt);
  ASSERT_FALSE(reference[0].detections.empty());
  InputBuffers buffers(*e);
  std::vector<ImageView> placed;
  for (size_t i = 0; i < frames.size(); ++i) placed.push_back(buffers.copy(i, frames[i].view));
  EXPECT_TRUE(buffers.in_engine_memory(0));
  EXPECT_TRUE(buffers.in_engine_memory(1));
  EXPECT_FALSE(buffers.in_engine_memory(2));  // beyond max_batch
  expect_same_results(reference, e->detect(placed, opt));
}

}  // namespace
}  // namespace lightnet
