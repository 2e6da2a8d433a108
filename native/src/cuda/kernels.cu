// GPU kernels of the CUDA backend. Each launcher dispatches on the element type (float or half).
#include <cuda_fp16.h>

#include <cub/block/block_scan.cuh>

#include <atomic>
#include <cfloat>
#include <stdexcept>
#include <string>

#include "cuda/cuda_check.h"
#include "cuda/device_math.cuh"
#include "cuda/kernels.h"
#include "cuda/launch.h"

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
  wait_for_predecessor();  // launched programmatically (launch.h)
  allow_successor();
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
  wait_for_predecessor();  // launched programmatically (launch.h)
  allow_successor();
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
  launch_programmatic(copy_pixels_kernel<U>, blocks_for(total), kThreads, 0, s, sc, dc, dst.n, dst.h, dst.w, units, \
                      src.h, src.w, sp, sb, dp, db, up)
  if (unit == 16) LN_COPY(uint4);
  else if (unit == 8) LN_COPY(uint2);
  else if (unit == 4) LN_COPY(uint32_t);
  else if (unit == 2) LN_COPY(uint16_t);
  else LN_COPY(uint8_t);
#undef LN_COPY
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
  wait_for_predecessor();  // launched programmatically (launch.h)
  allow_successor();
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
  wait_for_predecessor();  // launched programmatically (launch.h)
  allow_successor();
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
  wait_for_predecessor();  // launched programmatically (launch.h)
  allow_successor();
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
  // Lanes leave only all together or after the warp-wide slot allocation below, in which every lane takes part.
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
  if (!__any_sync(0xffffffffu, live)) return;  // whole warp: nothing to write
  // Slots: with random weights a quarter of a million candidates pass, and every atomic on counts[n] is
  // serialized at one L2 address, so the warp reserves all its candidates (every class) with one atomic per
  // image: the lanes' counts are prefix-summed across the warp first.
  int mine = 0;
  for (int k = 0; k < p.classes && live; ++k) mine += obj * act(to_f(v[5 + k])) >= thr;
  const unsigned lane = threadIdx.x & 31u;
  int incl = mine;  // inclusive prefix over the lanes
  for (int d = 1; d < 32; d <<= 1) {
    int up = __shfl_up_sync(0xffffffffu, incl, d);
    if (int(lane) >= d) incl += up;
  }
  // Lanes with candidates, grouped by image. A group spans lanes first…last (n grows with the lane); lanes of
  // no group in between have mine = 0, so the prefix difference is the group's own total.
  const unsigned peers = __match_any_sync(0xffffffffu, mine > 0 ? n : -1);
  const int first = __ffs(peers) - 1, last = 31 - __clz(peers);
  const int before_group = __shfl_sync(0xffffffffu, incl - mine, first);
  const int group_total = __shfl_sync(0xffffffffu, incl, last) - before_group;
  int base = 0;
  if (int(lane) == first && mine > 0) base = atomicAdd(&counts[n], group_total);
  base = __shfl_sync(0xffffffffu, base, first);
  if (mine == 0) return;
  int slot = base + incl - mine - before_group;
  if (slot >= capacity) return;  // counted (the host reports the overflow), not stored
  const int2 sz = sizes[n];
  const float half = 0.5f * (p.scale_x_y - 1.f);
  const float bx = (col + act(to_f(v[0])) * p.scale_x_y - half) / head.w;
  const float by = (row + act(to_f(v[1])) * p.scale_x_y - half) / head.h;
  const float tw = to_f(v[2]), th = to_f(v[3]);
  const float bw = (p.new_coords ? tw * tw * 4.f : __expf(tw)) * p.anchor_wh[2 * a] / p.net_w;
  const float bh = (p.new_coords ? th * th * 4.f : __expf(th)) * p.anchor_wh[2 * a + 1] / p.net_h;
  GpuDetection d;
  d.width = bw * sz.x;
  d.height = bh * sz.y;
  d.x = bx * sz.x - 0.5f * d.width;
  d.y = by * sz.y - 0.5f * d.height;
  GpuDetection* dst = out + int64_t(n) * capacity;
  const int end = min(slot + mine, capacity);  // never past the slots this lane reserved
  for (int k = 0; k < p.classes && slot < end; ++k) {
    const float score = obj * act(to_f(v[5 + k]));
    if (!(score >= thr)) continue;
    d.class_id = k;
    d.score = score;
    dst[slot++] = d;
  }
}

// NMS, in four kernels (the layout of TensorRT's EfficientNMS and torchvision's CUDA NMS):
//   0. nms_keys_kernel, many blocks: the scores as contiguous sort keys;
//   1. nms_select_kernel, one block per image: the kNmsTopK best candidates by (score desc, index asc), found
//      by a radix select over the scores held in registers, then sorted in shared memory;
//   2. nms_mask_kernel, one block per 64×64 tile of the upper triangle: bit j of mask[i][w] says that sorted
//      candidate i (the higher score) suppresses candidate 64w + j (same class, IoU above the threshold);
//   3. nms_walk_kernel, one warp per image: greedy walk over the sorted list with the removed bits in
//      registers; no block-wide barrier per kept box (what made the single-block NMS slow).
constexpr int kSelectThreads = 512;
constexpr int kKeysPerThread = kMaxCandidates / kSelectThreads;  // candidate r*kSelectThreads + tid in key[r]
constexpr int kNmsWords = kNmsTopK / 64;                         // 64-bit mask words per sorted row
static_assert(kMaxCandidates % kSelectThreads == 0 && kKeysPerThread <= 64 &&
                  kKeysPerThread * (kSelectThreads / 32) % kSelectThreads == 0,
              "one 64-bit 'take' mask per thread; the tie counts split evenly over the threads");
static_assert(kNmsTopK % 64 == 0 && kNmsWords <= 16, "the walk keeps one mask word per half-warp lane");

struct NmsScratch {
  uint32_t* keys;            // [batch][kMaxCandidates]: score_key of each candidate
  unsigned long long* mask;  // [batch][kNmsTopK][kNmsWords]; only the upper triangle is written
  GpuDetection* sorted;      // [batch][kNmsTopK]: the selected candidates, best first
  int* count;                // [batch]: how many were selected, min(candidates, kNmsTopK)
};

NmsScratch nms_scratch(void* workspace, int batch) {
  char* p = static_cast<char*>(workspace);
  NmsScratch s;
  s.keys = reinterpret_cast<uint32_t*>(p);
  p += sizeof(uint32_t) * kMaxCandidates * batch;
  s.mask = reinterpret_cast<unsigned long long*>(p);
  p += sizeof(unsigned long long) * kNmsTopK * kNmsWords * batch;
  s.sorted = reinterpret_cast<GpuDetection*>(p);
  p += sizeof(GpuDetection) * kNmsTopK * batch;
  s.count = reinterpret_cast<int*>(p);
  return s;
}

__device__ __forceinline__ unsigned warp_min(unsigned v) {
#if __CUDA_ARCH__ >= 800
  return __reduce_min_sync(0xffffffffu, v);
#else
  for (int d = 16; d > 0; d >>= 1) v = min(v, __shfl_xor_sync(0xffffffffu, v, d));
  return v;
#endif
}
__device__ __forceinline__ unsigned warp_max(unsigned v) {
#if __CUDA_ARCH__ >= 800
  return __reduce_max_sync(0xffffffffu, v);
#else
  for (int d = 16; d > 0; d >>= 1) v = max(v, __shfl_xor_sync(0xffffffffu, v, d));
  return v;
#endif
}

// A score as an unsigned key of the same order (-0 ties with +0, as the host's comparison has it); 0 is
// reserved for "no candidate" (only NaN bit patterns would map there).
__device__ __forceinline__ uint32_t score_key(float score) {
  uint32_t b = __float_as_uint(score);
  if (b == 0x80000000u) b = 0;
  const uint32_t k = (b & 0x80000000u) ? ~b : (b | 0x80000000u);
  return max(k, 1u);
}

// The candidates' scores as contiguous keys, over many blocks: one block reading the scores out of the candidate
// array itself would pull a whole 32-byte sector per 4-byte score (about 0.8 MB per image) through one SM.
__global__ void nms_keys_kernel(const GpuDetection* __restrict__ cands, const int* __restrict__ counts, int capacity,
                                NmsScratch ws) {
  const int img = blockIdx.y, j = blockIdx.x * blockDim.x + threadIdx.x;
  if (j < min(counts[img], capacity))
    ws.keys[int64_t(img) * kMaxCandidates + j] = score_key(cands[int64_t(img) * capacity + j].score);
}

__global__ void __launch_bounds__(kSelectThreads) nms_select_kernel(const GpuDetection* __restrict__ cands,
                                                                    const int* __restrict__ counts, int capacity,
                                                                    NmsScratch ws) {
  constexpr int kWarps = kSelectThreads / 32;
  using Scan = cub::BlockScan<int, kSelectThreads>;
  __shared__ typename Scan::TempStorage scan_tmp;
  __shared__ int hist[256];
  __shared__ int tie_rank[kKeysPerThread * kWarps];  // per (round, warp): keys equal to the cut, then their prefix
  __shared__ unsigned long long order[kNmsTopK];
  __shared__ unsigned red_min[kWarps], red_max[kWarps];
  __shared__ int pick_bin, pick_above, pick_equal;
  const int img = blockIdx.x, tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
  const int n = max(0, min(counts[img], capacity));
  const int k = min(n, kNmsTopK);
  const GpuDetection* c = cands + int64_t(img) * capacity;

  // Every key is read once (coalesced) and stays in registers for all the passes below.
  const uint32_t* keys = ws.keys + int64_t(img) * kMaxCandidates;
  uint32_t key[kKeysPerThread];
#pragma unroll
  for (int r = 0; r < kKeysPerThread; ++r) {
    const int j = r * kSelectThreads + tid;
    key[r] = j < n ? keys[j] : 0u;
  }
  uint64_t take = 0;  // bit r: candidate r*kSelectThreads + tid is among the best k
  if (n <= kNmsTopK) {
#pragma unroll
    for (int r = 0; r < kKeysPerThread; ++r) take |= uint64_t(key[r] != 0) << r;
  } else {
    // The k-th best key `cut` by a radix select, 8 bits a pass, over the bits that tell the keys apart (with
    // scores in [0.25, 1): 24 bits, 3 passes). `above` counts the keys known to be better than the range
    // [base, base + 2^width) that still holds the cut.
    unsigned lo = ~0u, hi = 0u;
#pragma unroll
    for (int r = 0; r < kKeysPerThread; ++r)
      if (key[r]) lo = min(lo, key[r]), hi = max(hi, key[r]);
    lo = warp_min(lo);
    hi = warp_max(hi);
    if (lane == 0) red_min[warp] = lo, red_max[warp] = hi;
    __syncthreads();
    lo = warp_min(lane < kWarps ? red_min[lane] : ~0u);
    hi = warp_max(lane < kWarps ? red_max[lane] : 0u);
    uint32_t base = lo;
    int width = hi == lo ? 0 : 8 * ((32 - __clz(int(hi - lo)) + 7) / 8);
    int above = 0, equal = n;
    while (width > 0) {
      const int shift = width - 8;
      if (tid < 256) hist[tid] = 0;
      __syncthreads();
#pragma unroll
      for (int r = 0; r < kKeysPerThread; ++r) {
        const uint32_t bin = (key[r] - base) >> shift;
        if (key[r] >= base && bin < 256u) atomicAdd(&hist[bin], 1);
      }
      __syncthreads();
      if (warp == 0) {
        // Bins from the best down (lane L: bins 255 - 8L … 248 - 8L): the one where the running count reaches
        // the keys still needed.
        const int need = k - above;
        int v[8], sum = 0;
#pragma unroll
        for (int q = 0; q < 8; ++q) sum += v[q] = hist[255 - 8 * lane - q];
        int incl = sum;
        for (int d = 1; d < 32; d <<= 1) {
          const int up = __shfl_up_sync(0xffffffffu, incl, d);
          if (lane >= d) incl += up;
        }
        int run = incl - sum;
        if (run < need && incl >= need) {
#pragma unroll
          for (int q = 0; q < 8; ++q) {
            if (run < need && run + v[q] >= need) pick_bin = 255 - 8 * lane - q, pick_above = run, pick_equal = v[q];
            run += v[q];
          }
        }
      }
      __syncthreads();
      above += pick_above;
      equal = pick_equal;
      base += uint32_t(pick_bin) << shift;
      width -= 8;
    }
    const uint32_t cut = base;
    const int need = k - above;  // of the `equal` keys at the cut, 1 ≤ need ≤ equal are taken
#pragma unroll
    for (int r = 0; r < kKeysPerThread; ++r)
      take |= uint64_t(key[r] > cut || (key[r] == cut && equal == need)) << r;
    if (equal > need) {
      // Ties at the cut: the lowest indices win, as std::stable_sort orders them on the host. Index order is
      // (round r, warp, lane): count per (round, warp), prefix-sum those, then rank within the warp.
#pragma unroll
      for (int r = 0; r < kKeysPerThread; ++r) {
        const unsigned eq = __ballot_sync(0xffffffffu, key[r] == cut);
        if (lane == 0) tie_rank[r * kWarps + warp] = __popc(eq);
      }
      __syncthreads();
      constexpr int kPer = kKeysPerThread * kWarps / kSelectThreads;  // entries per thread, consecutive
      int counts_in[kPer], before[kPer];
#pragma unroll
      for (int q = 0; q < kPer; ++q) counts_in[q] = tie_rank[tid * kPer + q];
      Scan(scan_tmp).ExclusiveSum(counts_in, before);
      __syncthreads();
#pragma unroll
      for (int q = 0; q < kPer; ++q) tie_rank[tid * kPer + q] = before[q];
      __syncthreads();
#pragma unroll
      for (int r = 0; r < kKeysPerThread; ++r) {
        const unsigned eq = __ballot_sync(0xffffffffu, key[r] == cut);
        const int rank = tie_rank[r * kWarps + warp] + __popc(eq & ((1u << lane) - 1u));
        take |= uint64_t(key[r] == cut && rank < need) << r;
      }
    }
  }
  // Exactly k taken: into shared memory as (key, ~index) so that one descending sort puts the best score first
  // and, among equal scores, the lower index first.
  int pos;
  Scan(scan_tmp).ExclusiveSum(__popcll(take), pos);
#pragma unroll
  for (int r = 0; r < kKeysPerThread; ++r)
    if (take >> r & 1u)
      order[pos++] = (uint64_t(key[r]) << 32) | (0xffffffffu - uint32_t(r * kSelectThreads + tid));
  int size = 1;
  while (size < k) size <<= 1;
  for (int i = k + tid; i < size; i += kSelectThreads) order[i] = 0;  // padding sorts last
  __syncthreads();
  // Bitonic sort, descending: size/2 compare-exchanges a step. The keys are distinct: one order, every run.
  for (int span = 2; span <= size; span <<= 1) {
    for (int j = span >> 1; j > 0; j >>= 1) {
      for (int p = tid; p < size / 2; p += kSelectThreads) {
        const int i = ((p & ~(j - 1)) << 1) | (p & (j - 1)), l = i + j;  // pair p of this step (j: power of 2)
        const unsigned long long a = order[i], b = order[l];
        if (((i & span) == 0) == (a < b)) order[i] = b, order[l] = a;
      }
      __syncthreads();
    }
  }
  for (int i = tid; i < k; i += kSelectThreads)
    ws.sorted[img * kNmsTopK + i] = c[0xffffffffu - uint32_t(order[i])];
  if (tid == 0) ws.count[img] = k;
}

// IoU > threshold exactly as lightnet::nms decides it on the host: every operation rounded on its own (no
// fused multiply-add, IEEE division even under --use_fast_math), so both keep the same boxes. a is the
// higher-scored box; x1/y1 are x + width, y + height.
struct NmsBox {
  float x0, y0, x1, y1, area;
  int cls;
};
__device__ __forceinline__ NmsBox nms_box(const GpuDetection& d) {
  return {d.x, d.y, __fadd_rn(d.x, d.width), __fadd_rn(d.y, d.height), __fmul_rn(d.width, d.height), d.class_id};
}
__device__ __forceinline__ bool suppresses(const NmsBox& a, const NmsBox& b, float thr) {
  const float iw = fmaxf(0.f, __fsub_rn(fminf(a.x1, b.x1), fmaxf(a.x0, b.x0)));
  const float ih = fmaxf(0.f, __fsub_rn(fminf(a.y1, b.y1), fmaxf(a.y0, b.y0)));
  const float inter = __fmul_rn(iw, ih);
  const float uni = __fsub_rn(__fadd_rn(a.area, b.area), inter);
  return (uni > 0.f ? __fdiv_rn(inter, uni) : 0.f) > thr;
}

// grid (kNmsWords, kNmsWords, batch), 64 threads: thread t of block (x, y) writes mask[64y + t][x].
__global__ void __launch_bounds__(64) nms_mask_kernel(NmsScratch ws, float thr) {
  const int img = blockIdx.z, row_tile = blockIdx.y, col_tile = blockIdx.x, t = threadIdx.x;
  if (col_tile < row_tile) return;  // a row is only ever tested against later (lower-scored) rows
  const int n = ws.count[img];
  const int col0 = col_tile * 64, row = row_tile * 64 + t;
  if (col0 >= n) return;
  const GpuDetection* sorted = ws.sorted + img * kNmsTopK;
  __shared__ NmsBox cols[64];
  const int n_cols = min(64, n - col0);
  if (t < n_cols) cols[t] = nms_box(sorted[col0 + t]);
  __syncthreads();
  if (row >= n) return;
  const NmsBox a = nms_box(sorted[row]);
  unsigned long long bits = 0;
  for (int j = col_tile == row_tile ? t + 1 : 0; j < n_cols; ++j)
    if (cols[j].cls == a.cls && suppresses(a, cols[j], thr)) bits |= 1ull << j;
  ws.mask[(int64_t(img) * kNmsTopK + row) * kNmsWords + col_tile] = bits;
}

// One warp per image. Word w of the sorted list (rows 64w … 64w + 63) is settled in registers: its removed bits
// (from kept rows of earlier words) come from lane w; row b, if still not removed, is kept and ORs in its own
// word. Then lane l (and l + 16) ORs the kept rows' mask words for word l > w, half the rows each. The next
// word's own mask words and boxes, and this word's words for later words, load while this one is settled.
__global__ void __launch_bounds__(32) nms_walk_kernel(NmsScratch ws, GpuDetection* __restrict__ kept,
                                                      int* __restrict__ kept_counts) {
  const int img = blockIdx.x, lane = threadIdx.x;
  const int n = ws.count[img], words = (n + 63) / 64;
  const unsigned long long* mask = ws.mask + int64_t(img) * kNmsTopK * kNmsWords;
  const GpuDetection* sorted = ws.sorted + img * kNmsTopK;
  GpuDetection* out = kept + img * kNmsTopK;
  // This word's rows `lane` and `lane + 32`: their mask words against the word itself, and their boxes.
  auto load = [&](int w, unsigned long long& d_lo, unsigned long long& d_hi, GpuDetection& b_lo,
                  GpuDetection& b_hi) {
    const int r_lo = 64 * w + lane, r_hi = r_lo + 32;
    d_lo = r_lo < n ? mask[r_lo * kNmsWords + w] : 0ull;
    d_hi = r_hi < n ? mask[r_hi * kNmsWords + w] : 0ull;
    if (r_lo < n) b_lo = sorted[r_lo];
    if (r_hi < n) b_hi = sorted[r_hi];
  };
  unsigned long long removed = 0;  // lanes l and l + 16: removed bits of word l & 15
  unsigned long long d_lo = 0, d_hi = 0;
  GpuDetection b_lo{}, b_hi{};
  if (words > 0) load(0, d_lo, d_hi, b_lo, b_hi);
  int n_kept = 0;
  for (int w = 0; w < words; ++w) {
    unsigned long long nd_lo = 0, nd_hi = 0;
    GpuDetection nb_lo{}, nb_hi{};
    if (w + 1 < words) load(w + 1, nd_lo, nd_hi, nb_lo, nb_hi);
    // Lane l (and l + 16) will OR the kept rows' words for word l > w: loaded before the rows are settled,
    // so that the loads overlap the serial part below. Half the rows each.
    const int l = lane & 15, half = lane >> 4;
    const bool later = l > w && l < words;
    const int row_base = 64 * w + 32 * half;
    unsigned long long off[32];
#pragma unroll
    for (int b = 0; b < 32; ++b) off[b] = later && row_base + b < n ? mask[(row_base + b) * kNmsWords + l] : 0ull;
    const int rows = min(64, n - 64 * w);
    unsigned long long r = __shfl_sync(0xffffffffu, removed, w);
#pragma unroll
    for (int b = 0; b < 32; ++b) {
      const unsigned long long d = __shfl_sync(0xffffffffu, d_lo, b);
      if (!(r >> b & 1ull)) r |= d;
    }
#pragma unroll
    for (int b = 0; b < 32; ++b) {
      const unsigned long long d = __shfl_sync(0xffffffffu, d_hi, b);
      if (!(r >> (32 + b) & 1ull)) r |= d;
    }
    const unsigned long long keep = ~r & (rows == 64 ? ~0ull : (1ull << rows) - 1ull);
    // Kept boxes in descending score.
    if (keep >> lane & 1ull) out[n_kept + __popcll(keep & ((1ull << lane) - 1ull))] = b_lo;
    if (keep >> (lane + 32) & 1ull) out[n_kept + __popcll(keep & ((1ull << (lane + 32)) - 1ull))] = b_hi;
    n_kept += __popcll(keep);
    const unsigned rows_kept = unsigned(keep >> (32 * half));
#pragma unroll
    for (int b = 0; b < 32; ++b)
      if (rows_kept >> b & 1u) removed |= off[b];
    removed |= __shfl_xor_sync(0xffffffffu, removed, 16);
    d_lo = nd_lo, d_hi = nd_hi, b_lo = nb_lo, b_hi = nb_hi;
  }
  if (lane == 0) kept_counts[img] = n_kept;
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

int current_device_major() {
  int dev = 0, major = 0;
  if (cudaGetDevice(&dev) != cudaSuccess || cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, dev) != cudaSuccess) {
    cudaGetLastError();
    return 0;
  }
  return major;
}

bool programmatic_launch_supported() {
  constexpr int kDevices = 64;
  static std::atomic<signed char> known[kDevices] = {};  // 0 not asked yet, 1 no, 2 yes
  int dev = 0, major = 0;
  if (cudaGetDevice(&dev) != cudaSuccess) { cudaGetLastError(); return false; }
  if (dev < kDevices && known[dev] != 0) return known[dev] == 2;
  if (cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, dev) != cudaSuccess) {
    cudaGetLastError();
    return false;
  }
  if (dev < kDevices) known[dev] = major >= 9 ? 2 : 1;
  return major >= 9;
}

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
    launch_programmatic(bias_act_kernel<float>, blocks_for(total), kThreads, 0, s, y, static_cast<const float*>(bias), act);
  else
    launch_programmatic(bias_act_kernel<__half>, blocks_for(total), kThreads, 0, s, y, static_cast<const __half*>(bias), act);
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
  auto concat = [&](auto kernel) { launch_programmatic(kernel, blocks_for(total), kThreads, 0, s, a, d, dst.n, dst.w, hw, dp, db, off); };
  if (unit == 16) concat(concat_kernel<uint4>);
  else if (unit == 8) concat(concat_kernel<uint2>);
  else if (unit == 4) concat(concat_kernel<uint32_t>);
  else concat(concat_kernel<uint16_t>);
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
  wait_for_predecessor();  // launched programmatically (launch.h)
  allow_successor();
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
  launch_programmatic(upsample_convert_kernel, blocks_for(total), kThreads, 0, s, src, src_dt, src_scale, dst, dst_dt,
                      dst_dt == DType::I8 ? 1.f / dst_scale : 1.f, stride);
}

void launch_maxpool(const View& src, const View& dst, int size, int stride_x, int stride_y, int padding, DType dt,
                    cudaStream_t s) {
  const unsigned grid = blocks_for(int64_t(dst.n) * dst.h * dst.w * dst.c);
  if (dt == DType::F32) launch_programmatic(maxpool_kernel<float>, grid, kThreads, 0, s, src, dst, size, stride_x, stride_y, padding);
  else launch_programmatic(maxpool_kernel<__half>, grid, kThreads, 0, s, src, dst, size, stride_x, stride_y, padding);
}

void launch_shortcut(const View& a, const View& b, const View& dst, Activation act, DType dt, cudaStream_t s) {
  const unsigned grid = blocks_for(int64_t(dst.n) * dst.h * dst.w * dst.c);
  if (dt == DType::F32) launch_programmatic(shortcut_kernel<float>, grid, kThreads, 0, s, a, b, dst, act);
  else launch_programmatic(shortcut_kernel<__half>, grid, kThreads, 0, s, a, b, dst, act);
}

void launch_yolo_decode(const View& head, const YoloDecodeParams& p, const int2* image_sizes, float score_threshold,
                        GpuDetection* out, int* counts, int capacity, DType dt, cudaStream_t s) {
  LN_DISPATCH(dt, yolo_decode_kernel, blocks_for(int64_t(head.n) * p.anchors * head.h * head.w), head, p,
              image_sizes, score_threshold, out, counts, capacity);
}

size_t nms_workspace_bytes(int batch) {
  return size_t(batch) * (sizeof(uint32_t) * kMaxCandidates + sizeof(unsigned long long) * kNmsTopK * kNmsWords +
                          sizeof(GpuDetection) * kNmsTopK + sizeof(int));
}

void launch_nms(const GpuDetection* candidates, const int* counts, int capacity, int batch, float nms_threshold,
                void* workspace, GpuDetection* kept, int* kept_counts, cudaStream_t s) {
  if (capacity < 0 || capacity > kMaxCandidates)
    throw std::invalid_argument("launch_nms: capacity " + std::to_string(capacity) + ", expected 0.." +
                                std::to_string(kMaxCandidates) + " (the scores of one image are held in registers)");
  if (batch < 1) return;
  const NmsScratch ws = nms_scratch(workspace, batch);
  if (capacity > 0) {
    nms_keys_kernel<<<dim3(blocks_for(capacity), batch), kThreads, 0, s>>>(candidates, counts, capacity, ws);
    LN_CUDA_LAUNCH();
  }
  nms_select_kernel<<<batch, kSelectThreads, 0, s>>>(candidates, counts, capacity, ws);
  LN_CUDA_LAUNCH();
  nms_mask_kernel<<<dim3(kNmsWords, kNmsWords, batch), 64, 0, s>>>(ws, nms_threshold);
  LN_CUDA_LAUNCH();
  nms_walk_kernel<<<batch, 32, 0, s>>>(ws, kept, kept_counts);
  LN_CUDA_LAUNCH();
}

void launch_argmax(const View& head, uint8_t* out, DType dt, cudaStream_t s) {
  LN_DISPATCH(dt, argmax_kernel, blocks_for(int64_t(head.n) * head.h * head.w), head, out);
}

}  // namespace lightnet::cuda
