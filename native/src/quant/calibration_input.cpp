// Decoding a calibration image: OpenCV's imread, then the same pre-processing as inference (preprocess_cpu).
#include <stdexcept>

#include "lightnet/image.h"
#include "quant/calibrator.h"
#ifdef LIGHTNET_QUANT_WITH_OPENCV
#include <opencv2/imgcodecs.hpp>
#endif

namespace lightnet::quant {

void load_calibration_input(const std::string& path, const Shape& input, float* dst) {
#ifdef LIGHTNET_QUANT_WITH_OPENCV
  cv::Mat img = cv::imread(path, cv::IMREAD_COLOR);
  if (img.empty()) throw std::runtime_error(path + ": cannot decode this calibration image");
  ImageView view{img.data, img.cols, img.rows, img.step[0], PixelFormat::BGR8};
  preprocess_cpu(view, input, dst);
#else
  throw std::runtime_error(path + ": calibration from images needs OpenCV, which this build lacks");
#endif
}

}  // namespace lightnet::quant
