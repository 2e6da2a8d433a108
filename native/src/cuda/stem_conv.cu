// The stem pair in one kernel (stem_conv.h). Persistent blocks, two per SM, each walking over tiles of the second
// conv's output (8 rows × 16 columns × 64 channels) with the next tile's input streaming in while it computes:
//
// 1. The input tile (35 × 67 pixels, the first 4 of the 8 stored halves each) lands in shared memory by cp.async,
//    one warp per row.
// 2. The first conv's 17 × 33 outputs under the tile, as a GEMM of 561 pixels × 32 channels × depth 48: one k step
//    of 16 per filter row ky, holding its 3 taps × 4 channels and 4 zeros, so that each A fragment register is
//    one 4-byte shared load (two channels of one input pixel); the B fragments (the filter) live in registers.
//    Bias, activation, FP16 rounding, and zeros where the pixel lies outside the first conv's output (the second
//    conv's padding) go into shared memory, even and odd columns apart (so that the second conv's stride-2
//    reads are consecutive pixels) and 16-byte chunks XOR-swizzled (so that ldmatrix is free of bank conflicts
//    without padding; the block's 109 KB leave room for two blocks per SM).
// 3. The second conv: an implicit GEMM over that buffer, 9 taps × 32 channels, each warp 2 rows × 32 channels;
//    the filter sits in shared memory for the whole kernel. Bias, activation, one FP16 store per channel pair.
#include "cuda/stem_conv.h"

#include <cuda_fp16.h>

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "cuda/cuda_check.h"
#include "cuda/device_math.cuh"
#include "cuda/fp16_pack.cuh"
#include "cuda/launch.h"
#include "cuda/mma_primitives.cuh"

namespace lightnet::cuda {
namespace {

constexpr int kMidC = 32, kOutC = 64, kInC = 4;     // channels: first's output, second's output, input read
constexpr int kStoredC = 8;                         // input halves stored per pixel
constexpr int TH = 8, TW = 16;                      // the second conv's output tile
constexpr int MH = 2 * TH + 1, MW = 2 * TW + 1;     // the first conv's outputs it reads: 17 × 33
constexpr int IH = 2 * MH + 1, IW = 2 * MW + 1;     // the input those read: 35 × 67
constexpr int kThreads = 256, kWarps = kThreads / 32;
constexpr int kMidPixels = MH * MW, kMidTiles = (kMidPixels + 15) / 16;  // 561 pixels in 36 row tiles of 16
constexpr int kDepth1 = 48;                          // first conv: 3 filter rows × (3 taps × 4 channels + 4 zeros)
constexpr int kInBytes = IH * IW * kInC * 2;         // one input tile: 18,760
constexpr int kMidPlane = (TW + 1) * kMidC * 2;      // one row's even (or odd) columns: 17 pixels × 64 bytes
constexpr int kMidBytes = MH * 2 * kMidPlane;        // 36,992
constexpr int kW2Bytes = 9 * kOutC * kMidC * 2;      // the second filter, [tap][cout][32 halves]: 36,864
constexpr int kSharedBytes = kW2Bytes + kMidBytes + 2 * kInBytes;  // 111,376

// 64-byte records (32 halves) of four 16-byte chunks: chunk q of record r sits at q ^ ((r / 2) mod 4), so that the
// 8 rows of an ldmatrix (8 consecutive records, any start) hit 8 different bank groups.
__device__ __forceinline__ int swizzled(int record, int chunk) { return record * 64 + ((chunk ^ ((record >> 1) & 3)) << 4); }

__device__ __forceinline__ unsigned lds32(const unsigned char* p) { return *reinterpret_cast<const unsigned*>(p); }

struct StemArgs {
  const __half* x;
  int64_t x_batch_stride;
  int x_pixel_stride, in_h, in_w;
  int mid_h, mid_w;
  __half* y;
  int64_t y_batch_stride;
  int y_pixel_stride, out_h, out_w;
  const __half* w1;  // [32][48]: k = ky · 16 + kx · 4 + c, zeros for kx = 3 and for c ≥ the real channels
  const float* b1;   // [32]
  const __half* w2;  // [9 taps][64][32]
  const float* b2;   // [64]
  Activation act1, act2;
  int tiles_x, tiles_per_img, tiles;
};

// Latency and instruction issue bound this kernel, not the tensor cores (Nsight Compute, H200: 20-26 % of the
// issue slots busy, 9 warps active per SM, ~16 K warp instructions per tile in a first version). So the per-lane
// parts of every shared-memory address are computed once, the accumulators start at the bias, and ReLU is
// folded into the FP16 conversion (4.9 M → 4.0 M instructions, 29.4 → 27.0 µs for the test's 2 × 480 × 640).
__global__ void __launch_bounds__(kThreads, 2) stem_conv_kernel(const StemArgs a) {
#if __CUDA_ARCH__ >= 800
  extern __shared__ __align__(16) unsigned char smem[];
  unsigned char* const sw = smem;                          // second filter
  unsigned char* const sm = smem + kW2Bytes;               // first conv's outputs: [row][parity][column / 2]
  unsigned char* const sx = smem + kW2Bytes + kMidBytes;   // two input tiles
  const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5, g = lane >> 2, tq = lane & 3;

  // Filters and biases first: they do not depend on the previous kernel.
  for (int idx = tid; idx < 9 * kOutC * 4; idx += kThreads) {
    const int row = idx >> 2, chunk = idx & 3;  // row = tap · 64 + output channel
    cp_async16(sw + swizzled(row, chunk), a.w2 + row * kMidC + chunk * 8, true);
  }
  cp_async_commit();
  const int n2 = (warp >> 2) * 32;  // this warp's columns of the second conv
  wait_for_predecessor();

  auto tile_origin = [&](int t, int& img, int& oy0, int& ox0) {
    img = t / a.tiles_per_img;
    const int r = t - img * a.tiles_per_img, ty = r / a.tiles_x;
    oy0 = ty * TH;
    ox0 = (r - ty * a.tiles_x) * TW;
  };
  // Each warp loads whole rows of the input tile: lane, lane + 32, lane + 64.
  auto load_input = [&](int buf, int t) {
    int img, oy0, ox0;
    tile_origin(t, img, oy0, ox0);
    const int iy0 = 4 * oy0 - 3, ix0 = 4 * ox0 - 3;
    const __half* x_img = a.x + img * a.x_batch_stride;
    unsigned char* dst = sx + buf * kInBytes;
    for (int r = warp; r < IH; r += kWarps) {
      const int iy = iy0 + r;
      const bool row_ok = iy >= 0 && iy < a.in_h;
      const __half* x_row = x_img + int64_t(row_ok ? iy : 0) * a.in_w * a.x_pixel_stride;
#pragma unroll
      for (int c = lane; c < IW; c += 32) {
        const int ix = ix0 + c;
        const bool ok = row_ok && ix >= 0 && ix < a.in_w;
        cp_async8(dst + (r * IW + c) * 8, ok ? x_row + ix * a.x_pixel_stride : a.x, ok);
      }
    }
  };

  // Per-lane shared-memory offsets of the second conv's fragments (the rest are compile-time constants):
  // A: record a_px + kx / 2 of a row's even or odd plane, chunk 2 kk + a_half; B: filter row b_row, chunk 2 kk + b_half.
  const int a_px = lane & 15, a_half = lane >> 4;
  const int b_row = (lane & 7) + ((lane >> 4) << 3), b_half = (lane >> 3) & 1;
  int a_off[2][2], b_off[2];
#pragma unroll
  for (int kk = 0; kk < 2; ++kk) {
#pragma unroll
    for (int k2 = 0; k2 < 2; ++k2) a_off[k2][kk] = swizzled(a_px + k2, 2 * kk + a_half);
    b_off[kk] = swizzled(b_row, 2 * kk + b_half);  // records n2 + nt · 8 + b_row swizzle as b_row does
  }
  const int r0 = 2 * (warp & 3);  // this warp's rows of the second conv's tile
  const unsigned a_base = static_cast<unsigned>(__cvta_generic_to_shared(sm)) + (2 * r0) * 2 * kMidPlane;
  const unsigned b_base = static_cast<unsigned>(__cvta_generic_to_shared(sw)) + n2 * 64;

  if (blockIdx.x < a.tiles) load_input(0, blockIdx.x);
  cp_async_commit();
  for (int i = 0, t = blockIdx.x; t < a.tiles; ++i, t += gridDim.x) {
    const int next = t + gridDim.x;
    if (next < a.tiles) load_input((i + 1) & 1, next);
    cp_async_commit();
    cp_async_wait<1>();  // the filter and this tile's input have landed (for this thread)
    __syncthreads();     // ... and for every thread
    if (next >= a.tiles) allow_successor();
    int img, oy0, ox0;
    tile_origin(t, img, oy0, ox0);
    const int my0 = 2 * oy0 - 1, mx0 = 2 * ox0 - 1;  // the first conv's pixel at (0, 0) of the buffer
    const unsigned char* const X = sx + (i & 1) * kInBytes;

    // 2. The first conv into shared memory. Its filter's B fragments ([ky][n tile][k 0-7 | 8-15]) and bias come
    // from L1 per tile: held across the second conv they would cost it registers.
    unsigned w1[3][4][2];
    float b1[4][2];
#pragma unroll
    for (int nt = 0; nt < 4; ++nt) {
#pragma unroll
      for (int ky = 0; ky < 3; ++ky) {
        const __half* p = a.w1 + (nt * 8 + g) * kDepth1 + ky * 16 + 2 * tq;
        w1[ky][nt][0] = __ldg(reinterpret_cast<const unsigned*>(p));
        w1[ky][nt][1] = __ldg(reinterpret_cast<const unsigned*>(p + 8));
      }
      b1[nt][0] = __ldg(a.b1 + nt * 8 + 2 * tq);
      b1[nt][1] = __ldg(a.b1 + nt * 8 + 2 * tq + 1);
    }
    with_packer(a.act1, [&](const auto& pack) {
      for (int mt = warp; mt < kMidTiles; mt += kWarps) {
        int ly[2], lx[2];
        const unsigned char* src[2];
#pragma unroll
        for (int h = 0; h < 2; ++h) {
          const int p = min(mt * 16 + g + 8 * h, kMidPixels - 1);  // the last tile's spare rows repeat a pixel
          ly[h] = p / MW;
          lx[h] = p - ly[h] * MW;
          // Row g (+ 8): pixel (2 ly + ky, 2 lx + kx); this thread's k pair 2 tq: kx = tq / 2, channels 2 (tq % 2).
          src[h] = X + ((2 * ly[h]) * IW + 2 * lx[h]) * 8 + (tq >> 1) * 8 + (tq & 1) * 4;
        }
        float acc[4][4];
#pragma unroll
        for (int nt = 0; nt < 4; ++nt)
#pragma unroll
          for (int r = 0; r < 4; ++r) acc[nt][r] = b1[nt][r & 1];
#pragma unroll
        for (int ky = 0; ky < 3; ++ky) {
          unsigned af[4];
          af[0] = lds32(src[0] + ky * IW * 8);
          af[1] = lds32(src[1] + ky * IW * 8);
          af[2] = tq < 2 ? lds32(src[0] + ky * IW * 8 + 16) : 0u;  // k 8-11: kx = 2; k 12-15: zero weights
          af[3] = tq < 2 ? lds32(src[1] + ky * IW * 8 + 16) : 0u;
#pragma unroll
          for (int nt = 0; nt < 4; ++nt) mma_f16(acc[nt], af, w1[ky][nt][0], w1[ky][nt][1]);
        }
#pragma unroll
        for (int h = 0; h < 2; ++h) {
          if (mt * 16 + g + 8 * h >= kMidPixels) continue;
          const int my = my0 + ly[h], mx = mx0 + lx[h];
          const bool inside = my >= 0 && my < a.mid_h && mx >= 0 && mx < a.mid_w;
          unsigned char* dst = sm + (ly[h] * 2 + (lx[h] & 1)) * kMidPlane + (lx[h] >> 1) * 64 + tq * 4;
          const int swz = ((lx[h] >> 2) & 3) << 4;  // swizzled(record, nt) with record = lx / 2
#pragma unroll
          for (int nt = 0; nt < 4; ++nt) {
            const unsigned v = pack(acc[nt][2 * h], acc[nt][2 * h + 1]);
            *reinterpret_cast<unsigned*>(dst + ((nt << 4) ^ swz)) = inside ? v : 0u;
          }
        }
      }
    });
    __syncthreads();

    // 3. The second conv from shared memory: rows r0, r0 + 1 of the tile, columns n2 .. n2 + 31; the
    // accumulators start at the bias (from L1).
    float acc[2][4][4];
#pragma unroll
    for (int nt = 0; nt < 4; ++nt)
#pragma unroll
      for (int j = 0; j < 2; ++j) {
        const float b = __ldg(a.b2 + n2 + nt * 8 + 2 * tq + j);
#pragma unroll
        for (int mt = 0; mt < 2; ++mt) acc[mt][nt][j] = acc[mt][nt][j + 2] = b;
      }
#pragma unroll
    for (int tap = 0; tap < 9; ++tap) {
      const int ky = tap / 3, kx = tap - ky * 3;
#pragma unroll
      for (int kk = 0; kk < 2; ++kk) {
        unsigned af[2][4], bf[4][2];
#pragma unroll
        for (int mt = 0; mt < 2; ++mt)  // row 2 (r0 + mt) + ky, column 2 c + kx: plane kx % 2, record c + kx / 2
          ldmatrix_x4(af[mt], a_base + ((2 * mt + ky) * 2 + (kx & 1)) * kMidPlane + a_off[kx >> 1][kk]);
#pragma unroll
        for (int nt = 0; nt < 4; nt += 2) {
          unsigned r[4];
          ldmatrix_x4(r, b_base + (tap * kOutC + nt * 8) * 64 + b_off[kk]);
          bf[nt][0] = r[0]; bf[nt][1] = r[1];
          bf[nt + 1][0] = r[2]; bf[nt + 1][1] = r[3];
        }
#pragma unroll
        for (int mt = 0; mt < 2; ++mt)
#pragma unroll
          for (int nt = 0; nt < 4; ++nt) mma_f16(acc[mt][nt], af[mt], bf[nt][0], bf[nt][1]);
      }
    }
    __half* const y_img = a.y + img * a.y_batch_stride;
    with_packer(a.act2, [&](const auto& pack) {
#pragma unroll
      for (int mt = 0; mt < 2; ++mt)
#pragma unroll
        for (int h = 0; h < 2; ++h) {
          const int oy = oy0 + r0 + mt, ox = ox0 + g + 8 * h;
          if (oy >= a.out_h || ox >= a.out_w) continue;
          unsigned* out = reinterpret_cast<unsigned*>(y_img + (int64_t(oy) * a.out_w + ox) * a.y_pixel_stride + n2 + 2 * tq);
#pragma unroll
          for (int nt = 0; nt < 4; ++nt) out[nt * 4] = pack(acc[mt][nt][2 * h], acc[mt][nt][2 * h + 1]);
        }
    });
    __syncthreads();  // every warp is done with the buffers before the next tile refills them
  }
  cp_async_wait<0>();
#endif
}

bool stride2_3x3(const Layer& l) {
  if (l.type != LayerType::Convolutional) return false;
  const auto& p = l.as<ConvParams>();
  return p.size == 3 && p.stride_x == 2 && p.stride_y == 2 && p.padding == 1 && p.dilation == 1 && p.groups == 1;
}

std::string pair_name(const Layer& first, const Layer& second) {
  return "layers " + std::to_string(first.index) + " + " + std::to_string(second.index) + " (stem convolutions)";
}

}  // namespace

bool StemConv::supports(const Layer& first, const Layer& second, int stored_input_channels, DType dt) {
  if (dt != DType::F16 || !stride2_3x3(first) || !stride2_3x3(second)) return false;
  return first.input_shapes.at(0).c <= kInC && stored_input_channels == kStoredC &&
         first.as<ConvParams>().filters == kMidC && second.inputs.size() == 1 && second.inputs[0] == first.index &&
         second.as<ConvParams>().filters == kOutC && current_device_major() >= 8;
}

StemConv::StemConv(const Layer& first, const Layer& second, int stored_input_channels) {
  if (!supports(first, second, stored_input_channels, DType::F16))
    throw std::invalid_argument(pair_name(first, second) + ": the stem kernel needs two 3x3 stride-2 convs, "
                                "at most 4 input channels stored as 8 (found " + std::to_string(stored_input_channels) +
                                "), 32 then 64 filters, and a GPU of compute capability 8.0 or newer");
  const int c_in = first.input_shapes.at(0).c;
  if (first.weights.size() != size_t(kMidC) * c_in * 9 || first.bias.size() != size_t(kMidC) ||
      second.weights.size() != size_t(kOutC) * kMidC * 9 || second.bias.size() != size_t(kOutC))
    throw std::runtime_error(pair_name(first, second) + ": weights not loaded");
  first_activation_ = first.as<ConvParams>().activation;
  second_activation_ = second.as<ConvParams>().activation;
  mid_h_ = first.output.h;
  mid_w_ = first.output.w;
  // Weights as loaded are [cout][cin][ky][kx].
  std::vector<__half> w1(size_t(kMidC) * kDepth1, __float2half_rn(0.f));
  for (int o = 0; o < kMidC; ++o)
    for (int c = 0; c < c_in; ++c)
      for (int ky = 0; ky < 3; ++ky)
        for (int kx = 0; kx < 3; ++kx)
          w1[size_t(o) * kDepth1 + ky * 16 + kx * 4 + c] = __float2half_rn(first.weights[((size_t(o) * c_in + c) * 3 + ky) * 3 + kx]);
  std::vector<__half> w2(size_t(9) * kOutC * kMidC);
  for (int o = 0; o < kOutC; ++o)
    for (int c = 0; c < kMidC; ++c)
      for (int tap = 0; tap < 9; ++tap)
        w2[(size_t(tap) * kOutC + o) * kMidC + c] = __float2half_rn(second.weights[(size_t(o) * kMidC + c) * 9 + tap]);
  first_weights_ = upload(w1);
  second_weights_ = upload(w2);
  first_bias_ = upload(first.bias);
  second_bias_ = upload(second.bias);
  int dev = 0;
  LN_CUDA(cudaGetDevice(&dev));
  LN_CUDA(cudaDeviceGetAttribute(&multiprocessors_, cudaDevAttrMultiProcessorCount, dev));
  LN_CUDA(cudaFuncSetAttribute(stem_conv_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, kSharedBytes));
  // Two blocks per SM need 2 × 109 KB of the SM's unified L1 / shared memory as shared memory.
  LN_CUDA(cudaFuncSetAttribute(stem_conv_kernel, cudaFuncAttributePreferredSharedMemoryCarveout,
                               cudaSharedmemCarveoutMaxShared));
  LN_CUDA(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&blocks_per_sm_, stem_conv_kernel, kThreads, kSharedBytes));
}

void StemConv::run(const View& in, const View& out, cudaStream_t s) const {
  if (in.pixel_stride != kStoredC || in.batch_stride % kStoredC || reinterpret_cast<uintptr_t>(in.data) % 16 ||
      in.n != out.n || out.c != kOutC || (in.h + 1) / 2 != mid_h_ || (in.w + 1) / 2 != mid_w_ ||
      (mid_h_ + 1) / 2 != out.h || (mid_w_ + 1) / 2 != out.w ||
      out.pixel_stride % 2 || out.batch_stride % 2 || reinterpret_cast<uintptr_t>(out.data) % 4)
    throw std::invalid_argument("stem conv: views do not match the layers (in " + std::to_string(in.h) + "x" +
                                std::to_string(in.w) + " pixel stride " + std::to_string(in.pixel_stride) + ", out " +
                                std::to_string(out.h) + "x" + std::to_string(out.w) + "x" + std::to_string(out.c) +
                                " pixel stride " + std::to_string(out.pixel_stride) + ")");
  StemArgs a;
  a.x = static_cast<const __half*>(in.data);
  a.x_batch_stride = in.batch_stride;
  a.x_pixel_stride = in.pixel_stride;
  a.in_h = in.h; a.in_w = in.w;
  a.mid_h = mid_h_; a.mid_w = mid_w_;
  a.y = static_cast<__half*>(out.data);
  a.y_batch_stride = out.batch_stride;
  a.y_pixel_stride = out.pixel_stride;
  a.out_h = out.h; a.out_w = out.w;
  a.w1 = first_weights_.get<const __half>();
  a.b1 = first_bias_.get<const float>();
  a.w2 = second_weights_.get<const __half>();
  a.b2 = second_bias_.get<const float>();
  a.act1 = first_activation_;
  a.act2 = second_activation_;
  a.tiles_x = (out.w + TW - 1) / TW;
  a.tiles_per_img = a.tiles_x * ((out.h + TH - 1) / TH);
  a.tiles = out.n * a.tiles_per_img;
  // As many blocks as the GPU holds at once, the tiles dealt out in turn. Blocks share SMs, so what bounds the
  // launch is the tiles per SM: dealing 600 tiles to 264 blocks puts at most 5 on an SM, where giving 200 blocks
  // 3 each (an equal share per block) put 6 on the SMs holding two of them and left others with one block.
  const int blocks = std::max(1, std::min(a.tiles, std::max(1, blocks_per_sm_) * multiprocessors_));
  launch_programmatic(stem_conv_kernel, dim3(blocks), dim3(kThreads), size_t(kSharedBytes), s, a);
}

}  // namespace lightnet::cuda
