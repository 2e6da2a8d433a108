// Host images as they arrive from ROS or a decoder, and their conversion to the network input.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "lightnet/network.h"

namespace lightnet {

enum class PixelFormat { BGR8, RGB8, BGRA8, RGBA8, MONO8 };

// "bgr8", "rgb8", "bgra8", "rgba8", "mono8" (ROS encodings); throws std::invalid_argument listing them.
PixelFormat parse_pixel_format(const std::string& encoding);
const char* to_string(PixelFormat f);
int channels_of(PixelFormat f);

// A borrowed view of interleaved 8-bit pixels. step = bytes per row (≥ width × channels).
struct ImageView {
  const uint8_t* data = nullptr;
  int width = 0, height = 0;
  size_t step = 0;
  PixelFormat format = PixelFormat::BGR8;
};

// Throws std::invalid_argument if the view is empty, too small for its step, or not a supported format.
void validate(const ImageView& image);

// Plain bilinear resize (OpenCV INTER_LINEAR, half-pixel centres) to the network size, RGB order, ×1/255,
// planar CHW float written to `dst` (input.c × input.h × input.w floats). Mono is replicated when the
// network takes 3 channels. Matches cv::dnn::blobFromImage(img, 1/255., size, 0, swapRB=true).
void preprocess_cpu(const ImageView& image, const Shape& input, float* dst);

}  // namespace lightnet
