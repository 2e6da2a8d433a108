// Encoded images held in memory (CompressedImage payloads, PNG/JPEG bytes) through OpenCV's imgcodecs.
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

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
  OwnedImage out;
  out.width = mat.cols;
  out.height = mat.rows;
  out.step = size_t(mat.cols) * 3;
  out.format = PixelFormat::BGR8;
  out.data.resize(out.step * size_t(out.height));
  for (int y = 0; y < mat.rows; ++y) std::copy_n(mat.ptr<uint8_t>(y), out.step, out.data.data() + y * out.step);
  return out;
}

std::vector<uint8_t> encode_image(const ImageView& image, const std::string& extension) {
  validate(image);
  cv::Mat view(image.height, image.width, CV_8UC(channels_of(image.format)), const_cast<uint8_t*>(image.data), image.step);
  cv::Mat mat;
  switch (image.format) {
    case PixelFormat::RGB8: cv::cvtColor(view, mat, cv::COLOR_RGB2BGR); break;
    case PixelFormat::RGBA8: cv::cvtColor(view, mat, cv::COLOR_RGBA2BGRA); break;
    default: mat = view;
  }
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
