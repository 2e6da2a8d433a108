// Two chained 3×3 stride-1 convs in one kernel (conv_pair.h). Persistent blocks walk over TH × 16 tiles of the
// second conv's output with every channel (C = 32 or 64); both filters sit in shared memory for the whole kernel.
// Per tile:
// 1. The input tile, (TH + 4) × 20 pixels × C channels, lands in shared memory by cp.async (while the previous
//    tile's second conv runs: the buffer is free once the first conv has read it).
// 2. The first conv's (TH + 2) × 18 outputs under the tile: an implicit GEMM of those pixels, flattened and cut
//    into units of 32 pixels × 32 channels, one warp per unit; ldmatrix takes any row addresses, so the A rows are
//    simply the pixels' places in the input tile. Bias, activation, FP16 rounding, and zeros where a pixel lies
//    outside the map (the second conv's padding) go into shared memory.
// 3. The second conv from there: units of 2 output rows × 16 pixels × 32 channels. Bias, activation, one 32-bit
//    store per channel pair.
// Pixel rows in shared memory are 2 C + 16 bytes apart, which keeps ldmatrix and the epilogue's stores free of
// bank conflicts for consecutive pixels. Filter rows are 2 C bytes with their 16-byte chunks XOR-swizzled
// instead (swizzle_key()): without the padding, 64-channel filters leave room for 10-row tiles, 32-channel ones for
// 20-row tiles at two blocks per SM, whose fewer tiles fit the GPU in one round (160x120 in 10-row tiles: 120
// tiles for 132 SMs; 320x240 in 20-row tiles: 240 for 264 places).
#include "cuda/conv_pair.h"

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

template <int C, int TH>
struct Tile {
  static constexpr int TW = 16, IH = TH + 4, IW = TW + 4, MH = TH + 2, MW = TW + 2;
  static constexpr int P = 2 * C + 16;  // bytes per pixel in shared memory
  static constexpr int kFilterBytes = 9 * C * 2 * C;
  static constexpr int kInBytes = IH * IW * P, kMidBytes = MH * MW * P;
  static constexpr int kSharedBytes = 2 * kFilterBytes + kInBytes + kMidBytes;
  static constexpr int kMidPixels = MH * MW;
  static constexpr int kGroups = C / 32;  // 32-channel column groups
  static constexpr int kUnits1 = (kMidPixels + 31) / 32 * kGroups, kUnits2 = TH / 2 * kGroups;
  static constexpr int kChunks = C / 8;  // 16-byte chunks per pixel
};

// Chunk `chunk` (16 bytes) of filter row `row` (2 C bytes) sits at chunk position chunk ^ key(row), so that the 8
// consecutive rows an ldmatrix reads hit 8 different bank groups: with 128-byte rows the key is row mod 8; with
// 64-byte rows (two per 128 bytes) it is (row / 2) mod 4.
template <int C>
__device__ __forceinline__ int swizzle_key(int row) { return C == 64 ? (row & 7) : ((row >> 1) & 3); }

struct PairArgs {
  const __half* x;
  int64_t x_batch_stride;
  int x_pixel_stride;
  __half* y;
  int64_t y_batch_stride;
  int y_pixel_stride;
  int height, width;   // of all three maps
  const __half* filters;  // [conv][tap][cout][cin]
  const float* bias;      // [conv][cout]
  Activation act1, act2;
  int tiles_x, tiles_per_img, tiles;
};

// 32 pixels × 32 channels of a 3×3 conv over a shared-memory map of `pitch_px` pixels per row: `a_addr` are the
// lane's ldmatrix row addresses of the two m16 tiles at tap (0, 0), `b_addr` its filter row's address at tap 0
// and `b_off` its swizzled chunk offsets per k step; the accumulators arrive holding the bias.
template <int C, int P>
__device__ __forceinline__ void conv_unit(float (&acc)[2][4][4], const unsigned (&a_addr)[2], unsigned b_addr,
                                          const int (&b_off)[C / 16], int pitch_px) {
#pragma unroll
  for (int tap = 0; tap < 9; ++tap) {
    const int ky = tap / 3, kx = tap - ky * 3;
    const unsigned a_tap = (ky * pitch_px + kx) * P, b_tap = b_addr + tap * C * 2 * C;
#pragma unroll
    for (int kk = 0; kk < C / 16; ++kk) {
      unsigned af[2][4], bf[4][2];
#pragma unroll
      for (int mt = 0; mt < 2; ++mt) ldmatrix_x4(af[mt], a_addr[mt] + a_tap + kk * 32);
#pragma unroll
      for (int nt = 0; nt < 4; nt += 2) {
        unsigned r[4];
        ldmatrix_x4(r, b_tap + nt * 8 * 2 * C + b_off[kk]);
        bf[nt][0] = r[0]; bf[nt][1] = r[1];
        bf[nt + 1][0] = r[2]; bf[nt + 1][1] = r[3];
      }
#pragma unroll
      for (int mt = 0; mt < 2; ++mt)
#pragma unroll
        for (int nt = 0; nt < 4; ++nt) mma_f16(acc[mt][nt], af[mt], bf[nt][0], bf[nt][1]);
    }
  }
}

// The accumulators of a 32 × 32 unit start at its columns' bias (this lane's: 2 tq, 2 tq + 1 of each n tile).
__device__ __forceinline__ void start_at_bias(float (&acc)[2][4][4], const float* bias, int tq) {
#pragma unroll
  for (int nt = 0; nt < 4; ++nt)
#pragma unroll
    for (int j = 0; j < 2; ++j) {
      const float b = __ldg(bias + nt * 8 + 2 * tq + j);
      acc[0][nt][j] = acc[0][nt][j + 2] = acc[1][nt][j] = acc[1][nt][j + 2] = b;
    }
}

template <int C, int TH, int kWarps, int kMinBlocks>
__global__ void __launch_bounds__(kWarps * 32, kMinBlocks) conv_pair_kernel(const PairArgs a) {
#if __CUDA_ARCH__ >= 800
  using T = Tile<C, TH>;
  constexpr int kThreads = kWarps * 32, P = T::P;
  extern __shared__ __align__(16) unsigned char smem[];
  unsigned char* const sx = smem + 2 * T::kFilterBytes;  // the input tile, [IH][IW]
  unsigned char* const sm = sx + T::kInBytes;            // the first conv's outputs, [MH][MW]
  const unsigned w_base = static_cast<unsigned>(__cvta_generic_to_shared(smem));  // [conv][tap][cout]
  const unsigned x_base = w_base + 2 * T::kFilterBytes, m_base = x_base + T::kInBytes;
  const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5, g = lane >> 2, tq = lane & 3;

  // The filters first: they do not depend on the previous kernel.
  for (int idx = tid; idx < 2 * 9 * C * T::kChunks; idx += kThreads) {
    const int row = idx / T::kChunks, chunk = idx - row * T::kChunks;  // row = (conv · 9 + tap) · C + cout
    cp_async16(smem + row * 2 * C + ((chunk ^ swizzle_key<C>(row)) << 4), a.filters + row * C + chunk * 8, true);
  }
  cp_async_commit();
  wait_for_predecessor();

  auto tile_origin = [&](int t, int& img, int& oy0, int& ox0) {
    img = t / a.tiles_per_img;
    const int r = t - img * a.tiles_per_img, ty = r / a.tiles_x;
    oy0 = ty * TH;
    ox0 = (r - ty * a.tiles_x) * T::TW;
  };
  auto load_input = [&](int t) {
    int img, oy0, ox0;
    tile_origin(t, img, oy0, ox0);
    const __half* x_img = a.x + img * a.x_batch_stride;
#pragma unroll 2
    for (int idx = tid; idx < T::IH * T::IW * T::kChunks; idx += kThreads) {
      const int r = idx / T::kChunks, chunk = idx - r * T::kChunks;
      const int hy = r / T::IW, hx = r - hy * T::IW;
      const int iy = oy0 - 2 + hy, ix = ox0 - 2 + hx;
      const bool ok = iy >= 0 && iy < a.height && ix >= 0 && ix < a.width;
      const __half* src = ok ? x_img + (int64_t(iy) * a.width + ix) * a.x_pixel_stride + chunk * 8 : a.x;
      cp_async16(sx + r * P + chunk * 16, src, ok);
    }
  };

  const int a_px = lane & 15, a_half = (lane >> 4) * 16;  // ldmatrix: A row, k half; B row, its chunk per k step
  const int b_row = (lane & 7) + ((lane >> 4) << 3), b_half = (lane >> 3) & 1;
  int b_off[C / 16];  // (every B row base is a multiple of 8, so the key is b_row's)
#pragma unroll
  for (int kk = 0; kk < C / 16; ++kk) b_off[kk] = ((2 * kk + b_half) ^ swizzle_key<C>(b_row)) << 4;

  if (blockIdx.x < a.tiles) load_input(blockIdx.x);
  cp_async_commit();
  for (int t = blockIdx.x; t < a.tiles; t += gridDim.x) {
    cp_async_wait<0>();  // the filters and this tile's input have landed (for this thread)
    __syncthreads();     // ... for every thread, and the previous tile's second conv is done with `sm`
    const int next = t + gridDim.x;
    if (next >= a.tiles) allow_successor();
    int img, oy0, ox0;
    tile_origin(t, img, oy0, ox0);

    // 2. The first conv into shared memory.
    with_packer(a.act1, [&](const auto& pack) {
#pragma unroll 1
      for (int u = warp; u < T::kUnits1; u += kWarps) {
        const int px0 = u / T::kGroups * 32, n0 = (u % T::kGroups) * 32;
        unsigned a_addr[2];
#pragma unroll
        for (int mt = 0; mt < 2; ++mt) {
          const int p = min(px0 + mt * 16 + a_px, T::kMidPixels - 1);  // spare rows repeat the last pixel
          const int my = p / T::MW, mx = p - my * T::MW;
          a_addr[mt] = x_base + (my * T::IW + mx) * P + a_half;
        }
        float acc[2][4][4];
        start_at_bias(acc, a.bias + n0, tq);
        conv_unit<C, P>(acc, a_addr, w_base + (n0 + b_row) * 2 * C, b_off, T::IW);
#pragma unroll
        for (int mt = 0; mt < 2; ++mt)
#pragma unroll
          for (int h = 0; h < 2; ++h) {
            const int p = px0 + mt * 16 + g + 8 * h;
            if (p >= T::kMidPixels) continue;
            const int my = p / T::MW, mx = p - my * T::MW;
            const int iy = oy0 - 1 + my, ix = ox0 - 1 + mx;
            const bool inside = iy >= 0 && iy < a.height && ix >= 0 && ix < a.width;
            unsigned* dst = reinterpret_cast<unsigned*>(sm + p * P + (n0 + 2 * tq) * 2);
#pragma unroll
            for (int nt = 0; nt < 4; ++nt) dst[nt * 4] = inside ? pack(acc[mt][nt][2 * h], acc[mt][nt][2 * h + 1]) : 0u;
          }
      }
    });
    __syncthreads();  // `sm` is complete, and `sx` is free for the next tile
    if (next < a.tiles) load_input(next);
    cp_async_commit();

    // 3. The second conv from shared memory.
    __half* const y_img = a.y + img * a.y_batch_stride;
    with_packer(a.act2, [&](const auto& pack) {
#pragma unroll 1
      for (int u = warp; u < T::kUnits2; u += kWarps) {
        const int r0 = u / T::kGroups * 2, n0 = (u % T::kGroups) * 32;
        unsigned a_addr[2];
#pragma unroll
        for (int mt = 0; mt < 2; ++mt) a_addr[mt] = m_base + ((r0 + mt) * T::MW + a_px) * P + a_half;
        float acc[2][4][4];
        start_at_bias(acc, a.bias + C + n0, tq);
        conv_unit<C, P>(acc, a_addr, w_base + (9 * C + n0 + b_row) * 2 * C, b_off, T::MW);
#pragma unroll
        for (int mt = 0; mt < 2; ++mt)
#pragma unroll
          for (int h = 0; h < 2; ++h) {
            const int oy = oy0 + r0 + mt, ox = ox0 + g + 8 * h;
            if (oy >= a.height || ox >= a.width) continue;
            unsigned* out =
                reinterpret_cast<unsigned*>(y_img + (int64_t(oy) * a.width + ox) * a.y_pixel_stride + n0 + 2 * tq);
#pragma unroll
            for (int nt = 0; nt < 4; ++nt) out[nt * 4] = pack(acc[mt][nt][2 * h], acc[mt][nt][2 * h + 1]);
          }
      }
    });
  }
  cp_async_wait<0>();
#endif
}

using Kernel = void (*)(PairArgs);
struct Variant {
  const char* name;
  int channels, rows, threads, shared_bytes;
  Kernel kernel;
};
template <int C, int TH, int kWarps, int kMinBlocks>
Variant variant(const char* name) {
  return {name, C, TH, kWarps * 32, Tile<C, TH>::kSharedBytes, conv_pair_kernel<C, TH, kWarps, kMinBlocks>};
}
// Per channel count, ConvPair::kVariants tile shapes. 32 channels: 93 / 104 KB of shared memory, two blocks per
// SM; 64: 214 / 182 KB, one (10 warps for the 10-row tile: one per unit of its second conv).
const Variant& variant_at(int channels, int v) {
  static const Variant table[2][ConvPair::kVariants] = {
      {variant<32, 16, 8, 2>("pair 16x16x32"), variant<32, 20, 8, 2>("pair 20x16x32")},
      {variant<64, 10, 10, 1>("pair 10x16x64"), variant<64, 4, 8, 1>("pair 4x16x64")}};
  if (v < 0 || v >= ConvPair::kVariants || (channels != 32 && channels != 64))
    throw std::invalid_argument("conv pair: no variant " + std::to_string(v) + " for " + std::to_string(channels) +
                                " channels");
  return table[channels == 64][v];
}

bool plain_3x3(const Layer& l) {
  if (l.type != LayerType::Convolutional) return false;
  const auto& p = l.as<ConvParams>();
  return p.size == 3 && p.stride_x == 1 && p.stride_y == 1 && p.padding == 1 && p.dilation == 1 && p.groups == 1;
}

}  // namespace

bool ConvPair::supports(const Layer& first, const Layer& second, DType dt) {
  if (dt != DType::F16 || !plain_3x3(first) || !plain_3x3(second)) return false;
  const int c = first.as<ConvParams>().filters;
  return (c == 32 || c == 64) && first.input_shapes.at(0).c == c && second.as<ConvParams>().filters == c &&
         second.inputs.size() == 1 && second.inputs[0] == first.index && current_device_major() >= 8;
}

ConvPair::ConvPair(const Layer& first, const Layer& second)
    : name_("layers " + std::to_string(first.index) + " + " + std::to_string(second.index)) {
  if (!supports(first, second, DType::F16))
    throw std::invalid_argument(name_ + ": a conv pair kernel needs two 3x3 stride-1 convs (padding 1, no dilation, "
                                "one group) of 32 -> 32 -> 32 or 64 -> 64 -> 64 channels, the second reading the "
                                "first only, and a GPU of compute capability 8.0 or newer");
  const int c = channels_ = first.as<ConvParams>().filters;
  const size_t per_conv = size_t(9) * c * c;
  if (first.weights.size() != per_conv || second.weights.size() != per_conv || first.bias.size() != size_t(c) ||
      second.bias.size() != size_t(c))
    throw std::runtime_error(name_ + ": weights not loaded");
  first_activation_ = first.as<ConvParams>().activation;
  second_activation_ = second.as<ConvParams>().activation;
  // Weights as loaded are [cout][cin][ky][kx]; the kernel's are [conv][tap][cout][cin].
  std::vector<__half> w(2 * per_conv);
  std::vector<float> b(2 * size_t(c));
  const Layer* convs[2] = {&first, &second};
  for (int k = 0; k < 2; ++k) {
    for (int o = 0; o < c; ++o)
      for (int i = 0; i < c; ++i)
        for (int tap = 0; tap < 9; ++tap)
          w[k * per_conv + (size_t(tap) * c + o) * c + i] = __float2half_rn(convs[k]->weights[(size_t(o) * c + i) * 9 + tap]);
    std::copy(convs[k]->bias.begin(), convs[k]->bias.end(), b.begin() + k * c);
  }
  weights_ = upload(w);
  bias_ = upload(b);
  int dev = 0;
  LN_CUDA(cudaGetDevice(&dev));
  LN_CUDA(cudaDeviceGetAttribute(&multiprocessors_, cudaDevAttrMultiProcessorCount, dev));
  for (int v = 0; v < kVariants; ++v) {
    const Variant& k = variant_at(c, v);
    LN_CUDA(cudaFuncSetAttribute(k.kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, k.shared_bytes));
    LN_CUDA(cudaFuncSetAttribute(k.kernel, cudaFuncAttributePreferredSharedMemoryCarveout, cudaSharedmemCarveoutMaxShared));
    LN_CUDA(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&blocks_per_sm_[v], k.kernel, k.threads, k.shared_bytes));
  }
}

std::string ConvPair::variant_name(int v) const { return variant_at(channels_, v).name; }
int ConvPair::blocks_per_sm(int v) const { return blocks_per_sm_[std::clamp(v, 0, kVariants - 1)]; }

bool ConvPair::fits(const View& in, const View& out) const {
  return in.c == channels_ && out.c == channels_ && in.n == out.n && in.h == out.h && in.w == out.w &&
         in.pixel_stride % 8 == 0 && in.batch_stride % 8 == 0 && reinterpret_cast<uintptr_t>(in.data) % 16 == 0 &&
         out.pixel_stride % 2 == 0 && out.batch_stride % 2 == 0 && reinterpret_cast<uintptr_t>(out.data) % 4 == 0;
}

void ConvPair::run(int v, const View& in, const View& out, cudaStream_t s) const {
  const Variant& k = variant_at(channels_, v);
  if (!fits(in, out))
    throw std::invalid_argument(name_ + " (conv pair): views do not match the layers (in " + std::to_string(in.h) +
                                "x" + std::to_string(in.w) + "x" + std::to_string(in.c) + " pixel stride " +
                                std::to_string(in.pixel_stride) + ", out " + std::to_string(out.h) + "x" +
                                std::to_string(out.w) + "x" + std::to_string(out.c) + " pixel stride " +
                                std::to_string(out.pixel_stride) + ", " + std::to_string(channels_) + " channels)");
  PairArgs a;
  a.x = static_cast<const __half*>(in.data);
  a.x_batch_stride = in.batch_stride;
  a.x_pixel_stride = in.pixel_stride;
  a.y = static_cast<__half*>(out.data);
  a.y_batch_stride = out.batch_stride;
  a.y_pixel_stride = out.pixel_stride;
  a.height = out.h;
  a.width = out.w;
  a.filters = weights_.get<const __half>();
  a.bias = bias_.get<const float>();
  a.act1 = first_activation_;
  a.act2 = second_activation_;
  a.tiles_x = (out.w + 15) / 16;
  a.tiles_per_img = a.tiles_x * ((out.h + k.rows - 1) / k.rows);
  a.tiles = out.n * a.tiles_per_img;
  if (a.tiles == 0) return;
  // As many blocks as the GPU holds at once, the tiles dealt out in turn (as the stem kernel, stem_conv.cu).
  const int blocks = std::max(1, std::min(a.tiles, std::max(1, blocks_per_sm_[v]) * multiprocessors_));
  launch_programmatic(k.kernel, dim3(blocks), dim3(k.threads), size_t(k.shared_bytes), s, a);
}

}  // namespace lightnet::cuda
