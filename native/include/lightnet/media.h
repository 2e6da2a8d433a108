// Image files ↔ host pixels (OpenCV codecs; lib `lightnet_media`). Video and annotation readers/writers for
// offline runs belong beside these, one file per medium under src/image/.
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "lightnet/image.h"

namespace lightnet {

// Thrown when a media file cannot be read, decoded or written; what() starts with the file's path.
class MediaError : public std::runtime_error {
 public:
  MediaError(const std::string& path, const std::string& message)
      : std::runtime_error(path + ": " + message), path_(path) {}
  const std::string& path() const { return path_; }
 private:
  std::string path_;
};

// Decoded pixels that own their memory.
struct OwnedImage {
  int width = 0, height = 0;
  size_t step = 0;
  PixelFormat format = PixelFormat::BGR8;
  std::vector<uint8_t> data;
  ImageView view() const { return ImageView{data.data(), width, height, step, format}; }
};

// Decodes any image file OpenCV reads (JPEG, PNG, BMP, …) into bgr8, tightly packed (step = 3 × width).
OwnedImage read_image(const std::string& path);

// Encodes `image` in the format its extension names (.png, .jpg, …); colour images are stored as they look
// (rgb8 is swapped to the file's BGR order).
void write_image(const std::string& path, const ImageView& image);

// Version of the codec library, e.g. "4.6.0".
std::string media_library_version();

}  // namespace lightnet
