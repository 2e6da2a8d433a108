// preprocess_cpu against OpenCV's blobFromImage (run through /usr/bin/python3 at test time), pixel formats
// and validation errors.
#include <gtest/gtest.h>

#include <random>

#include "lightnet/image.h"
#include "python_reference.h"

namespace lightnet {
namespace {

using namespace lightnet::testing;

TEST(PixelFormat, ParsesRosEncodings) {
  EXPECT_EQ(parse_pixel_format("bgr8"), PixelFormat::BGR8);
  EXPECT_EQ(parse_pixel_format("rgba8"), PixelFormat::RGBA8);
  EXPECT_EQ(parse_pixel_format("mono8"), PixelFormat::MONO8);
  EXPECT_STREQ(to_string(PixelFormat::BGRA8), "bgra8");
  EXPECT_EQ(channels_of(PixelFormat::RGB8), 3);
  EXPECT_EQ(channels_of(PixelFormat::BGRA8), 4);
  EXPECT_EQ(channels_of(PixelFormat::MONO8), 1);
  try {
    parse_pixel_format("yuv422");
    FAIL() << "expected an exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("'yuv422' is not supported (expected one of bgr8, rgb8"), std::string::npos)
        << e.what();
  }
}

TEST(Validate, RejectsBadViews) {
  std::vector<uint8_t> px(30);
  ImageView ok{px.data(), 5, 2, 15, PixelFormat::BGR8};
  EXPECT_NO_THROW(validate(ok));
  ImageView empty = ok;
  empty.width = 0;
  EXPECT_THROW(validate(empty), std::invalid_argument);
  ImageView null = ok;
  null.data = nullptr;
  EXPECT_THROW(validate(null), std::invalid_argument);
  ImageView short_step = ok;
  short_step.step = 14;
  try {
    validate(short_step);
    FAIL() << "expected an exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("expected >= 15 bytes"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("found 14"), std::string::npos) << e.what();
  }
  ImageView bad_format = ok;
  bad_format.format = static_cast<PixelFormat>(9);
  EXPECT_THROW(validate(bad_format), std::invalid_argument);
}

TEST(Preprocess, SameSizeIsPlainScaleAndSwap) {
  // 2x1 bgr8 image, network 2x1: no resize. Expected R,G,B planes / 255.
  std::vector<uint8_t> px{10, 20, 30, 255, 0, 51, /* step padding */ 99};
  ImageView img{px.data(), 2, 1, 7, PixelFormat::BGR8};
  std::vector<float> out(6);
  preprocess_cpu(img, {3, 1, 2}, out.data());
  const float s = 1.f / 255.f;
  EXPECT_EQ(out, (std::vector<float>{30 * s, 51 * s, 20 * s, 0 * s, 10 * s, 255 * s}));
}

TEST(Preprocess, MonoIsReplicated) {
  std::vector<uint8_t> px{0, 255, 51, 102};
  ImageView img{px.data(), 2, 2, 2, PixelFormat::MONO8};
  std::vector<float> out(12);
  preprocess_cpu(img, {3, 2, 2}, out.data());
  for (int c = 0; c < 3; ++c)
    for (int k = 0; k < 4; ++k) EXPECT_FLOAT_EQ(out[c * 4 + k], px[k] / 255.f);
}

struct Case {
  int width, height, net_w, net_h;
  PixelFormat format;
  int extra_step;  // bytes of row padding
};

class PreprocessVsOpenCV : public ::testing::TestWithParam<Case> {};

// Random image → our blob vs cv2.dnn.blobFromImage(img, 1/255, size, swapRB) on the same pixels. OpenCV
// resizes the uint8 image in fixed point; we reproduce its rounding, so the blobs should be identical.
TEST_P(PreprocessVsOpenCV, MatchesBlobFromImage) {
  if (!have_python_cv2()) GTEST_SKIP() << "/usr/bin/python3 with cv2 + numpy not available (apt python3-opencv)";
  const Case c = GetParam();
  const int cn = channels_of(c.format);
  std::mt19937 rng(c.width * 31 + c.height);
  std::uniform_int_distribution<int> u(0, 255);
  const size_t step = size_t(c.width) * cn + c.extra_step;
  std::vector<uint8_t> padded(step * c.height), dense(size_t(c.width) * cn * c.height);
  for (int y = 0; y < c.height; ++y)
    for (int x = 0; x < c.width * cn; ++x) {
      // smooth-ish content plus noise exercises the rounding of every weight
      uint8_t v = uint8_t(u(rng));
      padded[y * step + x] = v;
      dense[size_t(y) * c.width * cn + x] = v;
    }
  const std::string tag = std::to_string(c.width) + "x" + std::to_string(c.height) + "_" + to_string(c.format);
  auto in = test_tmp("pre_" + tag + ".u8"), out = test_tmp("pre_" + tag + ".f32");
  write_raw(in, dense);
  const bool bgr_order = c.format == PixelFormat::BGR8 || c.format == PixelFormat::BGRA8;
  std::string cmd = std::string(kPython) + " " + reference_script("blob_from_image.py") + " " + in.string() + " " +
                    std::to_string(c.height) + " " + std::to_string(c.width) + " " + std::to_string(cn) + " " +
                    std::to_string(c.net_w) + " " + std::to_string(c.net_h) + " " + (bgr_order ? "1" : "0") + " " +
                    out.string();
  ASSERT_EQ(run_command(cmd), 0) << cmd;
  std::vector<float> expected = read_raw<float>(out);
  const size_t plane = size_t(c.net_w) * c.net_h;
  ASSERT_EQ(expected.size(), plane * cn);

  std::vector<float> ours(plane * 3);
  ImageView img{padded.data(), c.width, c.height, step, c.format};
  preprocess_cpu(img, {3, c.net_h, c.net_w}, ours.data());
  size_t mismatches = 0;
  float worst = 0;
  for (int ch = 0; ch < 3; ++ch) {
    const int src_ch = cn == 1 ? 0 : ch;  // mono: replicated; 4 channels: alpha dropped (after swapRB)
    for (size_t k = 0; k < plane; ++k) {
      float d = std::fabs(ours[ch * plane + k] - expected[src_ch * plane + k]);
      worst = std::max(worst, d);
      mismatches += d > 0;
    }
  }
  EXPECT_EQ(mismatches, 0u) << "worst |diff| " << worst << " (one uint8 step = " << 1 / 255.f << ")";
}

INSTANTIATE_TEST_SUITE_P(
    Formats, PreprocessVsOpenCV,
    ::testing::Values(Case{640, 480, 320, 240, PixelFormat::BGR8, 0},     // exact 2x: OpenCV's area fast path
                      Case{1280, 720, 416, 416, PixelFormat::BGR8, 0},    // non-integer downscale
                      Case{1920, 1080, 1280, 960, PixelFormat::RGB8, 5},  // the LightNet input size
                      Case{101, 77, 320, 320, PixelFormat::BGRA8, 3},     // upscale, alpha dropped
                      Case{333, 250, 320, 256, PixelFormat::RGBA8, 0},
                      Case{97, 61, 64, 48, PixelFormat::MONO8, 1}),
    [](const ::testing::TestParamInfo<Case>& i) {
      return std::to_string(i.param.width) + "x" + std::to_string(i.param.height) + "_" + to_string(i.param.format);
    });

}  // namespace
}  // namespace lightnet
