// decode_yolo, nms and argmax_mask against hand-computed answers (darknet's formulas worked out by hand).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "lightnet/postprocess.h"

namespace lightnet {
namespace {

float logit(float p) { return std::log(p / (1 - p)); }

// A 2x2 grid, one anchor (mask {1}), 2 classes, network 64x32.
struct YoloFixture {
  Network net;
  Layer yolo;
  std::vector<float> head;
  explicit YoloFixture(bool new_coords, float scale_x_y) {
    net.input = {3, 32, 64};
    yolo.index = 7;
    yolo.type = LayerType::Yolo;
    YoloParams p;
    p.mask = {1};
    p.anchors = {1, 1, 16, 8};
    p.classes = 2;
    p.num = 2;
    p.scale_x_y = scale_x_y;
    p.new_coords = new_coords;
    yolo.params = p;
    yolo.input_shapes = {{7, 2, 2}};
    head.assign(7 * 4, new_coords ? 0.f : -20.f);  // objectness ~0 everywhere
  }
  float& at(int ch, int y, int x) { return head[ch * 4 + y * 2 + x]; }
};

TEST(DecodeYolo, OldCoordsLogisticExpAnchors) {
  YoloFixture f(false, 1.f);
  // cell (x=1, y=0): sigma(tx)=0.25, sigma(ty)=0.75, tw=log 2, th=0, obj 0.8, classes 0.5 / 0.9
  f.at(0, 0, 1) = logit(0.25f);
  f.at(1, 0, 1) = logit(0.75f);
  f.at(2, 0, 1) = std::log(2.f);
  f.at(3, 0, 1) = 0;
  f.at(4, 0, 1) = logit(0.8f);
  f.at(5, 0, 1) = logit(0.5f);
  f.at(6, 0, 1) = logit(0.9f);
  std::vector<Detection> out;
  decode_yolo(f.net, f.yolo, f.head.data(), 640, 320, 0.3f, out);
  ASSERT_EQ(out.size(), 2u);
  // x centre = (1 + 0.25) / 2 = 0.625 → 400 px; w = e^{log 2} * 16 / 64 = 0.5 → 320 px
  // y centre = (0 + 0.75) / 2 = 0.375 → 120 px; h = 1 * 8 / 32 = 0.25 → 80 px
  EXPECT_EQ(out[0].class_id, 0);
  EXPECT_NEAR(out[0].score, 0.4f, 1e-6);
  EXPECT_EQ(out[1].class_id, 1);
  EXPECT_NEAR(out[1].score, 0.72f, 1e-6);
  for (const Detection& d : out) {
    EXPECT_NEAR(d.x, 400 - 160, 1e-3);
    EXPECT_NEAR(d.y, 120 - 40, 1e-3);
    EXPECT_NEAR(d.width, 320, 1e-3);
    EXPECT_NEAR(d.height, 80, 1e-3);
  }
}

TEST(DecodeYolo, NewCoordsScaleXY) {
  YoloFixture f(true, 2.f);
  // new_coords: values are already logistic. cell (x=0, y=1): tx=0.5, ty=0.25, tw=0.5, th=0.25, obj 0.9, cls 0.5
  f.at(0, 1, 0) = 0.5f;
  f.at(1, 1, 0) = 0.25f;
  f.at(2, 1, 0) = 0.5f;
  f.at(3, 1, 0) = 0.25f;
  f.at(4, 1, 0) = 0.9f;
  f.at(5, 1, 0) = 0.5f;
  f.at(6, 1, 0) = 0.1f;
  std::vector<Detection> out;
  decode_yolo(f.net, f.yolo, f.head.data(), 64, 32, 0.25f, out);
  ASSERT_EQ(out.size(), 1u);  // class 1 scores 0.09
  const Detection& d = out[0];
  EXPECT_EQ(d.class_id, 0);
  EXPECT_NEAR(d.score, 0.45f, 1e-6);
  // x = (0 + 0.5*2 - 0.5) / 2 = 0.25 → 16 px; y = (1 + 0.25*2 - 0.5) / 2 = 0.5 → 16 px
  // w = (2*0.5)^2 * 16 / 64 = 0.25 → 16 px; h = (2*0.25)^2 * 8 / 32 = 0.0625 → 2 px
  EXPECT_NEAR(d.width, 16, 1e-4);
  EXPECT_NEAR(d.height, 2, 1e-4);
  EXPECT_NEAR(d.x, 16 - 8, 1e-4);
  EXPECT_NEAR(d.y, 16 - 1, 1e-4);
}

TEST(DecodeYolo, RejectsWrongChannelCount) {
  YoloFixture f(false, 1.f);
  f.yolo.input_shapes = {{8, 2, 2}};
  std::vector<Detection> out;
  EXPECT_THROW(decode_yolo(f.net, f.yolo, f.head.data(), 64, 32, 0.25f, out), std::invalid_argument);
}

Detection box(int cls, float score, float x, float y, float w, float h) { return {cls, score, x, y, w, h}; }

TEST(Nms, ClassWiseGreedy) {
  std::vector<Detection> in{
      box(0, 0.6f, 0, 0, 10, 10),
      box(0, 0.9f, 1, 0, 10, 10),    // IoU with the first = 90/110 = 0.818 → suppresses it
      box(1, 0.7f, 1, 0, 10, 10),    // other class: kept
      box(0, 0.8f, 5, 0, 10, 10),    // IoU with best = 60/140 = 0.43 < 0.45 → kept
  };
  auto out = nms(in, 0.45f);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_FLOAT_EQ(out[0].score, 0.9f);
  EXPECT_FLOAT_EQ(out[1].score, 0.8f);
  EXPECT_FLOAT_EQ(out[2].score, 0.7f);
  EXPECT_EQ(out[2].class_id, 1);
  // at threshold 0.4 the 0.8 box (IoU 0.43) goes too
  EXPECT_EQ(nms(in, 0.4f).size(), 2u);
}

// The grid-accelerated NMS against the textbook O(n^2) greedy loop on many random boxes of a few classes,
// including huge boxes spanning many grid cells and tiny ones.
TEST(Nms, SameAsBruteForceGreedyOnManyBoxes) {
  std::mt19937 rng(17);
  std::uniform_real_distribution<float> pos(-50, 1300), size(1, 120), score(0.25f, 1.f);
  std::vector<Detection> in;
  for (int i = 0; i < 3000; ++i) {
    float w = i % 97 == 0 ? 900 : size(rng), h = i % 89 == 0 ? 700 : size(rng) / 2;
    in.push_back(box(i % 4, score(rng), pos(rng), pos(rng) * 0.7f, w, h));
  }
  auto iou_of = [](const Detection& a, const Detection& b) {
    float ix = std::max(0.f, std::min(a.x + a.width, b.x + b.width) - std::max(a.x, b.x));
    float iy = std::max(0.f, std::min(a.y + a.height, b.y + b.height) - std::max(a.y, b.y));
    float inter = ix * iy;
    return inter / (a.width * a.height + b.width * b.height - inter);
  };
  std::vector<Detection> sorted = in;
  std::stable_sort(sorted.begin(), sorted.end(), [](const Detection& a, const Detection& b) { return a.score > b.score; });
  std::vector<Detection> expected;
  std::vector<bool> dead(sorted.size(), false);
  for (size_t i = 0; i < sorted.size(); ++i) {
    if (dead[i]) continue;
    expected.push_back(sorted[i]);
    for (size_t j = i + 1; j < sorted.size(); ++j)
      if (sorted[j].class_id == sorted[i].class_id && iou_of(sorted[i], sorted[j]) > 0.3f) dead[j] = true;
  }
  auto out = nms(in, 0.3f);
  ASSERT_EQ(out.size(), expected.size());
  for (size_t i = 0; i < out.size(); ++i) {
    EXPECT_EQ(out[i].class_id, expected[i].class_id);
    EXPECT_EQ(out[i].score, expected[i].score);
    EXPECT_EQ(out[i].x, expected[i].x);
  }
  EXPECT_GT(expected.size(), 500u);
  EXPECT_LT(expected.size(), in.size());
}

TEST(ArgmaxMask, PicksLargestChannelFirstOnTies) {
  Layer sm;
  sm.index = 42;
  sm.type = LayerType::Softmax;
  sm.params = SoftmaxParams{3, 1, {}};
  sm.input_shapes = {{3, 1, 4}};
  std::vector<float> head{0, 5, 1, 2,   // class 0
                          1, 4, 1, 7,   // class 1
                          2, 3, 0, 7};  // class 2
  SegmentationMask m = argmax_mask(sm, head.data());
  EXPECT_EQ(m.head_layer, 42);
  EXPECT_EQ(m.width, 4);
  EXPECT_EQ(m.height, 1);
  EXPECT_EQ(m.class_ids, (std::vector<uint8_t>{2, 0, 0, 1}));
}

}  // namespace
}  // namespace lightnet
