// Still-image files through OpenCV's imgcodecs.
#include <filesystem>
#include <system_error>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "lightnet/media.h"

namespace lightnet {
namespace {

// A cv::Mat header over the caller's pixels (no copy) in the layout imwrite expects (BGR / BGRA / gray).
cv::Mat to_writable_mat(const ImageView& image) {
  validate(image);
  const int type = CV_8UC(channels_of(image.format));
  cv::Mat view(image.height, image.width, type, const_cast<uint8_t*>(image.data), image.step);
  cv::Mat out;
  switch (image.format) {
    case PixelFormat::RGB8: cv::cvtColor(view, out, cv::COLOR_RGB2BGR); return out;
    case PixelFormat::RGBA8: cv::cvtColor(view, out, cv::COLOR_RGBA2BGRA); return out;
    default: return view;
  }
}

}  // namespace

OwnedImage read_image(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) throw MediaError(path, "no such file");
  if (std::filesystem::is_directory(path, ec)) throw MediaError(path, "is a directory, expected an image file");
  cv::Mat mat;
  try {
    mat = cv::imread(path, cv::IMREAD_COLOR);
  } catch (const cv::Exception& e) {
    throw MediaError(path, std::string("cannot decode image (") + e.what() + ")");
  }
  if (mat.empty()) throw MediaError(path, "cannot decode image (not a supported or intact image file)");
  OwnedImage image;
  image.width = mat.cols;
  image.height = mat.rows;
  image.step = size_t(mat.cols) * 3;
  image.format = PixelFormat::BGR8;
  image.data.resize(image.step * size_t(image.height));
  for (int y = 0; y < mat.rows; ++y) std::copy_n(mat.ptr<uint8_t>(y), image.step, image.data.data() + y * image.step);
  return image;
}

void write_image(const std::string& path, const ImageView& image) {
  cv::Mat mat = to_writable_mat(image);
  bool ok = false;
  try {
    ok = cv::imwrite(path, mat);
  } catch (const cv::Exception& e) {
    throw MediaError(path, std::string("cannot write image (") + e.err + ")");
  }
  if (!ok) throw MediaError(path, "cannot write image (unwritable path or unsupported extension)");
}

std::string media_library_version() { return CV_VERSION; }

}  // namespace lightnet
