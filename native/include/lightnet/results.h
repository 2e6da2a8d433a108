// What an engine returns for one frame.
#pragma once
#include <cstdint>
#include <vector>

namespace lightnet {

struct Detection {
  int class_id = 0;
  float score = 0;        // objectness × class probability
  float x = 0, y = 0;     // top-left corner, input-image pixels
  float width = 0, height = 0;
};

struct SegmentationMask {
  int head_layer = 0;     // index of the [softmax] layer
  int width = 0, height = 0;  // head resolution
  std::vector<uint8_t> class_ids;  // row-major argmax over channels
};

struct FrameTiming {
  double preprocess_ms = 0, inference_ms = 0, postprocess_ms = 0;
};

struct FrameResult {
  std::vector<Detection> detections;
  std::vector<SegmentationMask> masks;  // one per segmentation head
  FrameTiming timing;
};

// Thresholds that may change per call (live `ros2 param set`), unlike build options.
struct DetectOptions {
  float score_threshold = 0.25f;
  float nms_threshold = 0.45f;
};

}  // namespace lightnet
