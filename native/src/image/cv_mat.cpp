#include "image/cv_mat.h"

#include <algorithm>

#include <opencv2/imgproc.hpp>

namespace lightnet {
namespace {

cv::Mat view_of(const ImageView& image) {
  validate(image);
  return cv::Mat(image.height, image.width, CV_8UC(channels_of(image.format)), const_cast<uint8_t*>(image.data), image.step);
}

}  // namespace

cv::Mat to_codec_mat(const ImageView& image) {
  cv::Mat view = view_of(image);
  cv::Mat out;
  switch (image.format) {
    case PixelFormat::RGB8: cv::cvtColor(view, out, cv::COLOR_RGB2BGR); return out;
    case PixelFormat::RGBA8: cv::cvtColor(view, out, cv::COLOR_RGBA2BGRA); return out;
    default: return view;
  }
}

cv::Mat to_bgr_mat(const ImageView& image) {
  cv::Mat view = view_of(image);
  cv::Mat out;
  switch (image.format) {
    case PixelFormat::BGR8: return view;
    case PixelFormat::RGB8: cv::cvtColor(view, out, cv::COLOR_RGB2BGR); return out;
    case PixelFormat::BGRA8: cv::cvtColor(view, out, cv::COLOR_BGRA2BGR); return out;
    case PixelFormat::RGBA8: cv::cvtColor(view, out, cv::COLOR_RGBA2BGR); return out;
    case PixelFormat::MONO8: cv::cvtColor(view, out, cv::COLOR_GRAY2BGR); return out;
  }
  return view;
}

OwnedImage to_owned_bgr(const cv::Mat& mat) {
  cv::Mat bgr;
  if (mat.channels() == 3) bgr = mat;
  else if (mat.channels() == 1) cv::cvtColor(mat, bgr, cv::COLOR_GRAY2BGR);
  else cv::cvtColor(mat, bgr, cv::COLOR_BGRA2BGR);
  OwnedImage out;
  out.width = bgr.cols;
  out.height = bgr.rows;
  out.step = size_t(bgr.cols) * 3;
  out.format = PixelFormat::BGR8;
  out.data.resize(out.step * size_t(out.height));
  for (int y = 0; y < bgr.rows; ++y) std::copy_n(bgr.ptr<uint8_t>(y), out.step, out.data.data() + y * out.step);
  return out;
}

}  // namespace lightnet
