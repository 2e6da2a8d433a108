// Where a caller puts the frames of one Engine::detect() call so that the engine uploads them fastest: the
// engine's own input buffer for each batch slot (Engine::pinned_input: page-locked on GPU backends, so the
// upload skips the engine's staging copy), else memory owned here (the engine then stages the upload itself,
// as for any caller memory). The pixels are the same either way, so are the detections and masks.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "lightnet/engine.h"
#include "lightnet/image.h"

namespace lightnet {

class InputBuffers {
 public:
  // `use_engine_memory` false never asks the engine (the plain path, for comparisons). The engine must outlive
  // this object, and while it is in use nobody else may write into the engine's input buffers; calls that reach
  // the engine (reserve, copy) need the same exclusive access as detect().
  explicit InputBuffers(Engine& engine, bool use_engine_memory = true);

  // Memory for image `index` of the next detect() call, at least `bytes` long: the engine's buffer for batch
  // slot `index` when index < max_batch() and the engine has one, else memory of this object. A later call for
  // the same index may move it (the old pointer dies). Not thread-safe, but what it returns for distinct indices
  // may be written by distinct threads at once.
  uint8_t* reserve(size_t index, size_t bytes);

  // Whether image `index` was last reserved in the engine's memory.
  bool in_engine_memory(size_t index) const;

  // Copies `image` (validated first) into reserve(index, …) with its rows packed (step = width × channels) and
  // returns the view of the copy.
  ImageView copy(size_t index, const ImageView& image);

 private:
  Engine& engine_;
  bool use_engine_memory_;
  std::vector<std::vector<uint8_t>> own_;  // per index, where the engine has no buffer
  std::vector<bool> in_engine_;
};

}  // namespace lightnet
