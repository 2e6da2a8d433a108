// YOLO decoding, class-wise NMS and segmentation argmax on the host (the CPU backend's, and the reference for
// the GPU ones).
#pragma once
#include <vector>

#include "lightnet/network.h"
#include "lightnet/results.h"

namespace lightnet {

// Decodes one [yolo] head's raw tensor (the feeding conv's output, CHW for one image) into candidate boxes in
// input-image pixels (the network saw the image resized to net.input, no letterbox). Applies logistic where
// darknet does (not when new_coords), scale_x_y, anchors and mask; score = objectness × class probability,
// one candidate per (anchor, cell, class) with score ≥ score_threshold.
void decode_yolo(const Network& net, const Layer& yolo, const float* head, int image_width, int image_height,
                 float score_threshold, std::vector<Detection>& out);

// Greedy class-wise NMS (IoU > nms_threshold suppresses the lower score), sorted by descending score.
std::vector<Detection> nms(std::vector<Detection> candidates, float nms_threshold);

// Argmax over channels of a segmentation head's CHW tensor (softmax is monotonic: skipped).
SegmentationMask argmax_mask(const Layer& softmax, const float* head);

}  // namespace lightnet
