// The backend's own GPU kernels (everything cuDNN does not do), as host-side launchers on a stream.
// Activations live in NHWC with a pixel stride that may exceed the channel count, so a tensor can be a
// channel slice of a wider buffer (route/concat without copies).
#pragma once
#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

#include "lightnet/network.h"
#include "lightnet/results.h"

namespace lightnet::cuda {

enum class DType { F32, F16, I8 };  // I8: symmetric int8 of an INT8 engine, real value = q · scale
inline size_t dtype_size(DType t) { return t == DType::F32 ? 4 : t == DType::F16 ? 2 : 1; }

// An NHWC tensor (or a channel slice of one) in device memory. `data` points at channel 0 of pixel 0 of
// image 0; element (n, y, x, ch) is at data[n*batch_stride + (y*w + x)*pixel_stride + ch].
struct View {
  void* data = nullptr;
  int n = 0, h = 0, w = 0, c = 0;
  int pixel_stride = 0;      // elements between neighbouring pixels (≥ c)
  int64_t batch_stride = 0;  // elements between images
};

// Same layout as lightnet::Detection so results copy straight into host vectors.
struct GpuDetection {
  int class_id;
  float score, x, y, width, height;
};

// Raw uint8 image (1, 3 or 4 channels, BGR or RGB order) → bilinear resize (OpenCV INTER_LINEAR, half-pixel
// centres) → RGB × 1/255 → image `slot` of `dst` (extra channels of dst are written 0; mono is replicated).
void launch_preprocess(const uint8_t* src, int src_w, int src_h, size_t step, int src_channels, bool src_is_bgr,
                       const View& dst, int slot, DType dt, cudaStream_t s);

// Planar NCHW float (batch × c_real × h × w, the forward() input) → NHWC `dst` (channels ≥ c_real zeroed).
void launch_nchw_to_nhwc(const float* src, int c_real, const View& dst, DType dt, cudaStream_t s);

// NHWC `src` → planar NCHW float (the head tensors forward() returns).
void launch_nhwc_to_nchw(const View& src, float* dst, DType dt, cudaStream_t s);

// In place: y = act(y + bias[c]) (bias may be null).
void launch_bias_act(const View& y, const void* bias, Activation act, DType dt, cudaStream_t s);

// dst = src element-wise over n, h, w, c (shapes equal; strides may differ): concat into a slice, slice out.
void launch_copy(const View& src, const View& dst, DType dt, cudaStream_t s);

// Concatenation by channels in one launch: dst channels [offset_k, offset_k + src_k.c) = src_k, for up to
// kMaxConcatInputs inputs (shapes equal but for channels; dst may already hold some inputs: skip those).
// upsample (may be null): per input, an integer nearest-neighbour upsample stride (1 = none) applied on the
// way, the input then being stride times smaller than dst in h and w.
constexpr int kMaxConcatInputs = 8;
void launch_concat(const View* srcs, const int* channel_offsets, const int* upsample, int count, const View& dst,
                   DType dt, cudaStream_t s);

// Nearest-neighbour upsample by an integer stride.
void launch_upsample(const View& src, const View& dst, int stride, DType dt, cudaStream_t s);

// The same between tensors of an INT8 engine, converting on the way: dst = quantize(src · src_scale) where a
// side is I8 (round half to even, saturated to [-128, 127], as everywhere in the engine); scales of F16/F32
// sides are ignored. Same types and scales: a plain copy.
void launch_upsample_convert(const View& src, DType src_dt, float src_scale, const View& dst, DType dst_dt,
                             float dst_scale, int stride, cudaStream_t s);

// darknet maxpool: out = (in + padding - size)/stride + 1, window origin at -padding/2, outside = -inf.
void launch_maxpool(const View& src, const View& dst, int size, int stride_x, int stride_y, int padding, DType dt,
                    cudaStream_t s);

// darknet shortcut: dst = act(a + b) for equal shapes (dst may alias a).
void launch_shortcut(const View& a, const View& b, const View& dst, Activation act, DType dt, cudaStream_t s);

// One [yolo] head: candidates with score ≥ threshold appended per image to out[n*capacity + …]; counts[n] is
// incremented for every candidate (it may end above capacity: those beyond were dropped). One atomic per warp
// and image for all classes, not per candidate or class. The order within an image is not specified.
struct YoloDecodeParams {
  int classes = 0, anchors = 0;      // anchors used by this head (mask size)
  float anchor_wh[2 * 16] = {};      // masked anchors, network-input pixels
  float scale_x_y = 1.f;
  bool new_coords = false;
  int net_w = 0, net_h = 0;
};
constexpr int kMaxAnchorsPerHead = 16;
void launch_yolo_decode(const View& head, const YoloDecodeParams& p, const int2* image_sizes, float score_threshold,
                        GpuDetection* out, int* counts, int capacity, DType dt, cudaStream_t s);

// Class-wise greedy NMS per image on the GPU: of the first min(counts[n], capacity) candidates, the kNmsTopK
// best by descending score (as TensorRT's EfficientNMS takes its top-k; equal scores: the lower index first,
// as std::stable_sort orders them) go through greedy NMS, exactly as lightnet::nms on those candidates in that
// order (IoU > nms_threshold within a class suppresses the lower one). kept[n*kNmsTopK + …] in descending
// score, kept_counts[n] of them. `workspace` holds nms_workspace_bytes(batch) of device memory; capacity ≤
// kMaxCandidates.
constexpr int kMaxCandidates = 32768;  // decode capacity per image
constexpr int kNmsTopK = 1024;
size_t nms_workspace_bytes(int batch);
void launch_nms(const GpuDetection* candidates, const int* counts, int capacity, int batch, float nms_threshold,
                void* workspace, GpuDetection* kept, int* kept_counts, cudaStream_t s);

// Argmax over channels per pixel → class ids (n × h × w bytes).
void launch_argmax(const View& head, uint8_t* out, DType dt, cudaStream_t s);

}  // namespace lightnet::cuda
