#include "lightnet/input_buffers.h"

#include <cstring>

namespace lightnet {

InputBuffers::InputBuffers(Engine& engine, bool use_engine_memory)
    : engine_(engine), use_engine_memory_(use_engine_memory) {}

uint8_t* InputBuffers::reserve(size_t index, size_t bytes) {
  if (index >= in_engine_.size()) {
    in_engine_.resize(index + 1, false);
    own_.resize(index + 1);
  }
  if (use_engine_memory_ && index < size_t(engine_.max_batch())) {
    if (uint8_t* p = engine_.pinned_input(int(index), bytes)) {
      in_engine_[index] = true;
      own_[index] = {};
      return p;
    }
  }
  in_engine_[index] = false;
  std::vector<uint8_t>& own = own_[index];
  own.resize(bytes > 0 ? bytes : 1);  // never a null pointer, even for an empty request
  return own.data();
}

bool InputBuffers::in_engine_memory(size_t index) const { return index < in_engine_.size() && in_engine_[index]; }

ImageView InputBuffers::copy(size_t index, const ImageView& image) {
  validate(image);
  const size_t row = size_t(image.width) * channels_of(image.format);
  uint8_t* dst = reserve(index, row * size_t(image.height));
  if (image.step == row) {
    std::memcpy(dst, image.data, row * size_t(image.height));
  } else {
    for (int y = 0; y < image.height; ++y) std::memcpy(dst + size_t(y) * row, image.data + size_t(y) * image.step, row);
  }
  return ImageView{dst, image.width, image.height, row, image.format};
}

}  // namespace lightnet
