// GPU kernels of the CUDA backend. Each launcher dispatches on the element type (float or half).
#include <cuda_fp16.h>

#include <cfloat>
#include <stdexcept>
#include <string>

#include "cuda/cuda_check.h"
#include "cuda/device_math.cuh"
#include "cuda/kernels.h"

namespace lightnet::cuda {
namespace {

constexpr int kThreads = 256;

__device__ __forceinline__ float to_f(float v) { return v; }
__device__ __forceinline__ float to_f(__half v) { return __half2float(v); }
template <class T> __device__ __forceinline__ T from_f(float v);
template <> __device__ __forceinline__ float from_f<float>(float v) { return v; }
template <> __device__ __forceinline__ __half from_f<__half>(float v) { return __float2half_rn(v); }

inline unsigned blocks_for(int64_t n, int threads = kThreads) { return unsigned((n + threads - 1) / threads); }

template <class T>
__device__ __forceinline__ T* at(const View& v, int n, int y, int x) {
  return static_cast<T*>(v.data) + n * v.batch_stride + (int64_t(y) * v.w + x) * v.pixel_stride;
}

// ---------------------------------------------------------------- pre-processing
template <class T>
__global__ void preprocess_kernel(const uint8_t* __restrict__ src, int sw, int sh, size_t step, int sc,
                                  bool bgr, View dst, int slot) {
  int x = blockIdx.x * blockDim.x + threadIdx.x, y = blockIdx.y;
  if (x >= dst.w) return;
  // OpenCV INTER_LINEAR: half-pixel centres, clamped at the borders.
  float fx = (x + 0.5f) * (float(sw) / dst.w) - 0.5f, fy = (y + 0.5f) * (float(sh) / dst.h) - 0.5f;
  int x0 = int(floorf(fx)), y0 = int(floorf(fy));
  float ax = fx - x0, ay = fy - y0;
  if (x0 < 0) { x0 = 0; ax = 0.f; }
  if (y0 < 0) { y0 = 0; ay = 0.f; }
  if (x0 >= sw - 1) { x0 = sw - 1; ax = 0.f; }
  if (y0 >= sh - 1) { y0 = sh - 1; ay = 0.f; }
  int x1 = min(x0 + 1, sw - 1), y1 = min(y0 + 1, sh - 1);
  const uint8_t* r0 = src + size_t(y0) * step;
  const uint8_t* r1 = src + size_t(y1) * step;
  float rgb[3];
  for (int k = 0; k < 3; ++k) {
    int ch = sc == 1 ? 0 : (bgr ? 2 - k : k);
    float top = r0[x0 * sc + ch] * (1.f - ax) + r0[x1 * sc + ch] * ax;
    float bot = r1[x0 * sc + ch] * (1.f - ax) + r1[x1 * sc + ch] * ax;
    rgb[k] = (top * (1.f - ay) + bot * ay) * (1.f / 255.f);
  }
  T* out = at<T>(dst, slot, y, x);
  if (dst.c == 1) {  // a mono network: the grey value as OpenCV computes it from RGB would differ; take the mean
    out[0] = from_f<T>(sc == 1 ? rgb[0] : (rgb[0] + rgb[1] + rgb[2]) * (1.f / 3.f));
    return;
  }
  for (int k = 0; k < dst.c; ++k) out[k] = from_f<T>(k < 3 ? rgb[k] : 0.f);
}

template <class T>
__global__ void nchw_to_nhwc_kernel(const float* __restrict__ src, int c_real, View dst) {
  int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  int64_t total = int64_t(dst.n) * dst.h * dst.w;
  if (i >= total) return;
  int x = int(i % dst.w), y = int((i / dst.w) % dst.h), n = int(i / (int64_t(dst.w) * dst.h));
  int64_t plane = int64_t(dst.h) * dst.w;
  const float* s = src + int64_t(n) * c_real * plane + int64_t(y) * dst.w + x;
  T* out = at<T>(dst, n, y, x);
  for (int k = 0; k < dst.c; ++k) out[k] = from_f<T>(k < c_real ? s[k * plane] : 0.f);
}

template <class T>
__global__ void nhwc_to_nchw_kernel(View src, float* __restrict__ dst) {
  // One thread per output element, output-contiguous (coalesced writes; reads hit L2 rows).
  int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  int64_t plane = int64_t(src.h) * src.w, total = int64_t(src.n) * src.c * plane;
  if (i >= total) return;
  int64_t p = i % plane;
  int c = int((i / plane) % src.c), n = int(i / (plane * src.c));
  dst[i] = to_f(static_cast<const T*>(src.data)[n * src.batch_stride + p * src.pixel_stride + c]);
}

// ---------------------------------------------------------------- element-wise layers
template <class T>
__global__ void bias_act_kernel(View y, const T* __restrict__ bias, Activation act) {
  int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  int64_t pixels = int64_t(y.n) * y.h * y.w;
  if (i >= pixels * y.c) return;
  int c = int(i % y.c);
  int64_t p = i / y.c;
  int64_t hw = int64_t(y.h) * y.w;
  T* v = static_cast<T*>(y.data) + (p / hw) * y.batch_stride + (p % hw) * y.pixel_stride + c;
  float b = bias ? to_f(bias[c]) : 0.f;
  *v = from_f<T>(activate(to_f(*v) + b, act));
}

// Copies whole pixels in units U (16, 8, 4 or 2 bytes); dst pixel (n, y, x) reads src pixel (n, y/up, x/up).
template <class U>
__global__ void copy_pixels_kernel(const char* __restrict__ src, char* __restrict__ dst, int n, int h, int w,
                                   int units, int src_h, int src_w, int64_t src_pix, int64_t src_batch,
                                   int64_t dst_pix, int64_t dst_batch, int up) {
  int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  int64_t total = int64_t(n) * h * w * units;
  if (i >= total) return;
  int u = int(i % units);
  int64_t p = i / units;
  int x = int(p % w), y = int((p / w) % h), b = int(p / (int64_t(w) * h));
  int sx = x / up, sy = y / up;
  const U* s = reinterpret_cast<const U*>(src + b * src_batch + (int64_t(sy) * src_w + sx) * src_pix);
  U* d = reinterpret_cast<U*>(dst + b * dst_batch + (int64_t(y) * w + x) * dst_pix);
  d[u] = s[u];
}

void copy_pixels(const View& src, const View& dst, int up, DType dt, cudaStream_t s) {
  size_t es = dtype_size(dt);
  int64_t row = int64_t(dst.c) * es, sp = int64_t(src.pixel_stride) * es, dp = int64_t(dst.pixel_stride) * es;
  int64_t sb = src.batch_stride * es, db = dst.batch_stride * es;
  auto aligned = [&](int64_t a) {
    return row % a == 0 && sp % a == 0 && dp % a == 0 && sb % a == 0 && db % a == 0 &&
           reinterpret_cast<uintptr_t>(src.data) % a == 0 && reinterpret_cast<uintptr_t>(dst.data) % a == 0;
  };
  int64_t unit = aligned(16) ? 16 : aligned(8) ? 8 : aligned(4) ? 4 : aligned(2) ? 2 : 1;  // 1: int8
  int units = int(row / unit);
  int64_t total = int64_t(dst.n) * dst.h * dst.w * units;
  if (total == 0) return;
  auto* sc = static_cast<const char*>(src.data);
  auto* dc = static_cast<char*>(dst.data);
#define LN_COPY(U)                                                                                          \
  copy_pixels_kernel<U><<<blocks_for(total), kThreads, 0, s>>>(sc, dc, dst.n, dst.h, dst.w, units, src.h, src.w, \
                                                               sp, sb, dp, db, up)
  if (unit == 16) LN_COPY(uint4);
  else if (unit == 8) LN_COPY(uint2);
  else if (unit == 4) LN_COPY(uint32_t);
  else if (unit == 2) LN_COPY(uint16_t);
  else LN_COPY(uint8_t);
#undef LN_COPY
  LN_CUDA_LAUNCH();
}

struct ConcatArgs {
  const char* src[kMaxConcatInputs];
  int64_t src_pix[kMaxConcatInputs], src_batch[kMaxConcatInputs];  // in bytes
  int up[kMaxConcatInputs], src_w[kMaxConcatInputs];               // upsample stride (1 = none), width
  int begin[kMaxConcatInputs + 1];                                  // unit range of each input in a dst pixel
  int count;
};

template <class U>
__global__ void concat_kernel(ConcatArgs a, char* __restrict__ dst, int n, int w, int hw, int64_t dst_pix,
                              int64_t dst_batch, int dst_offset_units) {
  const int units = a.begin[a.count];
  int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= int64_t(n) * hw * units) return;
  int u = int(i % units);
  int64_t p = i / units;
  int b = int(p / hw), px = int(p % hw);
  int k = 0;
  while (u >= a.begin[k + 1]) ++k;
  int sp = px;
  if (a.up[k] > 1) sp = (px / w / a.up[k]) * a.src_w[k] + px % w / a.up[k];
  const U* s = reinterpret_cast<const U*>(a.src[k] + b * a.src_batch[k] + sp * a.src_pix[k]);
  U* d = reinterpret_cast<U*>(dst + b * dst_batch + px * dst_pix);
  d[dst_offset_units + u] = s[u - a.begin[k]];
}

template <class T>
__global__ void maxpool_kernel(View src, View dst, int size, int sx, int sy, int pad) {
  int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  int64_t total = int64_t(dst.n) * dst.h * dst.w * dst.c;
  if (i >= total) return;
  int c = int(i % dst.c);
  int64_t p = i / dst.c;
  int x = int(p % dst.w), y = int((p / dst.w) % dst.h), n = int(p / (int64_t(dst.w) * dst.h));
  int off = -pad / 2;
  float m = -FLT_MAX;
  for (int ky = 0; ky < size; ++ky) {
    int iy = y * sy + off + ky;
    if (iy < 0 || iy >= src.h) continue;
    for (int kx = 0; kx < size; ++kx) {
      int ix = x * sx + off + kx;
      if (ix < 0 || ix >= src.w) continue;
      m = fmaxf(m, to_f(at<T>(src, n, iy, ix)[c]));
    }
  }
  at<T>(dst, n, y, x)[c] = from_f<T>(m);
}

template <class T>
__global__ void shortcut_kernel(View a, View b, View dst, Activation act) {
  int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  int64_t total = int64_t(dst.n) * dst.h * dst.w * dst.c;
  if (i >= total) return;
  int c = int(i % dst.c);
  int64_t p = i / dst.c;
  int x = int(p % dst.w), y = int((p / dst.w) % dst.h), n = int(p / (int64_t(dst.w) * dst.h));
  float v = to_f(at<T>(a, n, y, x)[c]) + to_f(at<T>(b, n, y, x)[c]);
  at<T>(dst, n, y, x)[c] = from_f<T>(activate(v, act));
}

// ---------------------------------------------------------------- post-processing
template <class T>
__global__ void yolo_decode_kernel(View head, YoloDecodeParams p, const int2* __restrict__ sizes, float thr,
                                   GpuDetection* __restrict__ out, int* __restrict__ counts, int capacity) {
  // No early return: every lane takes part in the warp-wide slot allocation below.
  int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  int64_t cells = int64_t(head.h) * head.w;
  bool live = i < int64_t(head.n) * p.anchors * cells;
  int64_t cell = live ? i % cells : 0;
  int a = live ? int((i / cells) % p.anchors) : 0, n = live ? int(i / (cells * p.anchors)) : 0;
  int col = int(cell % head.w), row = int(cell / head.w);
  const T* v = at<T>(head, n, row, col) + a * (5 + p.classes);
  auto act = [&](float x) { return p.new_coords ? x : sigmoid(x); };
  float obj = live ? act(to_f(v[4])) : 0.f;
  live = live && obj >= thr;  // score = obj × class prob ≤ obj
  float bx = 0, by = 0, bw = 0, bh = 0;
  if (live) {
    float half = 0.5f * (p.scale_x_y - 1.f);
    bx = (col + act(to_f(v[0])) * p.scale_x_y - half) / head.w;
    by = (row + act(to_f(v[1])) * p.scale_x_y - half) / head.h;
    float tw = to_f(v[2]), th = to_f(v[3]);
    bw = (p.new_coords ? tw * tw * 4.f : __expf(tw)) * p.anchor_wh[2 * a] / p.net_w;
    bh = (p.new_coords ? th * th * 4.f : __expf(th)) * p.anchor_wh[2 * a + 1] / p.net_h;
  }
  if (!__any_sync(0xffffffffu, live)) return;  // whole warp: nothing to write
  int2 sz = live ? sizes[n] : make_int2(0, 0);
  const unsigned lane = threadIdx.x & 31u;
  for (int k = 0; k < p.classes; ++k) {
    float score = live ? obj * act(to_f(v[5 + k])) : 0.f;
    bool pass = live && score >= thr;
    unsigned peers = __match_any_sync(0xffffffffu, pass ? n : -1);
    int leader = __ffs(peers) - 1;
    int base = 0;
    if (pass && int(lane) == leader) base = atomicAdd(&counts[n], __popc(peers));
    base = __shfl_sync(0xffffffffu, base, leader);
    if (!pass) continue;
    int slot = base + __popc(peers & ((1u << lane) - 1u));
    if (slot >= capacity) continue;
    GpuDetection d;
    d.class_id = k;
    d.score = score;
    d.width = bw * sz.x;
    d.height = bh * sz.y;
    d.x = bx * sz.x - 0.5f * d.width;
    d.y = by * sz.y - 0.5f * d.height;
    out[int64_t(n) * capacity + slot] = d;
  }
}

__device__ __forceinline__ float iou(const float4& a, const float4& b) {  // x, y, w, h
  float x0 = fmaxf(a.x, b.x), y0 = fmaxf(a.y, b.y);
  float x1 = fminf(a.x + a.z, b.x + b.z), y1 = fminf(a.y + a.w, b.y + b.w);
  float inter = fmaxf(0.f, x1 - x0) * fmaxf(0.f, y1 - y0);
  float uni = a.z * a.w + b.z * b.w - inter;
  return uni > 0.f ? inter / uni : 0.f;
}

constexpr int kNmsThreads = 1024;
__global__ void __launch_bounds__(kNmsThreads) nms_kernel(const GpuDetection* __restrict__ cands,
                                                          const int* __restrict__ counts, int capacity, float thr,
                                                          GpuDetection* __restrict__ kept, int* __restrict__ kept_counts) {
  __shared__ float4 box[kNmsTopK];
  __shared__ int cls[kNmsTopK];
  __shared__ float key[kNmsTopK];
  __shared__ short idx[kNmsTopK];
  __shared__ unsigned char removed[kNmsTopK];
  __shared__ int m, n_kept;
  const int img = blockIdx.x;
  const int n = min(counts[img], capacity);
  const GpuDetection* c = cands + int64_t(img) * capacity;
  // 1. The score cut that leaves at most kNmsTopK candidates (bisection over counts).
  float lo = -1.f, hi = 2.f;
  if (n > kNmsTopK) {
    for (int it = 0; it < 20; ++it) {
      float mid = 0.5f * (lo + hi);
      int above = 0;
      for (int base = 0; base < n; base += blockDim.x) {
        int j = base + threadIdx.x;
        above += __syncthreads_count(j < n && c[j].score >= mid);
      }
      if (above > kNmsTopK) lo = mid; else hi = mid;
    }
  } else {
    hi = -1.f;
  }
  // 2. Gather them into shared memory.
  if (threadIdx.x == 0) { m = 0; n_kept = 0; }
  __syncthreads();
  for (int j = threadIdx.x; j < n; j += blockDim.x) {
    GpuDetection d = c[j];
    if (d.score < hi) continue;
    int at = atomicAdd(&m, 1);
    if (at >= kNmsTopK) continue;
    box[at] = make_float4(d.x, d.y, d.width, d.height);
    cls[at] = d.class_id;
    key[at] = d.score;
  }
  __syncthreads();
  const int count = min(m, kNmsTopK);
  int size = 1;
  while (size < count) size <<= 1;
  for (int j = threadIdx.x; j < size; j += blockDim.x) {
    if (j >= count) key[j] = -FLT_MAX;
    idx[j] = short(j);
    removed[j] = 0;
  }
  __syncthreads();
  // 3. Bitonic sort, descending.
  for (int k = 2; k <= size; k <<= 1) {
    for (int j = k >> 1; j > 0; j >>= 1) {
      for (int i = threadIdx.x; i < size; i += blockDim.x) {
        int l = i ^ j;
        if (l > i) {
          bool desc = (i & k) == 0;
          float ki = key[i], kl = key[l];
          if (desc ? ki < kl : ki > kl) {
            key[i] = kl; key[l] = ki;
            short t = idx[i]; idx[i] = idx[l]; idx[l] = t;
          }
        }
      }
      __syncthreads();
    }
  }
  // 4. Greedy suppression; a removed candidate costs no barrier.
  for (int i = 0; i < count; ++i) {
    if (removed[i]) continue;
    const float4 a = box[idx[i]];
    const int ca = cls[idx[i]];
    if (threadIdx.x == 0) {
      GpuDetection d;
      d.class_id = ca; d.score = key[i]; d.x = a.x; d.y = a.y; d.width = a.z; d.height = a.w;
      kept[int64_t(img) * kNmsTopK + n_kept++] = d;
    }
    for (int j = i + 1 + threadIdx.x; j < count; j += blockDim.x)
      if (!removed[j] && cls[idx[j]] == ca && iou(a, box[idx[j]]) > thr) removed[j] = 1;
    __syncthreads();
  }
  if (threadIdx.x == 0) kept_counts[img] = n_kept;
}

template <class T>
__global__ void argmax_kernel(View head, uint8_t* __restrict__ out) {
  int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  int64_t hw = int64_t(head.h) * head.w;
  if (i >= head.n * hw) return;
  const T* v = static_cast<const T*>(head.data) + (i / hw) * head.batch_stride + (i % hw) * head.pixel_stride;
  float best = to_f(v[0]);
  int arg = 0;
  for (int k = 1; k < head.c; ++k) {
    float x = to_f(v[k]);
    if (x > best) { best = x; arg = k; }
  }
  out[i] = uint8_t(arg);
}

}  // namespace

#define LN_DISPATCH(dt, KERNEL, GRID, ...)                                   \
  do {                                                                       \
    if ((dt) == DType::F32) KERNEL<float><<<GRID, kThreads, 0, s>>>(__VA_ARGS__); \
    else KERNEL<__half><<<GRID, kThreads, 0, s>>>(__VA_ARGS__);              \
    LN_CUDA_LAUNCH();                                                        \
  } while (0)

void launch_preprocess(const uint8_t* src, int src_w, int src_h, size_t step, int src_channels, bool src_is_bgr,
                       const View& dst, int slot, DType dt, cudaStream_t s) {
  dim3 grid(blocks_for(dst.w), dst.h);
  LN_DISPATCH(dt, preprocess_kernel, grid, src, src_w, src_h, step, src_channels, src_is_bgr, dst, slot);
}

void launch_nchw_to_nhwc(const float* src, int c_real, const View& dst, DType dt, cudaStream_t s) {
  LN_DISPATCH(dt, nchw_to_nhwc_kernel, blocks_for(int64_t(dst.n) * dst.h * dst.w), src, c_real, dst);
}

void launch_nhwc_to_nchw(const View& src, float* dst, DType dt, cudaStream_t s) {
  LN_DISPATCH(dt, nhwc_to_nchw_kernel, blocks_for(int64_t(src.n) * src.c * src.h * src.w), src, dst);
}

void launch_bias_act(const View& y, const void* bias, Activation act, DType dt, cudaStream_t s) {
  int64_t total = int64_t(y.n) * y.h * y.w * y.c;
  if (dt == DType::F32)
    bias_act_kernel<float><<<blocks_for(total), kThreads, 0, s>>>(y, static_cast<const float*>(bias), act);
  else
    bias_act_kernel<__half><<<blocks_for(total), kThreads, 0, s>>>(y, static_cast<const __half*>(bias), act);
  LN_CUDA_LAUNCH();
}

void launch_copy(const View& src, const View& dst, DType dt, cudaStream_t s) { copy_pixels(src, dst, 1, dt, s); }

void launch_concat(const View* srcs, const int* offsets, const int* upsample, int count, const View& dst, DType dt,
                   cudaStream_t s) {
  if (count < 1) return;
  auto up = [&](int k) { return upsample ? upsample[k] : 1; };
  if (count > kMaxConcatInputs) {  // rare: copy one by one
    for (int k = 0; k < count; ++k) {
      View d = dst;
      d.c = srcs[k].c;
      d.data = static_cast<char*>(dst.data) + size_t(offsets[k]) * dtype_size(dt);
      copy_pixels(srcs[k], d, up(k), dt, s);
    }
    return;
  }
  const int64_t es = int64_t(dtype_size(dt));
  // The inputs must be contiguous in dst for one unit range; the widest unit every offset and stride allows.
  auto fits = [&](int64_t unit) {
    if ((dst.pixel_stride * es) % unit || (dst.batch_stride * es) % unit ||
        reinterpret_cast<uintptr_t>(dst.data) % unit || (offsets[0] * es) % unit)
      return false;
    for (int k = 0; k < count; ++k) {
      const View& v = srcs[k];
      if ((v.c * es) % unit || (v.pixel_stride * es) % unit || (v.batch_stride * es) % unit ||
          reinterpret_cast<uintptr_t>(v.data) % unit || (k > 0 && offsets[k] != offsets[k - 1] + srcs[k - 1].c))
        return false;
    }
    return true;
  };
  bool contiguous = true;
  for (int k = 1; k < count; ++k) contiguous = contiguous && offsets[k] == offsets[k - 1] + srcs[k - 1].c;
  if (!contiguous) {
    for (int k = 0; k < count; ++k)
      launch_concat(srcs + k, offsets + k, upsample ? upsample + k : nullptr, 1, dst, dt, s);
    return;
  }
  const int64_t unit = fits(16) ? 16 : fits(8) ? 8 : fits(4) ? 4 : es;
  ConcatArgs a{};
  a.count = count;
  a.begin[0] = 0;
  for (int k = 0; k < count; ++k) {
    a.src[k] = static_cast<const char*>(srcs[k].data);
    a.src_pix[k] = srcs[k].pixel_stride * es;
    a.src_batch[k] = srcs[k].batch_stride * es;
    a.up[k] = up(k);
    a.src_w[k] = srcs[k].w;
    a.begin[k + 1] = a.begin[k] + int(srcs[k].c * es / unit);
  }
  const int hw = dst.h * dst.w;
  const int64_t total = int64_t(dst.n) * hw * a.begin[count];
  if (total == 0) return;
  char* d = static_cast<char*>(dst.data);
  const int64_t dp = dst.pixel_stride * es, db = dst.batch_stride * es;
  const int off = int(offsets[0] * es / unit);
  if (unit == 16) concat_kernel<uint4><<<blocks_for(total), kThreads, 0, s>>>(a, d, dst.n, dst.w, hw, dp, db, off);
  else if (unit == 8) concat_kernel<uint2><<<blocks_for(total), kThreads, 0, s>>>(a, d, dst.n, dst.w, hw, dp, db, off);
  else if (unit == 4) concat_kernel<uint32_t><<<blocks_for(total), kThreads, 0, s>>>(a, d, dst.n, dst.w, hw, dp, db, off);
  else concat_kernel<uint16_t><<<blocks_for(total), kThreads, 0, s>>>(a, d, dst.n, dst.w, hw, dp, db, off);
  LN_CUDA_LAUNCH();
}

void launch_upsample(const View& src, const View& dst, int stride, DType dt, cudaStream_t s) {
  copy_pixels(src, dst, stride, dt, s);
}

namespace {
__device__ __forceinline__ float load_real(const void* p, int64_t i, DType t, float scale) {
  if (t == DType::I8) return float(static_cast<const int8_t*>(p)[i]) * scale;
  if (t == DType::F16) return __half2float(static_cast<const __half*>(p)[i]);
  return static_cast<const float*>(p)[i];
}
__device__ __forceinline__ void store_real(void* p, int64_t i, DType t, float inv_scale, float v) {
  if (t == DType::I8) static_cast<int8_t*>(p)[i] = int8_t(max(-128, min(127, __float2int_rn(v * inv_scale))));
  else if (t == DType::F16) static_cast<__half*>(p)[i] = __float2half_rn(v);
  else static_cast<float*>(p)[i] = v;
}
__global__ void upsample_convert_kernel(View src, DType st, float s_scale, View dst, DType dt, float inv_d_scale,
                                        int up) {
  const int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= int64_t(dst.n) * dst.h * dst.w * dst.c) return;
  const int c = int(i % dst.c);
  const int64_t p = i / dst.c;
  const int x = int(p % dst.w), y = int((p / dst.w) % dst.h), b = int(p / (int64_t(dst.w) * dst.h));
  const int64_t from = b * src.batch_stride + (int64_t(y / up) * src.w + x / up) * src.pixel_stride + c;
  const int64_t to = b * dst.batch_stride + (int64_t(y) * dst.w + x) * dst.pixel_stride + c;
  store_real(dst.data, to, dt, inv_d_scale, load_real(src.data, from, st, s_scale));
}
}  // namespace

void launch_upsample_convert(const View& src, DType src_dt, float src_scale, const View& dst, DType dst_dt,
                             float dst_scale, int stride, cudaStream_t s) {
  const bool same = src_dt == dst_dt && (src_dt != DType::I8 || src_scale == dst_scale);
  if (same) return copy_pixels(src, dst, stride, src_dt, s);
  const int64_t total = int64_t(dst.n) * dst.h * dst.w * dst.c;
  if (total == 0) return;
  upsample_convert_kernel<<<blocks_for(total), kThreads, 0, s>>>(src, src_dt, src_scale, dst, dst_dt,
                                                                 dst_dt == DType::I8 ? 1.f / dst_scale : 1.f, stride);
  LN_CUDA_LAUNCH();
}

void launch_maxpool(const View& src, const View& dst, int size, int stride_x, int stride_y, int padding, DType dt,
                    cudaStream_t s) {
  LN_DISPATCH(dt, maxpool_kernel, blocks_for(int64_t(dst.n) * dst.h * dst.w * dst.c), src, dst, size, stride_x,
              stride_y, padding);
}

void launch_shortcut(const View& a, const View& b, const View& dst, Activation act, DType dt, cudaStream_t s) {
  LN_DISPATCH(dt, shortcut_kernel, blocks_for(int64_t(dst.n) * dst.h * dst.w * dst.c), a, b, dst, act);
}

void launch_yolo_decode(const View& head, const YoloDecodeParams& p, const int2* image_sizes, float score_threshold,
                        GpuDetection* out, int* counts, int capacity, DType dt, cudaStream_t s) {
  LN_DISPATCH(dt, yolo_decode_kernel, blocks_for(int64_t(head.n) * p.anchors * head.h * head.w), head, p,
              image_sizes, score_threshold, out, counts, capacity);
}

void launch_nms(const GpuDetection* candidates, const int* counts, int capacity, int batch, float nms_threshold,
                GpuDetection* kept, int* kept_counts, cudaStream_t s) {
  nms_kernel<<<batch, kNmsThreads, 0, s>>>(candidates, counts, capacity, nms_threshold, kept, kept_counts);
  LN_CUDA_LAUNCH();
}

void launch_argmax(const View& head, uint8_t* out, DType dt, cudaStream_t s) {
  LN_DISPATCH(dt, argmax_kernel, blocks_for(int64_t(head.n) * head.h * head.w), head, out);
}

}  // namespace lightnet::cuda
