// The CPU engine's contract: option validation, batching in forward() and detect(), image errors, timings and
// the per-layer profile. Uses the Yolo-Fastest VOC model from ../shared (small, trained weights).
#include <gtest/gtest.h>

#include <filesystem>

#include "cpu_test_util.h"
#include "lightnet/engine.h"
#include "lightnet/model_loader.h"

namespace lightnet {
namespace {

namespace fs = std::filesystem;

class CpuEngine : public ::testing::Test {
 protected:
  void SetUp() override {
    const fs::path dir = fs::path(LIGHTNET_SHARED_DIR) / "models/yolo-fastest";
    if (!fs::exists(dir / "yolo-fastest-xl-voc.weights")) GTEST_SKIP() << dir << " has no yolo-fastest-xl-voc model";
    net = load_cfg((dir / "yolo-fastest-xl-voc.cfg").string());
    load_weights(net, (dir / "yolo-fastest-xl-voc.weights").string());
  }
  BuildOptions cpu(int batch = 1) {
    BuildOptions o;
    o.backend = "cpu";
    o.batch = batch;
    return o;
  }
  Network net;
};

TEST_F(CpuEngine, RejectsFp16AndInt8WithoutRanges) {
  // fp16 is a GPU precision; int8 runs (test_quantization.cpp) once it has activation ranges.
  for (Precision p : {Precision::FP16, Precision::INT8}) {
    BuildOptions o = cpu();
    o.precision = p;
    try {
      build_engine(net, o);
      FAIL() << "expected std::invalid_argument for " << to_string(p);
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(p == Precision::FP16 ? "supports fp32 and int8, found fp16"
                                                                  : "INT8 layers need activation ranges"),
                std::string::npos) << e.what();
    }
  }
}

TEST_F(CpuEngine, RejectsNetworkWithoutWeightsAndBadThreads) {
  Network bare = load_cfg(net.cfg_path);
  EXPECT_THROW(build_engine(bare, cpu()), std::invalid_argument);
  BuildOptions o = cpu();
  o.threads = -1;
  EXPECT_THROW(build_engine(net, o), std::invalid_argument);
}

TEST_F(CpuEngine, ReportsItsSettings) {
  auto e = build_engine(net, cpu(3));
  EXPECT_EQ(e->backend(), "cpu");
  EXPECT_EQ(e->precision(), Precision::FP32);
  EXPECT_EQ(e->max_batch(), 3);
  EXPECT_EQ(e->network().layers.size(), net.layers.size());
}

TEST_F(CpuEngine, ForwardBatchesEqualSingleImages) {
  auto single = build_engine(net, cpu(1));
  auto batched = build_engine(net, cpu(2));
  const int n = 3;  // more than max_batch: forward() splits it
  std::vector<float> input = testing::random_input(size_t(net.input.size()) * n, 21);
  std::vector<Tensor> all = batched->forward(input.data(), n);
  ASSERT_EQ(all.size(), net.heads.size());
  for (int k = 0; k < n; ++k) {
    std::vector<Tensor> one = single->forward(input.data() + size_t(k) * net.input.size(), 1);
    for (size_t h = 0; h < all.size(); ++h) {
      EXPECT_EQ(all[h].n, n);
      EXPECT_EQ(all[h].layer, net.heads[h].source);
      const size_t per = one[h].data.size();
      auto d = testing::compare(all[h].data.data() + k * per, one[h].data.data(), per);
      EXPECT_LT(d.relative(), 1e-5) << "image " << k << " head " << h;
    }
  }
}

TEST_F(CpuEngine, DetectValidatesEveryImageAndNamesIt) {
  auto e = build_engine(net, cpu(2));
  std::vector<uint8_t> px(64 * 48 * 3, 128);
  ImageView good{px.data(), 64, 48, 64 * 3, PixelFormat::BGR8};
  ImageView bad = good;
  bad.step = 10;
  try {
    e->detect({good, good, bad}, DetectOptions{});
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& ex) {
    EXPECT_EQ(std::string(ex.what()).rfind("image 2: ", 0), 0u) << ex.what();
  }
}

TEST_F(CpuEngine, DetectBatchesMatchOneByOneAndReportTimings) {
  auto one = build_engine(net, cpu(1));
  auto two = build_engine(net, cpu(2));
  std::vector<std::vector<uint8_t>> frames;
  std::vector<ImageView> views;
  for (int k = 0; k < 3; ++k) {
    std::vector<uint8_t> px(size_t(200 + k * 13) * 150 * 4);
    for (size_t i = 0; i < px.size(); ++i) px[i] = uint8_t((i * (k + 3) / 7) % 251);
    frames.push_back(std::move(px));
  }
  for (int k = 0; k < 3; ++k)
    views.push_back({frames[k].data(), 200 + k * 13, 150, size_t(200 + k * 13) * 4, PixelFormat::BGRA8});
  DetectOptions low;
  low.score_threshold = 0.05f;
  auto batched = two->detect(views, low);
  ASSERT_EQ(batched.size(), 3u);
  for (int k = 0; k < 3; ++k) {
    auto single = one->detect({views[k]}, low);
    ASSERT_EQ(single[0].detections.size(), batched[k].detections.size()) << "image " << k;
    for (size_t i = 0; i < single[0].detections.size(); ++i) {
      EXPECT_EQ(single[0].detections[i].class_id, batched[k].detections[i].class_id);
      EXPECT_NEAR(single[0].detections[i].x, batched[k].detections[i].x, 1e-3);
      EXPECT_NEAR(single[0].detections[i].score, batched[k].detections[i].score, 1e-5);
    }
    EXPECT_GT(batched[k].timing.preprocess_ms, 0);
    EXPECT_GT(batched[k].timing.inference_ms, 0);
    EXPECT_GE(batched[k].timing.postprocess_ms, 0);
    EXPECT_TRUE(batched[k].masks.empty());  // detection-only model
  }
}

TEST_F(CpuEngine, ProfileListsEveryLayerOnlyWhenAskedFor) {
  std::vector<float> input = testing::random_input(net.input.size());
  auto plain = build_engine(net, cpu());
  plain->forward(input.data(), 1);
  EXPECT_TRUE(plain->take_profile().empty());
  BuildOptions o = cpu();
  o.profile = true;
  auto profiled = build_engine(net, o);
  profiled->forward(input.data(), 1);
  auto prof = profiled->take_profile();
  ASSERT_EQ(prof.size(), net.layers.size());
  EXPECT_EQ(prof[0].name.rfind("0 convolutional 3x3/2", 0), 0u) << prof[0].name;
  EXPECT_GT(prof[0].ms, 0);
  EXPECT_TRUE(profiled->take_profile().empty());  // taken: reset until the next inference
}

}  // namespace
}  // namespace lightnet
