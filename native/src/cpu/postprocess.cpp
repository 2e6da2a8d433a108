// YOLO decode, class-wise greedy NMS and segmentation argmax on the host.
// decode_yolo follows darknet's forward_yolo_layer + get_yolo_box + get_yolo_detections (AlexeyAB/darknet
// src/yolo_layer.c), which OpenCV's region layer mirrors:
//   new_coords=0: tx,ty,to,tc pass through logistic here; w = exp(tw) * anchor_w / net_w
//   new_coords=1: the conv already applied logistic to everything; w = (2 tw)^2 * anchor_w / net_w
//   both:         x = (col + tx * scale_x_y - (scale_x_y - 1) / 2) / grid_w
//   score = objectness * class probability.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <string>

#include "lightnet/postprocess.h"

namespace lightnet {

namespace {

inline float logistic(float x) { return 1.f / (1.f + std::exp(-x)); }

float iou(const Detection& a, const Detection& b) {
  float x0 = std::max(a.x, b.x), y0 = std::max(a.y, b.y);
  float x1 = std::min(a.x + a.width, b.x + b.width), y1 = std::min(a.y + a.height, b.y + b.height);
  float inter = std::max(0.f, x1 - x0) * std::max(0.f, y1 - y0);
  float uni = a.width * a.height + b.width * b.height - inter;
  return uni > 0 ? inter / uni : 0.f;
}

}  // namespace

void decode_yolo(const Network& net, const Layer& yolo, const float* head, int image_width, int image_height,
                 float score_threshold, std::vector<Detection>& out) {
  const YoloParams& p = yolo.as<YoloParams>();
  if (yolo.input_shapes.empty())
    throw std::invalid_argument("decode_yolo: layer " + std::to_string(yolo.index) + " has no input shape");
  const Shape& s = yolo.input_shapes[0];
  const int per_anchor = 5 + p.classes;
  if (s.c != int(p.mask.size()) * per_anchor)
    throw std::invalid_argument("decode_yolo: layer " + std::to_string(yolo.index) + " [yolo]: input channels " +
                                std::to_string(s.c) + ", expected mask size " + std::to_string(p.mask.size()) +
                                " x (5 + classes " + std::to_string(p.classes) + ")");
  const size_t plane = size_t(s.h) * s.w;
  const float sxy = p.scale_x_y, shift = -0.5f * (p.scale_x_y - 1.f);
  for (size_t a = 0; a < p.mask.size(); ++a) {
    const int anchor = p.mask[a];
    if (anchor < 0 || 2 * anchor + 1 >= int(p.anchors.size()))
      throw std::invalid_argument("decode_yolo: layer " + std::to_string(yolo.index) + " [yolo]: mask index " +
                                  std::to_string(anchor) + " has no anchor");
    const float aw = p.anchors[2 * anchor], ah = p.anchors[2 * anchor + 1];
    const float* t = head + a * per_anchor * plane;
    for (int j = 0; j < s.h; ++j) {
      for (int i = 0; i < s.w; ++i) {
        const size_t k = size_t(j) * s.w + i;
        float obj = p.new_coords ? t[4 * plane + k] : logistic(t[4 * plane + k]);
        if (obj < score_threshold || !(obj > 0)) continue;  // no class can reach the threshold
        float tx = t[k], ty = t[plane + k], tw = t[2 * plane + k], th = t[3 * plane + k];
        float bx, by, bw, bh;
        if (p.new_coords) {
          bx = (i + tx * sxy + shift) / s.w;
          by = (j + ty * sxy + shift) / s.h;
          bw = tw * tw * 4.f * aw / net.input.w;
          bh = th * th * 4.f * ah / net.input.h;
        } else {
          bx = (i + logistic(tx) * sxy + shift) / s.w;
          by = (j + logistic(ty) * sxy + shift) / s.h;
          bw = std::exp(tw) * aw / net.input.w;
          bh = std::exp(th) * ah / net.input.h;
        }
        Detection d;
        d.width = bw * image_width;
        d.height = bh * image_height;
        d.x = bx * image_width - d.width / 2;
        d.y = by * image_height - d.height / 2;
        for (int c = 0; c < p.classes; ++c) {
          float tc = t[(5 + c) * plane + k];
          float score = obj * (p.new_coords ? tc : logistic(tc));
          if (score >= score_threshold) {
            d.class_id = c;
            d.score = score;
            out.push_back(d);
          }
        }
      }
    }
  }
}

std::vector<Detection> nms(std::vector<Detection> candidates, float nms_threshold) {
  std::stable_sort(candidates.begin(), candidates.end(),
                   [](const Detection& a, const Detection& b) { return a.score > b.score; });
  // Greedy: a candidate survives unless a kept box of its class overlaps it by more than the threshold.
  // Comparing only against kept boxes of the same class is the same algorithm in O(candidates x kept).
  std::vector<Detection> kept;
  std::vector<std::vector<size_t>> kept_by_class;
  for (const Detection& d : candidates) {
    if (d.class_id < 0) continue;
    if (size_t(d.class_id) >= kept_by_class.size()) kept_by_class.resize(d.class_id + 1);
    std::vector<size_t>& same = kept_by_class[d.class_id];
    bool suppressed = false;
    for (size_t k : same)
      if (iou(kept[k], d) > nms_threshold) {
        suppressed = true;
        break;
      }
    if (suppressed) continue;
    same.push_back(kept.size());
    kept.push_back(d);
  }
  return kept;
}

SegmentationMask argmax_mask(const Layer& softmax, const float* head) {
  if (softmax.input_shapes.empty())
    throw std::invalid_argument("argmax_mask: layer " + std::to_string(softmax.index) + " has no input shape");
  const Shape& s = softmax.input_shapes[0];
  if (s.c > 256)
    throw std::invalid_argument("argmax_mask: layer " + std::to_string(softmax.index) + " has " +
                                std::to_string(s.c) + " classes, expected <= 256 for a uint8 mask");
  SegmentationMask m;
  m.head_layer = softmax.index;
  m.width = s.w;
  m.height = s.h;
  const size_t plane = size_t(s.h) * s.w;
  m.class_ids.assign(plane, 0);
  std::vector<float> best(head, head + plane);
  for (int c = 1; c < s.c; ++c) {
    const float* p = head + c * plane;
    for (size_t k = 0; k < plane; ++k)
      if (p[k] > best[k]) best[k] = p[k], m.class_ids[k] = uint8_t(c);
  }
  return m;
}

}  // namespace lightnet
