// Encoded images held in memory (CompressedImage payloads, PNG/JPEG bytes) through OpenCV's imgcodecs.
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "image/cv_mat.h"
#include "lightnet/video.h"

namespace lightnet {

OwnedImage decode_image(const uint8_t* data, size_t size, const std::string& what) {
  if (size == 0) throw MediaError(what, "empty image data");
  cv::Mat mat;
  try {
    const cv::Mat bytes(1, int(size), CV_8UC1, const_cast<uint8_t*>(data));
    mat = cv::imdecode(bytes, cv::IMREAD_COLOR);
  } catch (const cv::Exception& e) {
    throw MediaError(what, std::string("cannot decode image (") + e.err + ")");
  }
  if (mat.empty()) throw MediaError(what, "cannot decode image (" + std::to_string(size) + " bytes, not a JPEG/PNG/… OpenCV reads)");
  return to_owned_bgr(mat);
}

std::vector<uint8_t> encode_image(const ImageView& image, const std::string& extension) {
  const cv::Mat mat = to_codec_mat(image);
  std::vector<uint8_t> out;
  bool ok = false;
  try {
    ok = cv::imencode(extension, mat, out);
  } catch (const cv::Exception& e) {
    throw MediaError(extension, std::string("cannot encode image (") + e.err + ")");
  }
  if (!ok) throw MediaError(extension, "cannot encode image (unsupported extension)");
  return out;
}

}  // namespace lightnet
