// YOLO decode, class-wise greedy NMS and segmentation argmax on the host.
// decode_yolo follows darknet's forward_yolo_layer + get_yolo_box + get_yolo_detections (AlexeyAB/darknet
// src/yolo_layer.c), which OpenCV's region layer mirrors:
//   new_coords=0: tx,ty,to,tc pass through logistic here; w = exp(tw) * anchor_w / net_w
//   new_coords=1: the conv already applied logistic to everything; w = (2 tw)^2 * anchor_w / net_w
//   both:         x = (col + tx * scale_x_y - (scale_x_y - 1) / 2) / grid_w
//   score = objectness * class probability.
#include <algorithm>
#include <cmath>
#include <map>
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

namespace {

// Kept boxes of one class, binned into a uniform grid over the candidates' extent: two boxes with IoU > 0
// overlap, so a candidate only needs the kept boxes registered in the cells it covers. This keeps NMS close
// to linear when there are very many boxes (random weights, low thresholds: 10^5 candidates).
class KeptGrid {
 public:
  static constexpr int kCells = 64;
  KeptGrid(float x0, float y0, float x1, float y1)
      : x0_(x0), y0_(y0), sx_(kCells / std::max(x1 - x0, 1e-3f)), sy_(kCells / std::max(y1 - y0, 1e-3f)),
        cells_(kCells * kCells) {}

  // True when pred(k) holds for a kept box k registered in a cell that `d` covers (each box tested once).
  template <class F>
  bool any_of_near(const Detection& d, F&& pred, std::vector<int>& stamp, int token) const {
    int cx0, cy0, cx1, cy1;
    range(d, cx0, cy0, cx1, cy1);
    for (int cy = cy0; cy <= cy1; ++cy)
      for (int cx = cx0; cx <= cx1; ++cx)
        for (int k : cells_[cy * kCells + cx]) {
          if (stamp[k] == token) continue;  // seen in another cell already
          stamp[k] = token;
          if (pred(k)) return true;
        }
    return false;
  }
  void add(const Detection& d, int index) {
    int cx0, cy0, cx1, cy1;
    range(d, cx0, cy0, cx1, cy1);
    for (int cy = cy0; cy <= cy1; ++cy)
      for (int cx = cx0; cx <= cx1; ++cx) cells_[cy * kCells + cx].push_back(index);
  }

 private:
  void range(const Detection& d, int& cx0, int& cy0, int& cx1, int& cy1) const {
    auto cell = [](float v) { return std::clamp(int(std::floor(v)), 0, kCells - 1); };
    cx0 = cell((d.x - x0_) * sx_), cx1 = cell((d.x + d.width - x0_) * sx_);
    cy0 = cell((d.y - y0_) * sy_), cy1 = cell((d.y + d.height - y0_) * sy_);
  }
  float x0_, y0_, sx_, sy_;
  std::vector<std::vector<int>> cells_;
};

}  // namespace

std::vector<Detection> nms(std::vector<Detection> candidates, float nms_threshold) {
  std::stable_sort(candidates.begin(), candidates.end(),
                   [](const Detection& a, const Detection& b) { return a.score > b.score; });
  std::vector<Detection> kept;
  if (candidates.empty()) return kept;
  float x0 = candidates[0].x, y0 = candidates[0].y, x1 = x0, y1 = y0;
  for (const Detection& d : candidates) {
    x0 = std::min(x0, d.x), y0 = std::min(y0, d.y);
    x1 = std::max(x1, d.x + d.width), y1 = std::max(y1, d.y + d.height);
  }
  // Greedy: in descending score order, a candidate survives unless a kept box of its class overlaps it by
  // more than the threshold.
  std::map<int, KeptGrid> grids;
  std::vector<int> stamp;  // per kept box: the last candidate (token) it was tested against
  int token = 0;
  for (const Detection& d : candidates) {
    auto it = grids.try_emplace(d.class_id, x0, y0, x1, y1).first;
    ++token;
    bool suppressed = it->second.any_of_near(
        d, [&](int k) { return iou(kept[k], d) > nms_threshold; }, stamp, token);
    if (suppressed) continue;
    it->second.add(d, int(kept.size()));
    kept.push_back(d);
    stamp.push_back(0);
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
