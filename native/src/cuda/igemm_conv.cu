// Implicit-GEMM convolution (see igemm_conv.h): cp.async multi-stage tiles in shared memory, ldmatrix,
// mma.sync with fp32 (FP16 input) or int32 (INT8 input) accumulators, bias + activation (+ requantization) in
// registers, one store per output.
//
// Both input types share one kernel: everything before the mma works on bytes. A 16-byte chunk holds 8 halves
// or 16 int8 values, a stage is 64 bytes of depth per row, and ldmatrix's b16 fragments are byte-for-byte the
// fragments of m16n8k16.f16 and of m16n8k32.s8 (thread (g, t) holds bytes 4t..4t+3 of row g in both), so the
// shared-memory layout and addressing are the same and only the mma instruction and accumulator type differ.
#include "cuda/igemm_conv.h"

#include <cuda_fp16.h>

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "cuda/cuda_check.h"
#include "cuda/device_math.cuh"
#include "cuda/launch.h"
#include "cuda/mma_primitives.cuh"
#include "lightnet/quantization.h"

namespace lightnet::cuda {
namespace {

constexpr int kChunkBytes = 16;                  // one cp.async / one ldmatrix row
constexpr int kStageBytes = 64;                  // depth per pipeline stage and row: 4 chunks
constexpr int kMmaBytes = 32;                    // depth of one mma: 16 halves or 32 int8
constexpr int kRowPitch = kStageBytes + 16;      // bytes per shared row: 80 keeps ldmatrix free of bank conflicts
constexpr int kStages = 4;                       // cp.async pipeline depth: three tiles in flight while one is used
constexpr int kWeightRowsAlign = 128;            // the widest block's columns: weights padded so loads need no checks

// What the kernel needs to know about its input element type.
template <class T>
struct InputTraits;
template <>
struct InputTraits<__half> {
  using Acc = float;    // fp32 accumulators
  using Acc4 = float4;  // split-K partials
  static constexpr int kPerChunk = 8;
  __device__ static void mma(float (&c)[4], const unsigned (&a)[4], unsigned b0, unsigned b1) { mma_f16(c, a, b0, b1); }
};
template <>
struct InputTraits<int8_t> {
  using Acc = int;      // exact: |Σ| ≤ 128 · 127 · depth stays below 2^31 for any depth under 132 000
  using Acc4 = int4;
  static constexpr int kPerChunk = 16;
  __device__ static void mma(int (&c)[4], const unsigned (&a)[4], unsigned b0, unsigned b1) { mma_s8(c, a, b0, b1); }
};

struct ConvArgs {
  const void* x;     // __half or int8_t
  int64_t x_batch_stride;
  int x_pixel_stride, in_h, in_w, in_c;
  void* y;           // __half or int8_t
  int64_t y_batch_stride;
  int y_pixel_stride, out_h, out_w, out_c;
  bool y_pairs;  // output channels may be stored two at a time (2-element aligned)
  const void* w;  // [cout padded][depth_padded], the input's type
  const float* bias;   // [cout padded]
  const float* scale;  // INT8 input: [cout padded] s_in · s_w[c], the accumulator's step per channel
  float inv_output_scale;  // INT8 output: 1 / the output tensor's step
  int depth, depth_padded;
  int kernel_w, stride_y, stride_x, padding, dilation;
  int rows;  // batch × out_h × out_w
  Activation act;
  // Split-K (gridDim.z > 1): each z takes a share of the depth; partial sums go to `partials`, and the last
  // block of a tile to arrive (counted in `arrivals`, reset by it for the next launch) adds them and stores.
  void* partials;  // float4 (FP16 input) or int4 (INT8 input, exact)
  int* arrivals;
  int k_tiles_per_split;
};

// The value before the activation: FP16 input accumulates real values; INT8 input counts steps of
// s_in · s_w[c], rescaled with one correctly rounded fma (so that a host can reproduce it bit for bit).
__device__ __forceinline__ float dequantize(float acc, const ConvArgs& a, int n) { return acc + a.bias[n]; }
__device__ __forceinline__ float dequantize(int acc, const ConvArgs& a, int n) {
  return __fmaf_rn(__int2float_rn(acc), a.scale[n], a.bias[n]);
}

// INT8 output: q = clamp(round-half-even(v · (1 / s_out)), -128, 127), lightnet::quantize_s8 on the device.
__device__ __forceinline__ signed char requantize(float v, float inv_scale) {
  return static_cast<signed char>(max(-128, min(127, __float2int_rn(__fmul_rn(v, inv_scale)))));
}
__device__ __forceinline__ void store_one(__half* p, float v, float) { *p = __float2half_rn(v); }
__device__ __forceinline__ void store_one(int8_t* p, float v, float inv) { *p = requantize(v, inv); }
__device__ __forceinline__ void store_pair(__half* p, float v0, float v1, float) {
  *reinterpret_cast<__half2*>(p) = __floats2half2_rn(v0, v1);
}
__device__ __forceinline__ void store_pair(int8_t* p, float v0, float v1, float inv) {
  *reinterpret_cast<char2*>(p) = make_char2(requantize(v0, inv), requantize(v1, inv));
}

// BM output pixels × BN output channels per block; WM × WN warps, each owning a (BM/WM) × (BN/WN) tile.
// In: __half or int8_t (input and weights); Out: __half or int8_t.
template <class In, class Out, int BM, int BN, int WM, int WN>
__global__ void __launch_bounds__(WM * WN * 32) igemm_conv_kernel(const ConvArgs a) {
#if __CUDA_ARCH__ >= 800  // cp.async, ldmatrix and these mma shapes need Ampere or newer (host side checks too)
  using Traits = InputTraits<In>;
  using Acc = typename Traits::Acc;
  using Acc4 = typename Traits::Acc4;
  constexpr int kThreads = WM * WN * 32;
  constexpr int kBlockK = kStageBytes / int(sizeof(In));  // depth elements per stage
  constexpr int kPerChunk = Traits::kPerChunk;
  constexpr int kChunks = kStageBytes / kChunkBytes;  // 16-byte chunks per row and stage
  constexpr int kALoads = BM * kChunks / kThreads;
  constexpr int kBLoads = BN * kChunks / kThreads;
  constexpr int TM = BM / WM, TN = BN / WN;     // warp tile
  constexpr int MT = TM / 16, NT = TN / 8;      // mma tiles per warp
  static_assert(kALoads * kThreads == BM * kChunks && kBLoads * kThreads == BN * kChunks, "loads must tile");
  static_assert(TM % 16 == 0 && TN % 16 == 0, "warp tile: 16-row and 16-column multiples");

  // Pipeline slots, each A [BM][kRowPitch] then B [BN][kRowPitch] bytes; a block of k tiles < kStages touches
  // only its first k-tiles slots, and is launched with only those (shared_bytes()).
  constexpr int kSlotBytes = (BM + BN) * kRowPitch;
  extern __shared__ __align__(16) unsigned char smem_raw[];
  const In* const x = static_cast<const In*>(a.x);
  const In* const w = static_cast<const In*>(a.w);

  const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
  const int wm = warp % WM, wn = warp / WM;
  const int m0 = blockIdx.x * BM, n0 = blockIdx.y * BN;
  const int out_hw = a.out_h * a.out_w;

  // Every thread loads the same chunk column of its rows in every stage (kThreads is a multiple of kChunks),
  // so the output pixel behind each of its A rows is decoded once, here.
  const int chunk = tid % kChunks;
  int a_iy[kALoads], a_ix[kALoads];
  const In* a_base[kALoads];
  for (int i = 0; i < kALoads; ++i) {
    const int row = (tid + i * kThreads) / kChunks, m = m0 + row;
    const int img = m / out_hw, rem = m - img * out_hw;
    const int oy = rem / a.out_w, ox = rem - oy * a.out_w;
    a_iy[i] = m < a.rows ? oy * a.stride_y - a.padding : -(1 << 28);  // out of range rows never load
    a_ix[i] = ox * a.stride_x - a.padding;
    a_base[i] = x + (m < a.rows ? img : 0) * a.x_batch_stride;
  }

  auto load_a = [&](int stage, int k_tile) {
    // A: this thread's chunk is kPerChunk channels of one filter tap.
    const int k = k_tile * kBlockK + chunk * kPerChunk;
    const int tap = k / a.in_c, c = k - tap * a.in_c;
    const int ky = tap / a.kernel_w, kx = tap - ky * a.kernel_w;
    const bool k_ok = k < a.depth;
    unsigned char* sa_stage = smem_raw + stage * kSlotBytes;
    for (int i = 0; i < kALoads; ++i) {
      const int row = (tid + i * kThreads) / kChunks;
      const int iy = a_iy[i] + ky * a.dilation, ix = a_ix[i] + kx * a.dilation;
      const bool ok = k_ok && iy >= 0 && iy < a.in_h && ix >= 0 && ix < a.in_w;
      const In* src = ok ? a_base[i] + (int64_t(iy) * a.in_w + ix) * a.x_pixel_stride + c : x;
      cp_async16(sa_stage + row * kRowPitch + chunk * kChunkBytes, src, ok);
    }
  };
  auto load_b = [&](int stage, int k_tile) {  // weights rows are padded: every load is in bounds
    unsigned char* sb_stage = smem_raw + stage * kSlotBytes + BM * kRowPitch;
    for (int i = 0; i < kBLoads; ++i) {
      const int idx = tid + i * kThreads, row = idx / kChunks, col = idx % kChunks;
      const In* src = w + int64_t(n0 + row) * a.depth_padded + k_tile * kBlockK + col * kPerChunk;
      cp_async16(sb_stage + row * kRowPitch + col * kChunkBytes, src, true);
    }
  };

  Acc acc[MT][NT][4];
  for (int i = 0; i < MT; ++i)
    for (int j = 0; j < NT; ++j)
      for (int r = 0; r < 4; ++r) acc[i][j][r] = 0;

  const int k_begin = blockIdx.z * a.k_tiles_per_split;
  const int k_tiles = min(a.depth_padded / kBlockK - k_begin, a.k_tiles_per_split);
  // The weights do not depend on the previous layer: their first stages load before waiting for it.
  for (int s = 0; s < kStages - 1; ++s)
    if (s < k_tiles) load_b(s, k_begin + s);
  wait_for_predecessor();
  for (int s = 0; s < kStages - 1; ++s) {
    if (s < k_tiles) load_a(s, k_begin + s);
    cp_async_commit();  // group s holds A(s) (and, for s = 0, every early B): complete when stage s is needed
  }
  for (int kt = 0; kt < k_tiles; ++kt) {
    cp_async_wait<kStages - 2>();
    __syncthreads();  // stage kt has landed for every thread, and stage kt-1 is no longer read
    const int next = kt + kStages - 1;
    if (next < k_tiles) {
      load_a(next % kStages, k_begin + next);
      load_b(next % kStages, k_begin + next);
    }
    cp_async_commit();

    const unsigned char* A = smem_raw + (kt % kStages) * kSlotBytes;
    const unsigned char* B = A + BM * kRowPitch;
#pragma unroll
    for (int kk = 0; kk < kStageBytes; kk += kMmaBytes) {
      unsigned af[MT][4], bf[NT][2];
#pragma unroll
      for (int mt = 0; mt < MT; ++mt)
        ldmatrix_x4(af[mt], A + (wm * TM + mt * 16 + (lane & 15)) * kRowPitch + kk + (lane >> 4) * 16);
#pragma unroll
      for (int nt = 0; nt < NT; nt += 2) {
        unsigned r[4];
        ldmatrix_x4(r, B + (wn * TN + nt * 8 + (lane & 7) + ((lane >> 4) << 3)) * kRowPitch + kk +
                           ((lane >> 3) & 1) * 16);
        bf[nt][0] = r[0]; bf[nt][1] = r[1];
        bf[nt + 1][0] = r[2]; bf[nt + 1][1] = r[3];
      }
#pragma unroll
      for (int mt = 0; mt < MT; ++mt)
#pragma unroll
        for (int nt = 0; nt < NT; ++nt) Traits::mma(acc[mt][nt], af[mt], bf[nt][0], bf[nt][1]);
    }
  }
  cp_async_wait<0>();
  allow_successor();

  if (gridDim.z > 1) {  // split-K: publish this share, and the last block of the tile reduces
    const int tile = blockIdx.y * gridDim.x + blockIdx.x;
    Acc4* const partials = static_cast<Acc4*>(a.partials);
    Acc4* mine = partials + (size_t(tile) * gridDim.z + blockIdx.z) * (MT * NT * kThreads);
#pragma unroll
    for (int mt = 0; mt < MT; ++mt)
#pragma unroll
      for (int nt = 0; nt < NT; ++nt)
        __stcg(mine + (mt * NT + nt) * kThreads + tid,
               Acc4{acc[mt][nt][0], acc[mt][nt][1], acc[mt][nt][2], acc[mt][nt][3]});
    __threadfence();
    __syncthreads();
    __shared__ int last;
    if (tid == 0) last = atomicAdd(a.arrivals + tile, 1) == int(gridDim.z) - 1;
    __syncthreads();
    if (!last) return;
    __threadfence();
    // Every share, this block's too, is read back and added in z order, so float sums round the same way
    // whichever block arrives last (adding the others to its own share made results vary run to run).
    const Acc4* shares = partials + size_t(tile) * gridDim.z * (MT * NT * kThreads);
    for (int z = 0; z < int(gridDim.z); ++z) {
      const Acc4* share = shares + size_t(z) * (MT * NT * kThreads) + tid;
#pragma unroll
      for (int mt = 0; mt < MT; ++mt)
#pragma unroll
        for (int nt = 0; nt < NT; ++nt) {
          const Acc4 v = __ldcg(share + (mt * NT + nt) * kThreads);
          Acc* c = acc[mt][nt];
          const Acc keep = z == 0 ? Acc(0) : Acc(1);  // the first share replaces, the others add
          c[0] = keep * c[0] + v.x; c[1] = keep * c[1] + v.y; c[2] = keep * c[2] + v.z; c[3] = keep * c[3] + v.w;
        }
    }
    if (tid == 0) a.arrivals[tile] = 0;  // ready for the next launch (graph replay)
  }

  // Epilogue: accumulator (row g, columns 2t, 2t+1) and (row g+8, same columns) of each 16×8 tile.
  const int g = lane >> 2, t = lane & 3;
  Out* const y = static_cast<Out*>(a.y);
  with_activation(a.act, [&](const auto& activation) {
#pragma unroll
    for (int mt = 0; mt < MT; ++mt)
#pragma unroll
      for (int half_row = 0; half_row < 2; ++half_row) {
        const int m = m0 + wm * TM + mt * 16 + g + half_row * 8;
        if (m >= a.rows) continue;
        const int img = m / out_hw, rem = m - img * out_hw;
        Out* out = y + img * a.y_batch_stride + int64_t(rem) * a.y_pixel_stride;
#pragma unroll
        for (int nt = 0; nt < NT; ++nt) {
          const int n = n0 + wn * TN + nt * 8 + 2 * t;
          if (n >= a.out_c) continue;
          const float v0 = activation(dequantize(acc[mt][nt][2 * half_row], a, n));
          const float v1 = activation(dequantize(acc[mt][nt][2 * half_row + 1], a, n + 1));
          if (a.y_pairs && n + 1 < a.out_c) {
            store_pair(out + n, v0, v1, a.inv_output_scale);
          } else {
            store_one(out + n, v0, a.inv_output_scale);
            if (n + 1 < a.out_c) store_one(out + n + 1, v1, a.inv_output_scale);
          }
        }
      }
  });
#endif
}

// 3×3 stride-1 convolutions (any dilation d) with the input tile loaded once: implicit GEMM re-reads every
// input pixel for each of the 9 taps, which made these layers L2-bandwidth bound (Nsight Compute on the H100:
// 94 MB of L2 traffic for a 4.9 MB input). Here a block owns TH × TW output pixels of one image and BN output
// channels; per stage it loads 64 bytes of depth of the (TH + 2d) × (TW + 2d) input halo and of the 9 taps'
// weights, and every tap reads its A rows from the halo at a shifted position (ldmatrix takes one row address
// per lane, so a shifted window costs nothing). 4 warps, each owning TH / 4 tile rows of 16 pixels.
template <class In, class Out, int TH, int BN>
__global__ void __launch_bounds__(128) halo_conv_kernel(const ConvArgs a) {
#if __CUDA_ARCH__ >= 800
  using Traits = InputTraits<In>;
  using Acc = typename Traits::Acc;
  constexpr int TW = 16, kThreads = 128, kHaloStages = 2;
  constexpr int kBlockK = kStageBytes / int(sizeof(In));
  constexpr int kPerChunk = Traits::kPerChunk;
  constexpr int kChunks = kStageBytes / kChunkBytes;
  constexpr int MT = TH / 4, NT = BN / 8;  // each warp: MT tile rows (16 pixels each) × BN channels
  static_assert(TH % 4 == 0 && NT % 2 == 0, "tile");
  const int d = a.dilation, hc = TW + 2 * d, halo_rows = (TH + 2 * d) * hc;

  extern __shared__ __align__(16) unsigned char smem_raw[];
  const int a_stage_bytes = halo_rows * kRowPitch;
  unsigned char* const sa = smem_raw;                                // [stage][halo pixel][kRowPitch]
  unsigned char* const sb = smem_raw + kHaloStages * a_stage_bytes;  // [stage][tap][BN][kRowPitch]
  const In* const x = static_cast<const In*>(a.x);
  const In* const w = static_cast<const In*>(a.w);

  const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
  const int tiles_x = (a.out_w + TW - 1) / TW;
  const int oy0 = (blockIdx.x / tiles_x) * TH, ox0 = (blockIdx.x % tiles_x) * TW;
  const int n0 = blockIdx.y * BN, img = blockIdx.z;
  const In* const x_img = x + img * a.x_batch_stride;
  const int iy0 = oy0 - a.padding, ix0 = ox0 - a.padding;

  auto load_a = [&](int stage, int k_tile) {
    unsigned char* dst = sa + stage * a_stage_bytes;
    const int c = k_tile * kBlockK;
    for (int idx = tid; idx < halo_rows * kChunks; idx += kThreads) {
      const int r = idx / kChunks, ch = idx - r * kChunks;
      const int hy = r / hc, hx = r - hy * hc;
      const int iy = iy0 + hy, ix = ix0 + hx;
      const bool ok = iy >= 0 && iy < a.in_h && ix >= 0 && ix < a.in_w;
      const In* src = ok ? x_img + (int64_t(iy) * a.in_w + ix) * a.x_pixel_stride + c + ch * kPerChunk : x;
      cp_async16(dst + r * kRowPitch + ch * kChunkBytes, src, ok);
    }
  };
  auto load_b = [&](int stage, int k_tile) {
    unsigned char* dst = sb + stage * 9 * BN * kRowPitch;
    for (int idx = tid; idx < 9 * BN * kChunks; idx += kThreads) {
      const int row = idx / kChunks, ch = idx - row * kChunks;  // row = tap · BN + column
      const int tap = row / BN, col = row - tap * BN;
      const In* src = w + int64_t(n0 + col) * a.depth_padded + tap * a.in_c + k_tile * kBlockK + ch * kPerChunk;
      cp_async16(dst + row * kRowPitch + ch * kChunkBytes, src, true);
    }
  };

  Acc acc[MT][NT][4];
  for (int i = 0; i < MT; ++i)
    for (int j = 0; j < NT; ++j)
      for (int r = 0; r < 4; ++r) acc[i][j][r] = 0;

  const int k_tiles = a.in_c / kBlockK;
  load_b(0, 0);  // weights first: they do not depend on the previous layer
  wait_for_predecessor();
  load_a(0, 0);
  cp_async_commit();
  for (int kt = 0; kt < k_tiles; ++kt) {
    if (kt + 1 < k_tiles) {  // the next stage streams in while this one is used
      load_a((kt + 1) % kHaloStages, kt + 1);
      load_b((kt + 1) % kHaloStages, kt + 1);
    }
    cp_async_commit();
    cp_async_wait<1>();
    __syncthreads();
    const unsigned char* A = sa + (kt % kHaloStages) * a_stage_bytes;
    const unsigned char* B = sb + (kt % kHaloStages) * 9 * BN * kRowPitch;
#pragma unroll 1
    for (int tap = 0; tap < 9; ++tap) {
      const int ky = tap / 3, kx = tap - ky * 3;
      const unsigned char* Bt = B + tap * BN * kRowPitch;
#pragma unroll
      for (int kk = 0; kk < kStageBytes; kk += kMmaBytes) {
        unsigned af[MT][4], bf[NT][2];
#pragma unroll
        for (int mt = 0; mt < MT; ++mt) {
          const int py = warp * MT + mt, px = lane & 15;
          ldmatrix_x4(af[mt], A + ((py + ky * d) * hc + px + kx * d) * kRowPitch + kk + (lane >> 4) * 16);
        }
#pragma unroll
        for (int nt = 0; nt < NT; nt += 2) {
          unsigned r[4];
          ldmatrix_x4(r, Bt + (nt * 8 + (lane & 7) + ((lane >> 4) << 3)) * kRowPitch + kk + ((lane >> 3) & 1) * 16);
          bf[nt][0] = r[0]; bf[nt][1] = r[1];
          bf[nt + 1][0] = r[2]; bf[nt + 1][1] = r[3];
        }
#pragma unroll
        for (int mt = 0; mt < MT; ++mt)
#pragma unroll
          for (int nt = 0; nt < NT; ++nt) Traits::mma(acc[mt][nt], af[mt], bf[nt][0], bf[nt][1]);
      }
    }
    __syncthreads();  // this stage is free for the load two steps on
  }
  allow_successor();

  const int g = lane >> 2, t = lane & 3;
  Out* const y = static_cast<Out*>(a.y) + img * a.y_batch_stride;
  with_activation(a.act, [&](const auto& activation) {
#pragma unroll
    for (int mt = 0; mt < MT; ++mt)
#pragma unroll
      for (int half_row = 0; half_row < 2; ++half_row) {
        const int oy = oy0 + warp * MT + mt, ox = ox0 + g + half_row * 8;
        if (oy >= a.out_h || ox >= a.out_w) continue;
        Out* out = y + (int64_t(oy) * a.out_w + ox) * a.y_pixel_stride;
#pragma unroll
        for (int nt = 0; nt < NT; ++nt) {
          const int n = n0 + nt * 8 + 2 * t;
          if (n >= a.out_c) continue;
          const float v0 = activation(dequantize(acc[mt][nt][2 * half_row], a, n));
          const float v1 = activation(dequantize(acc[mt][nt][2 * half_row + 1], a, n + 1));
          if (a.y_pairs && n + 1 < a.out_c) {
            store_pair(out + n, v0, v1, a.inv_output_scale);
          } else {
            store_one(out + n, v0, a.inv_output_scale);
            if (n + 1 < a.out_c) store_one(out + n + 1, v1, a.inv_output_scale);
          }
        }
      }
  });
#endif
}

// 3×3 stride-1 dilation-1 convolutions whose whole input depth fits in shared memory (CB bytes per input
// pixel: 32, 64 or 128 FP16 channels; 64, 128 or 256 int8), persistent: a block loads its BN output channels'
// weights for all 9 taps once, then walks over TH × 16 output tiles (gridDim.x apart) with the next tile's
// input halo streaming into a ring of kRing buffers while it computes the current one. kWarps warps each own
// two rows of 16 pixels (TH = 2 · kWarps). The halo variants above reload the weights for every 128-pixel tile
// and have no tile to overlap with when the depth is a single stage (LightNet's 240×320×32 and 120×160×64 ELAN
// convs); the bias (and INT8 step) of a thread's columns are read once, not per tile.
template <class In, class Out, int CB, int BN, int kWarps, int kRing, int kMinBlocks>
__global__ void __launch_bounds__(kWarps * 32, kMinBlocks) resident_conv3x3_kernel(const ConvArgs a) {
#if __CUDA_ARCH__ >= 800
  using Traits = InputTraits<In>;
  using Acc = typename Traits::Acc;
  constexpr int MT = 2, TH = kWarps * MT, TW = 16, HC = TW + 2, kHaloPx = (TH + 2) * HC, kThreads = kWarps * 32;
  constexpr int kPitch = CB + 16;  // bytes per shared row; the extra 16 keep ldmatrix free of bank conflicts
  constexpr int kChunksPx = CB / kChunkBytes;
  constexpr int NT = BN / 8;
  constexpr int kHaloBytes = kHaloPx * kPitch;
  constexpr int kElem = int(sizeof(In));
  static_assert(NT % 2 == 0 && CB % kMmaBytes == 0, "tile");

  extern __shared__ __align__(16) unsigned char smem_raw[];
  unsigned char* const sw = smem_raw;                     // [tap][BN][kPitch]
  unsigned char* const sh = smem_raw + 9 * BN * kPitch;   // [ring][halo pixel][kPitch]
  const unsigned char* const x = static_cast<const unsigned char*>(a.x);
  const unsigned char* const w = static_cast<const unsigned char*>(a.w);

  const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
  const int g = lane >> 2, tq = lane & 3;
  const int n0 = blockIdx.y * BN;
  const int tiles_x = (a.out_w + TW - 1) / TW, tiles_per_img = tiles_x * ((a.out_h + TH - 1) / TH);
  const int tiles = a.rows / (a.out_h * a.out_w) * tiles_per_img;

  // Weights first: they do not depend on the previous layer.
  for (int idx = tid; idx < 9 * BN * kChunksPx; idx += kThreads) {
    const int row = idx / kChunksPx, ch = idx - row * kChunksPx;  // row = tap · BN + column
    const int tap = row / BN, col = row - tap * BN;
    const unsigned char* src = w + (int64_t(n0 + col) * a.depth_padded + tap * a.in_c) * kElem + ch * kChunkBytes;
    cp_async16(sw + row * kPitch + ch * kChunkBytes, src, true);
  }
  cp_async_commit();
  // This thread's output columns: bias, and for INT8 input the accumulator's step (zero-padded to 128 rows).
  float bias[NT][2], step[NT][2];
#pragma unroll
  for (int nt = 0; nt < NT; ++nt)
#pragma unroll
    for (int j = 0; j < 2; ++j) {
      const int n = n0 + nt * 8 + 2 * tq + j;
      bias[nt][j] = a.bias[n];
      step[nt][j] = a.scale ? a.scale[n] : 1.f;
    }
  wait_for_predecessor();

  auto tile_origin = [&](int t, int& img, int& oy0, int& ox0) {
    img = t / tiles_per_img;
    const int r = t - img * tiles_per_img, ty = r / tiles_x;
    oy0 = ty * TH;
    ox0 = (r - ty * tiles_x) * TW;
  };
  auto load_halo = [&](int slot, int t) {
    int img, oy0, ox0;
    tile_origin(t, img, oy0, ox0);
    const unsigned char* x_img = x + img * a.x_batch_stride * kElem;
    unsigned char* dst = sh + slot * kHaloBytes;
#pragma unroll 2
    for (int idx = tid; idx < kHaloPx * kChunksPx; idx += kThreads) {
      const int r = idx / kChunksPx, ch = idx - r * kChunksPx;
      const int hy = r / HC, hx = r - hy * HC;
      const int iy = oy0 - 1 + hy, ix = ox0 - 1 + hx;
      const bool ok = iy >= 0 && iy < a.in_h && ix >= 0 && ix < a.in_w;
      const unsigned char* src =
          ok ? x_img + (int64_t(iy) * a.in_w + ix) * a.x_pixel_stride * kElem + ch * kChunkBytes : x;
      cp_async16(dst + r * kPitch + ch * kChunkBytes, src, ok);
    }
  };

  // The ring: tile i of this block uses slot i % kRing; kRing - 1 tiles are in flight ahead of it.
#pragma unroll
  for (int s = 0; s < kRing - 1; ++s) {
    const int t = blockIdx.x + s * gridDim.x;
    if (t < tiles) load_halo(s, t);
    cp_async_commit();
  }
  Out* const y = static_cast<Out*>(a.y);
  // ldmatrix row addresses: A rows are this warp's pixels (shifted per tap), B rows the columns.
  const int a_row = (warp * MT) * HC + (lane & 15), a_col = (lane >> 4) * 16;
  const int b_row = (lane & 7) + ((lane >> 4) << 3), b_col = ((lane >> 3) & 1) * 16;
  for (int i = 0;; ++i) {
    const int t = blockIdx.x + i * gridDim.x;
    if (t >= tiles) break;
    const int ahead = t + (kRing - 1) * gridDim.x;
    if (ahead < tiles) load_halo((i + kRing - 1) % kRing, ahead);
    cp_async_commit();
    cp_async_wait<kRing - 1>();  // the weights and this tile's halo have landed (for this thread)
    __syncthreads();             // ... and for every thread
    if (t + gridDim.x >= tiles) allow_successor();  // the last tile: the next layer may start its prologue

    Acc acc[MT][NT][4];
#pragma unroll
    for (int mt = 0; mt < MT; ++mt)
#pragma unroll
      for (int nt = 0; nt < NT; ++nt)
#pragma unroll
        for (int r = 0; r < 4; ++r) acc[mt][nt][r] = 0;
    const unsigned char* A = sh + (i % kRing) * kHaloBytes + a_row * kPitch + a_col;
#pragma unroll
    for (int tap = 0; tap < 9; ++tap) {
      const int ky = tap / 3, kx = tap - ky * 3;
      const unsigned char* At = A + (ky * HC + kx) * kPitch;
      const unsigned char* Bt = sw + (tap * BN + b_row) * kPitch + b_col;
#pragma unroll
      for (int kk = 0; kk < CB; kk += kMmaBytes) {
        unsigned af[MT][4], bf[NT][2];
#pragma unroll
        for (int mt = 0; mt < MT; ++mt) ldmatrix_x4(af[mt], At + mt * HC * kPitch + kk);
#pragma unroll
        for (int nt = 0; nt < NT; nt += 2) {
          unsigned r[4];
          ldmatrix_x4(r, Bt + nt * 8 * kPitch + kk);
          bf[nt][0] = r[0]; bf[nt][1] = r[1];
          bf[nt + 1][0] = r[2]; bf[nt + 1][1] = r[3];
        }
#pragma unroll
        for (int mt = 0; mt < MT; ++mt)
#pragma unroll
          for (int nt = 0; nt < NT; ++nt) Traits::mma(acc[mt][nt], af[mt], bf[nt][0], bf[nt][1]);
      }
    }

    int img, oy0, ox0;
    tile_origin(t, img, oy0, ox0);
    Out* const y_img = y + img * a.y_batch_stride;
    with_activation(a.act, [&](const auto& activation) {
#pragma unroll
      for (int mt = 0; mt < MT; ++mt)
#pragma unroll
        for (int half_row = 0; half_row < 2; ++half_row) {
          const int oy = oy0 + warp * MT + mt, ox = ox0 + g + half_row * 8;
          if (oy >= a.out_h || ox >= a.out_w) continue;
          Out* out = y_img + (int64_t(oy) * a.out_w + ox) * a.y_pixel_stride;
#pragma unroll
          for (int nt = 0; nt < NT; ++nt) {
            const int n = n0 + nt * 8 + 2 * tq;
            if (n >= a.out_c) continue;
            // As dequantize(): FP16 input adds the bias, INT8 input rescales the exact count in one fma.
            float v[2];
#pragma unroll
            for (int j = 0; j < 2; ++j) {
              const Acc c = acc[mt][nt][2 * half_row + j];
              v[j] = activation(std::is_same<Acc, int>::value ? __fmaf_rn(__int2float_rn(int(c)), step[nt][j], bias[nt][j])
                                                              : float(c) + bias[nt][j]);
            }
            if (a.y_pairs && n + 1 < a.out_c) {
              store_pair(out + n, v[0], v[1], a.inv_output_scale);
            } else {
              store_one(out + n, v[0], a.inv_output_scale);
              if (n + 1 < a.out_c) store_one(out + n + 1, v[1], a.inv_output_scale);
            }
          }
        }
    });
    __syncthreads();  // every warp is done with slot i % kRing before the next iteration refills it
  }
  cp_async_wait<0>();
#endif
}

using Kernel = void (*)(ConvArgs);

// The halo variants (after the tile shapes × split-K ones): TH output rows × 16 columns × BN channels.
struct HaloShape {
  const char* name;
  int th, bn;
  Kernel kernel[2][2];
};
template <int TH, int BN>
HaloShape halo_shape(const char* name) {
  return {name, TH, BN,
          {{halo_conv_kernel<__half, __half, TH, BN>, halo_conv_kernel<__half, int8_t, TH, BN>},
           {halo_conv_kernel<int8_t, __half, TH, BN>, halo_conv_kernel<int8_t, int8_t, TH, BN>}}};
}
constexpr int kHaloShapes = 3;
const HaloShape& halo_at(int h) {
  static const HaloShape table[kHaloShapes] = {halo_shape<8, 32>("halo 8x16x32"), halo_shape<8, 64>("halo 8x16x64"),
                                               halo_shape<4, 64>("halo 4x16x64")};
  return table[h];
}
size_t halo_shared_bytes(const HaloShape& h, int dilation) {
  return size_t(2) * ((h.th + 2 * dilation) * (16 + 2 * dilation) + 9 * h.bn) * kRowPitch;
}

// The resident variants (after the halo ones): CB bytes of input depth per pixel, BN output channels per block,
// kWarps warps (2 · kWarps output rows of 16 pixels per tile), a ring of kRing halo buffers, and the blocks per
// SM the registers must allow.
struct ResidentShape {
  const char* name;
  int cb, bn, warps, ring;
  Kernel kernel[2][2];
};
template <int CB, int BN, int W, int R, int B>
ResidentShape resident_shape(const char* name) {
  return {name, CB, BN, W, R,
          {{resident_conv3x3_kernel<__half, __half, CB, BN, W, R, B>, resident_conv3x3_kernel<__half, int8_t, CB, BN, W, R, B>},
           {resident_conv3x3_kernel<int8_t, __half, CB, BN, W, R, B>, resident_conv3x3_kernel<int8_t, int8_t, CB, BN, W, R, B>}}};
}
constexpr int kResidentShapes = 6;
const ResidentShape& resident_at(int r) {
  static const ResidentShape table[kResidentShapes] = {
      resident_shape<64, 32, 4, 2, 4>("resident 8x16 64B x32"),   resident_shape<64, 32, 8, 2, 2>("resident 16x16 64B x32"),
      resident_shape<128, 32, 4, 2, 2>("resident 8x16 128B x32"), resident_shape<128, 32, 8, 2, 1>("resident 16x16 128B x32"),
      resident_shape<128, 64, 4, 2, 1>("resident 8x16 128B x64"), resident_shape<256, 32, 4, 2, 1>("resident 8x16 256B x32")};
  return table[r];
}
size_t resident_shared_bytes(const ResidentShape& r) {
  return size_t(9 * r.bn + r.ring * (2 * r.warps + 2) * 18) * (r.cb + 16);
}

// A tile shape, instantiated for every input × output type: kernel[input is S8][output is S8].
struct Shape {
  const char* name;
  int bm, bn, threads;
  Kernel kernel[2][2];
};

template <int BM, int BN, int WM, int WN>
Shape shape(const char* name) {
  return {name, BM, BN, WM * WN * 32,
          {{igemm_conv_kernel<__half, __half, BM, BN, WM, WN>, igemm_conv_kernel<__half, int8_t, BM, BN, WM, WN>},
           {igemm_conv_kernel<int8_t, __half, BM, BN, WM, WN>, igemm_conv_kernel<int8_t, int8_t, BM, BN, WM, WN>}}};
}

constexpr int kShapes = 7;
constexpr int kSplits[] = {1, 2, 4, 8};
constexpr int kSplitOptions = 4;
constexpr int kTiledVariants = kShapes * kSplitOptions;
constexpr int kResidentFirst = kTiledVariants + kHaloShapes;
static_assert(kResidentFirst + kResidentShapes == kIgemmVariants,
              "variants = tile shapes × split-K, then halo shapes, then resident shapes");

const Shape& shape_at(int s) {
  static const Shape table[kShapes] = {
      shape<128, 128, 2, 2>("128x128"), shape<128, 64, 2, 2>("128x64"), shape<64, 64, 2, 2>("64x64"),
      shape<128, 32, 4, 1>("128x32"),   shape<64, 32, 2, 1>("64x32"),   shape<256, 64, 4, 2>("256x64"),
      shape<256, 32, 4, 1>("256x32"),
  };
  return table[s];
}
Kernel kernel_of(const Shape& sh, IgemmType in, IgemmType out) {
  return sh.kernel[in == IgemmType::S8][out == IgemmType::S8];
}

void check_variant(int v) {
  if (v < 0 || v >= kIgemmVariants)
    throw std::invalid_argument("igemm variant: expected 0.." + std::to_string(kIgemmVariants - 1) + ", found " +
                                std::to_string(v));
}
bool is_halo(int v) { check_variant(v); return v >= kTiledVariants && v < kResidentFirst; }
bool is_resident(int v) { check_variant(v); return v >= kResidentFirst; }
const Shape& shape_of(int v) { check_variant(v); return shape_at(v % kShapes); }
int splits_of(int v) { check_variant(v); return v >= kTiledVariants ? 1 : kSplits[v / kShapes]; }

// The pipeline slots a block uses: fewer for shallow layers (a 1x1 conv over 64 half channels has 2 k tiles), so
// more blocks fit an SM (H200 micro-benchmark, 1x1 64 -> 32 at 240x320: 12.0 us with 4 slots, 9.1 with 2).
size_t shared_bytes(const Shape& v, int k_tiles = kStages) {
  return size_t(std::min(kStages, k_tiles)) * (v.bm + v.bn) * kRowPitch;
}
size_t type_size(IgemmType t) { return t == IgemmType::S8 ? 1 : 2; }
int per_chunk(IgemmType t) { return kChunkBytes / int(type_size(t)); }
int depth_per_stage(IgemmType t) { return kStageBytes / int(type_size(t)); }

std::string layer_name(const Layer& l) { return "layer " + std::to_string(l.index) + " (convolutional)"; }

// The dynamic shared-memory limit belongs to the kernel, shared by every layer that runs it, so it only ever
// grows: a halo layer of smaller dilation set up after one of larger dilation lowered it before, and the larger
// one's launch then failed with cudaErrorInvalidValue when the network ran (tuning, right after its own set-up,
// did not see it).
void allow_shared_bytes(Kernel kernel, size_t bytes) {
  cudaFuncAttributes attributes{};
  LN_CUDA(cudaFuncGetAttributes(&attributes, kernel));
  if (int(bytes) > attributes.maxDynamicSharedSizeBytes)
    LN_CUDA(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, int(bytes)));
}

// Checks the steps an INT8 end needs; the per-channel accumulator step s_in · s_w[c] (zeros in the padding).
std::vector<float> accumulator_steps(const Layer& layer, const IgemmPrecision& pr, int rows) {
  const int cout = layer.as<ConvParams>().filters;
  if (pr.output == IgemmType::S8 && !(pr.output_scale > 0))
    throw std::invalid_argument(layer_name(layer) + ": int8 output needs an output step > 0, found " +
                                std::to_string(pr.output_scale));
  if (pr.input != IgemmType::S8) return {};
  if (!(pr.input_scale > 0))
    throw std::invalid_argument(layer_name(layer) + ": int8 input needs an input step > 0, found " +
                                std::to_string(pr.input_scale));
  if (pr.weight_scales.size() != size_t(cout))
    throw std::invalid_argument(layer_name(layer) + ": int8 input needs " + std::to_string(cout) +
                                " per-channel weight steps, found " + std::to_string(pr.weight_scales.size()));
  std::vector<float> steps(rows, 0.f);
  for (int o = 0; o < cout; ++o) {
    if (!(pr.weight_scales[o] > 0))
      throw std::invalid_argument(layer_name(layer) + ": weight step of output channel " + std::to_string(o) +
                                  " must be > 0, found " + std::to_string(pr.weight_scales[o]));
    steps[o] = pr.input_scale * pr.weight_scales[o];  // as the CPU int8 executor's output scales
  }
  return steps;
}

}  // namespace

std::string igemm_variant_name(int v) {
  if (is_resident(v)) return resident_at(v - kResidentFirst).name;
  if (is_halo(v)) return halo_at(v - kTiledVariants).name;
  const int k = splits_of(v);
  return std::string(shape_of(v).name) + (k > 1 ? " split-k " + std::to_string(k) : "");
}

bool IgemmConv::supports(const Layer& layer, int in_channels, DType dt) {
  return dt == DType::F16 && supports(layer, in_channels, IgemmPrecision{});
}

bool IgemmConv::supports(const Layer& layer, int in_channels, const IgemmPrecision& precision) {
  if (layer.type != LayerType::Convolutional) return false;
  const auto& p = layer.as<ConvParams>();
  return p.groups == 1 && in_channels % per_chunk(precision.input) == 0 && p.filters > 0 &&
         current_device_major() >= 8;
}

IgemmConv::IgemmConv(const Layer& layer, int in_channels) : IgemmConv(layer, in_channels, IgemmPrecision{}) {}

IgemmConv::IgemmConv(const Layer& layer, int in_channels, const IgemmPrecision& precision) {
  const auto& p = layer.as<ConvParams>();
  const bool s8_in = precision.input == IgemmType::S8;
  if (!supports(layer, in_channels, precision))
    throw std::invalid_argument(layer_name(layer) + ": own " + (s8_in ? "INT8" : "FP16") +
                                " kernels need groups=1, input channels a multiple of " +
                                std::to_string(per_chunk(precision.input)) + " (found " + std::to_string(in_channels) +
                                ") and a GPU of compute capability 8.0 or newer");
  kernel_h_ = kernel_w_ = p.size;
  stride_y_ = p.stride_y;
  stride_x_ = p.stride_x;
  padding_ = p.padding;
  dilation_ = p.dilation;
  in_channels_ = in_channels;
  out_channels_ = p.filters;
  activation_ = p.activation;
  input_ = precision.input;
  output_ = precision.output;
  const int block = depth_per_stage(input_);
  depth_ = kernel_h_ * kernel_w_ * in_channels;
  depth_padded_ = (depth_ + block - 1) / block * block;
  {
    int dev = 0;
    LN_CUDA(cudaGetDevice(&dev));
    LN_CUDA(cudaDeviceGetAttribute(&multiprocessors_, cudaDevAttrMultiProcessorCount, dev));
    LN_CUDA(cudaDeviceGetAttribute(&max_shared_bytes_, cudaDevAttrMaxSharedMemoryPerBlockOptin, dev));
  }
  const int c_ir = layer.input_shapes.at(0).c;
  if (layer.weights.size() != size_t(out_channels_) * c_ir * p.size * p.size ||
      layer.bias.size() != size_t(out_channels_))
    throw std::runtime_error(layer_name(layer) + ": weights not loaded");
  if (c_ir > in_channels)
    throw std::invalid_argument(layer_name(layer) + ": " + std::to_string(c_ir) + " input channels, but only " +
                                std::to_string(in_channels) + " stored");
  const int rows = (out_channels_ + kWeightRowsAlign - 1) / kWeightRowsAlign * kWeightRowsAlign;
  const std::vector<float> steps = accumulator_steps(layer, precision, rows);
  if (output_ == IgemmType::S8) inv_output_scale_ = 1.f / precision.output_scale;

  // KRSC, padded rows and depth zero; FP16 rounds each weight, INT8 quantizes it at its channel's step.
  auto pack = [&](auto zero, auto convert) {
    std::vector<decltype(zero)> w(size_t(rows) * depth_padded_, zero);
    for (int o = 0; o < out_channels_; ++o)
      for (int c = 0; c < c_ir; ++c)
        for (int ky = 0; ky < p.size; ++ky)
          for (int kx = 0; kx < p.size; ++kx)
            w[size_t(o) * depth_padded_ + (ky * p.size + kx) * in_channels + c] =
                convert(layer.weights[((size_t(o) * c_ir + c) * p.size + ky) * p.size + kx], o);
    weights_ = DeviceBuffer(w.size() * sizeof(w[0]));
    LN_CUDA(cudaMemcpy(weights_.get(), w.data(), w.size() * sizeof(w[0]), cudaMemcpyHostToDevice));
  };
  if (s8_in) {
    std::vector<float> inv(out_channels_);
    for (int o = 0; o < out_channels_; ++o) inv[o] = 1.f / precision.weight_scales[o];
    pack(int8_t(0), [&](float v, int o) { return quantize_s8(v, inv[o]); });
    scale_ = DeviceBuffer(steps.size() * sizeof(float));
    LN_CUDA(cudaMemcpy(scale_.get(), steps.data(), steps.size() * sizeof(float), cudaMemcpyHostToDevice));
  } else {
    pack(__float2half_rn(0.f), [](float v, int) { return __float2half_rn(v); });
  }
  std::vector<float> b(rows, 0.f);
  std::copy(layer.bias.begin(), layer.bias.end(), b.begin());
  bias_ = DeviceBuffer(b.size() * sizeof(float));
  LN_CUDA(cudaMemcpy(bias_.get(), b.data(), b.size() * sizeof(float), cudaMemcpyHostToDevice));
  // Above 48 KB of dynamic shared memory a kernel must ask (per device).
  for (int v = 0; v < kShapes; ++v) allow_shared_bytes(kernel_of(shape_at(v), input_, output_), shared_bytes(shape_at(v)));
  for (int r = 0; r < kResidentShapes; ++r) {
    if (!resident_fits(r)) continue;
    const ResidentShape& rs = resident_at(r);
    allow_shared_bytes(rs.kernel[input_ == IgemmType::S8][output_ == IgemmType::S8], resident_shared_bytes(rs));
  }
  if (halo_fits()) {
    for (int h = 0; h < kHaloShapes; ++h) {
      const HaloShape& hs = halo_at(h);
      allow_shared_bytes(hs.kernel[input_ == IgemmType::S8][output_ == IgemmType::S8], halo_shared_bytes(hs, dilation_));
    }
  }
}

// The halo kernels: 3×3, stride 1, whole stages of input channels, and both stages within shared memory.
bool IgemmConv::halo_fits() const {
  return kernel_h_ == 3 && kernel_w_ == 3 && stride_y_ == 1 && stride_x_ == 1 &&
         in_channels_ % depth_per_stage(input_) == 0 && halo_shared_bytes(halo_at(1), dilation_) <= 200 * 1024;
}

// The resident kernels: 3×3, stride 1, dilation 1, exactly their depth per pixel, weights and ring within shared
// memory.
bool IgemmConv::resident_fits(int r) const {
  const ResidentShape& rs = resident_at(r);
  return kernel_h_ == 3 && kernel_w_ == 3 && stride_y_ == 1 && stride_x_ == 1 && dilation_ == 1 && padding_ == 1 &&
         in_channels_ * int(type_size(input_)) == rs.cb && resident_shared_bytes(rs) <= size_t(max_shared_bytes_);
}

// Split-K pays only where the tiles alone leave most of the GPU idle and each share keeps some depth.
bool IgemmConv::sensible(int v, const View& out) const {
  if (is_resident(v)) return resident_fits(v - kResidentFirst) && (out.c > 32 || resident_at(v - kResidentFirst).bn == 32);
  if (is_halo(v)) return halo_fits();
  const Shape& sh = shape_of(v);
  const int k = splits_of(v), k_tiles = depth_padded_ / depth_per_stage(input_);
  if (k == 1) return true;
  const int64_t tiles = (int64_t(out.n) * out.h * out.w + sh.bm - 1) / sh.bm * ((out.c + sh.bn - 1) / sh.bn);
  return k_tiles >= 4 * k && tiles < 264 && tiles <= kIgemmMaxArrivals;
}

size_t IgemmConv::partials_bytes(int v, const View& out) const {
  if (v >= kTiledVariants) return 0;
  const Shape& sh = shape_of(v);
  const int k = splits_of(v);
  if (k == 1) return 0;
  const int64_t tiles = (int64_t(out.n) * out.h * out.w + sh.bm - 1) / sh.bm * ((out.c + sh.bn - 1) / sh.bn);
  return size_t(tiles) * k * sh.bm * sh.bn * 4;  // fp32 (FP16 input) or int32 (INT8 input) sums
}

void IgemmConv::run(int v, const View& in, const View& out, const IgemmWorkspace& ws, cudaStream_t s) const {
  if ((is_halo(v) && !halo_fits()) || (is_resident(v) && !resident_fits(v - kResidentFirst)))
    throw std::invalid_argument("igemm conv: " + igemm_variant_name(v) + " runs 3x3 stride-1 layers only" +
                                (is_resident(v) ? " of " + std::to_string(resident_at(v - kResidentFirst).cb) +
                                                      " bytes of input depth per pixel"
                                                : std::string()));
  const Shape& sh = shape_of(v);
  const int splits = splits_of(v);
  if (in.c != in_channels_ || out.c != out_channels_ || in.n != out.n)
    throw std::invalid_argument("igemm conv: views do not match the layer (in " + std::to_string(in.c) + " ch, out " +
                                std::to_string(out.c) + " ch)");
  // 16-byte loads need 16-byte aligned input pixels: channel offsets and strides in whole chunks (8 halves or
  // 16 int8).
  const int chunk = per_chunk(input_);
  if (in.pixel_stride % chunk || in.batch_stride % chunk || reinterpret_cast<uintptr_t>(in.data) % 16)
    throw std::invalid_argument("igemm conv: input view not 16-byte aligned (pixel stride " +
                                std::to_string(in.pixel_stride) + ", expected a multiple of " + std::to_string(chunk) +
                                ")");
  ConvArgs a;
  a.x = in.data;
  a.x_batch_stride = in.batch_stride;
  a.x_pixel_stride = in.pixel_stride;
  a.in_h = in.h; a.in_w = in.w; a.in_c = in.c;
  a.y = out.data;
  a.y_batch_stride = out.batch_stride;
  a.y_pixel_stride = out.pixel_stride;
  a.out_h = out.h; a.out_w = out.w; a.out_c = out.c;
  a.y_pairs = out.pixel_stride % 2 == 0 && out.batch_stride % 2 == 0 &&
              reinterpret_cast<uintptr_t>(out.data) % (2 * type_size(output_)) == 0;
  a.w = weights_.get();
  a.bias = bias_.get<const float>();
  a.scale = scale_.get<const float>();
  a.inv_output_scale = inv_output_scale_;
  a.depth = depth_;
  a.depth_padded = depth_padded_;
  a.kernel_w = kernel_w_;
  a.stride_y = stride_y_; a.stride_x = stride_x_;
  a.padding = padding_;
  a.dilation = dilation_;
  a.rows = out.n * out.h * out.w;
  a.act = activation_;
  const int k_tiles = depth_padded_ / depth_per_stage(input_);
  a.k_tiles_per_split = (k_tiles + splits - 1) / splits;
  const int used_splits = (k_tiles + a.k_tiles_per_split - 1) / a.k_tiles_per_split;  // none left empty
  dim3 grid((a.rows + sh.bm - 1) / sh.bm, (out.c + sh.bn - 1) / sh.bn, used_splits);
  a.partials = ws.partials;
  a.arrivals = ws.arrivals;
  if (used_splits > 1 && (ws.partials_bytes < partials_bytes(v, out) || !ws.arrivals ||
                          int64_t(grid.x) * grid.y > kIgemmMaxArrivals))
    throw std::invalid_argument("igemm conv: split-K workspace too small for " + igemm_variant_name(v));

  dim3 block(sh.threads);
  size_t shared = shared_bytes(sh, a.k_tiles_per_split);
  Kernel kernel = kernel_of(sh, input_, output_);
  if (is_halo(v)) {
    const HaloShape& hs = halo_at(v - kTiledVariants);
    grid = dim3(unsigned((out.w + 15) / 16 * ((out.h + hs.th - 1) / hs.th)), unsigned((out.c + hs.bn - 1) / hs.bn),
                unsigned(out.n));
    block = dim3(128);
    shared = halo_shared_bytes(hs, dilation_);
    kernel = hs.kernel[input_ == IgemmType::S8][output_ == IgemmType::S8];
  }
  if (is_resident(v)) {
    const ResidentShape& rs = resident_at(v - kResidentFirst);
    kernel = rs.kernel[input_ == IgemmType::S8][output_ == IgemmType::S8];
    block = dim3(32 * rs.warps);
    shared = resident_shared_bytes(rs);
    // As many blocks as fit on the GPU at once, each walking over an equal share of the tiles.
    const int th = 2 * rs.warps;
    const int64_t tiles = int64_t(out.n) * ((out.h + th - 1) / th) * ((out.w + 15) / 16);
    const int column_blocks = (out.c + rs.bn - 1) / rs.bn;
    int per_sm = 0;
    LN_CUDA(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, kernel, 32 * rs.warps, shared));
    const int64_t resident = std::max<int64_t>(1, int64_t(std::max(per_sm, 1)) * multiprocessors_ / column_blocks);
    const int64_t per_block = (tiles + resident - 1) / resident;
    grid = dim3(unsigned((tiles + per_block - 1) / per_block), unsigned(column_blocks), 1);
  }
  launch_programmatic(kernel, grid, block, shared, s, a);
}

}  // namespace lightnet::cuda
