// Video files and in-memory codecs of lightnet_media: a written clip reads back frame for frame, and bad
// input fails with a MediaError naming the file. Built only with OpenCV.
#ifdef LIGHTNET_WITH_OPENCV
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
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


std::vector<uint8_t> file_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

// Every shared JPEG, and each of them re-encoded as PNG and BMP.
std::vector<std::pair<std::string, std::vector<uint8_t>>> encoded_samples() {
  std::vector<std::pair<std::string, std::vector<uint8_t>>> out;
  const std::filesystem::path dir = std::filesystem::path(LIGHTNET_SHARED_DIR) / "images";
  if (!std::filesystem::exists(dir)) return out;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".jpg") continue;
    std::vector<uint8_t> jpeg = file_bytes(entry.path());
    lightnet::OwnedImage decoded = lightnet::decode_image(jpeg.data(), jpeg.size(), entry.path().string());
    const std::string name = entry.path().filename().string();
    out.emplace_back(name, jpeg);
    out.emplace_back(name + ".png", lightnet::encode_image(decoded.view(), ".png"));
    out.emplace_back(name + ".bmp", lightnet::encode_image(decoded.view(), ".bmp"));
  }
  return out;
}

// Decoding into the caller's memory gives decode_image's pixels byte for byte, and the decoder writes straight
// into that memory: one allocation, and the view points at it.
TEST(ImageCodec, DecodesIntoTheCallersMemoryWithTheSamePixels) {
  const auto samples = encoded_samples();
  if (samples.empty()) GTEST_SKIP() << LIGHTNET_SHARED_DIR << "/images has no .jpg";
  for (const auto& [name, bytes] : samples) {
    const lightnet::OwnedImage expected = lightnet::decode_image(bytes.data(), bytes.size(), name);
    std::vector<uint8_t> memory;
    int allocations = 0;
    const lightnet::ImageView view = lightnet::decode_image_into(bytes.data(), bytes.size(), name, [&](size_t n) {
      ++allocations;
      memory.assign(n, 0);
      return memory.data();
    });
    EXPECT_EQ(allocations, 1) << name;
    EXPECT_EQ(view.data, memory.data()) << name;
    EXPECT_EQ(view.format, lightnet::PixelFormat::BGR8);
    EXPECT_EQ(view.width, expected.width) << name;
    EXPECT_EQ(view.height, expected.height) << name;
    EXPECT_EQ(view.step, expected.step) << name;
    EXPECT_EQ(memory, expected.data) << name;
  }
}

TEST(ImageCodec, DecodeIntoNamesDataThatIsNotAnImage) {
  std::vector<uint8_t> buffer;
  auto allocate = [&](size_t n) {
    buffer.resize(n);
    return buffer.data();
  };
  const uint8_t junk[] = {1, 2, 3};
  try {
    lightnet::decode_image_into(junk, 3, "/cam/compressed @ 5.0", allocate);
    FAIL() << "expected MediaError";
  } catch (const lightnet::MediaError& e) {
    EXPECT_EQ(std::string(e.what()), "/cam/compressed @ 5.0: cannot decode image (3 bytes, not a JPEG/PNG/… OpenCV reads)");
  }
  // A PNG whose header is fine but whose data is garbage; and one whose header is cut: both fail, neither is
  // mistaken for a decoded frame (imdecode leaves a destination it never allocated as it was).
  std::vector<uint8_t> rgb(64 * 32 * 3, 7);
  std::vector<uint8_t> png = lightnet::encode_image({rgb.data(), 64, 32, 64 * 3, lightnet::PixelFormat::RGB8}, ".png");
  png.resize(40);
  png.insert(png.end(), 100, 0x55);
  EXPECT_THROW(lightnet::decode_image_into(png.data(), png.size(), "broken.png", allocate), lightnet::MediaError);
  png.resize(30);
  EXPECT_THROW(lightnet::decode_image_into(png.data(), png.size(), "cut.png", allocate), lightnet::MediaError);
  EXPECT_THROW(lightnet::decode_image_into(png.data(), 0, "empty", allocate), lightnet::MediaError);
}

// A JPEG that EXIF says to rotate by 90 degrees: OpenCV transposes the decoded frame into new memory, and the
// result is copied into the caller's memory once more, still byte for byte what decode_image gives.
TEST(ImageCodec, DecodeIntoFollowsExifRotation) {
  std::vector<uint8_t> bgr(40 * 24 * 3);
  for (size_t i = 0; i < bgr.size(); ++i) bgr[i] = uint8_t(i * 7 % 251);
  std::vector<uint8_t> jpeg = lightnet::encode_image({bgr.data(), 40, 24, 40 * 3, lightnet::PixelFormat::BGR8}, ".jpg");
  // APP1 "Exif": big-endian TIFF header, one IFD entry: Orientation (0x0112), SHORT, 1 value, 6 (rotate 90° cw).
  const std::vector<uint8_t> exif = {0xff, 0xe1, 0x00, 0x22, 'E', 'x', 'i', 'f', 0, 0, 'M', 'M', 0, 42, 0, 0, 0, 8,
                                     0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0, 0, 0, 0, 0};
  jpeg.insert(jpeg.begin() + 2, exif.begin(), exif.end());
  const lightnet::OwnedImage expected = lightnet::decode_image(jpeg.data(), jpeg.size(), "rotated.jpg");
  ASSERT_EQ(expected.width, 24);  // rotated
  ASSERT_EQ(expected.height, 40);
  std::vector<uint8_t> memory;
  int allocations = 0;
  const lightnet::ImageView view = lightnet::decode_image_into(jpeg.data(), jpeg.size(), "rotated.jpg", [&](size_t n) {
    ++allocations;
    memory.assign(n, 0);
    return memory.data();
  });
  EXPECT_EQ(allocations, 2);
  EXPECT_EQ(view.data, memory.data());
  EXPECT_EQ(view.width, 24);
  EXPECT_EQ(view.height, 40);
  EXPECT_EQ(memory, expected.data);
}

}  // namespace
#endif  // LIGHTNET_WITH_OPENCV
