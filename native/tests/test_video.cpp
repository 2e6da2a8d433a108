// Video files and in-memory codecs of lightnet_media: a written clip reads back frame for frame, and bad
// input fails with a MediaError naming the file. Built only with OpenCV.
#ifdef LIGHTNET_WITH_OPENCV
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "lightnet/video.h"

namespace {

std::string tmp_path(const std::string& name) {
  std::filesystem::create_directories(LIGHTNET_TEST_TMP);
  return std::string(LIGHTNET_TEST_TMP) + "/" + name;
}

// A flat frame whose grey level encodes its index, so reading back can tell frames apart despite lossy codecs.
std::vector<uint8_t> flat_frame(int w, int h, uint8_t level) { return std::vector<uint8_t>(size_t(w) * h * 3, level); }

TEST(Video, WritesAndReadsBackEveryFrameInOrder) {
  const std::string path = tmp_path("clip.avi");
  const int w = 64, h = 48;
  {
    lightnet::VideoWriter writer(path, w, h, 10);
    for (int i = 0; i < 5; ++i) {
      auto px = flat_frame(w, h, uint8_t(40 * i));
      writer.write({px.data(), w, h, size_t(w) * 3, lightnet::PixelFormat::BGR8});
    }
    EXPECT_EQ(writer.frames_written(), 5);
  }
  auto reader = lightnet::VideoReader::open_file(path);
  EXPECT_EQ(reader->info().width, w);
  EXPECT_EQ(reader->info().height, h);
  EXPECT_EQ(reader->info().frame_count, 5);
  lightnet::OwnedImage frame;
  double ms = 0;
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(reader->read(frame, ms)) << "frame " << i;
    EXPECT_NEAR(ms, 100.0 * i, 1e-6);
    EXPECT_NEAR(frame.data[frame.data.size() / 2], 40 * i, 3);  // Motion-JPEG of a flat image: within a few levels
  }
  EXPECT_FALSE(reader->read(frame, ms));
}

TEST(Video, RejectsBadInputWithTheFileName) {
  const std::string text = tmp_path("not_a_video.mp4");
  std::ofstream(text) << "plain text";
  try {
    lightnet::VideoReader::open_file(text);
    FAIL() << "expected MediaError";
  } catch (const lightnet::MediaError& e) {
    EXPECT_EQ(std::string(e.what()), text + ": cannot open video (not a video OpenCV/FFmpeg can read)");
  }
  EXPECT_THROW(lightnet::VideoReader::open_file(tmp_path("absent.mp4")), lightnet::MediaError);
  EXPECT_THROW(lightnet::VideoWriter(tmp_path("clip.gif"), 8, 8, 10), lightnet::MediaError);
  lightnet::VideoWriter writer(tmp_path("sized.avi"), 8, 8, 10);
  auto px = flat_frame(4, 4, 0);
  try {
    writer.write({px.data(), 4, 4, 12, lightnet::PixelFormat::BGR8});
    FAIL() << "expected MediaError";
  } catch (const lightnet::MediaError& e) {
    EXPECT_NE(std::string(e.what()).find("frame 4x4, expected the video's 8x8"), std::string::npos) << e.what();
  }
}

TEST(ImageCodec, RoundTripsPngAndNamesUndecodableData) {
  std::vector<uint8_t> rgb = {255, 0, 0, 0, 255, 0};
  auto png = lightnet::encode_image({rgb.data(), 2, 1, 6, lightnet::PixelFormat::RGB8}, ".png");
  auto back = lightnet::decode_image(png.data(), png.size(), "mem");
  EXPECT_EQ(back.format, lightnet::PixelFormat::BGR8);
  EXPECT_EQ(back.data, (std::vector<uint8_t>{0, 0, 255, 0, 255, 0}));  // stored as it looks: red, green
  const uint8_t junk[] = {1, 2, 3};
  try {
    lightnet::decode_image(junk, 3, "/cam/compressed @ 5.0");
    FAIL() << "expected MediaError";
  } catch (const lightnet::MediaError& e) {
    EXPECT_EQ(std::string(e.what()), "/cam/compressed @ 5.0: cannot decode image (3 bytes, not a JPEG/PNG/… OpenCV reads)");
  }
}

}  // namespace
#endif  // LIGHTNET_WITH_OPENCV
