// Still-image files through OpenCV's imgcodecs.
#include <filesystem>
#include <system_error>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "image/cv_mat.h"
#include "lightnet/media.h"

namespace lightnet {
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
  return to_owned_bgr(mat);
}

void write_image(const std::string& path, const ImageView& image) {
  cv::Mat mat = to_codec_mat(image);
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
