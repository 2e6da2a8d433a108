// Activation statistics from the CPU fp32 path over calibration images, reduced to one range per tensor.
#pragma once
#include <string>
#include <vector>

#include "lightnet/quantization.h"

namespace lightnet::quant {

constexpr int kHistogramBins = 2048;

struct CalibrationSettings {
  std::string algorithm = "entropy";  // entropy | minmax | percentile
  double percentile = 99.99;
  int threads = 0;
};

// Ranges (amax) of the network input (result.front()) and of every layer's output (result[1 + index]).
// Entropy and percentile run two passes over the images: the max |x| of each tensor, then a 2048-bin
// histogram of |x| over [0, max]. Throws std::runtime_error naming an image that cannot be decoded.
std::vector<float> calibrate(const Network& net, const std::vector<std::string>& images,
                             const CalibrationSettings& settings, const LogCallback& log);

// Decodes an image file into the network input (preprocess_cpu); needs OpenCV (throws without it).
void load_calibration_input(const std::string& path, const Shape& input, float* dst);

}  // namespace lightnet::quant
