// Host pre-processing: pixel formats, image validation and the network input blob.
//
// preprocess_cpu reproduces cv::dnn::blobFromImage(img, 1/255., size, 0, swapRB=true) on an 8-bit image:
// OpenCV resizes the uint8 image with INTER_LINEAR *before* converting to float, using 11-bit fixed-point
// weights (INTER_RESIZE_COEF_BITS). We do the same, bit for bit with OpenCV 4.x's SSE2 build:
//   - taps: source coordinate (d + 0.5) * scale - 0.5 in float; horizontally clamped to the edge pixel with
//     weight 1, vertically the two source rows are clipped to the image but keep their fractional weights;
//   - horizontal pass: exact integer sums src * round(alpha * 2048);
//   - vertical pass: OpenCV's SIMD kernel (VResizeLinearVec_32s8u) computes
//     ((S0 >> 4) * b0 >> 16) + ((S1 >> 4) * b1 >> 16) + 2 >> 2 for all but the last few elements of a row,
//     which its scalar loop rounds as (S0 * b0 + S1 * b1 + 2^21) >> 22. Both are reproduced, including
//     where the SIMD loop stops (16 lanes per step over aligned rows, then 8, tail scalar).
// OpenCV turns an exact 2x downscale into INTER_AREA, which gives the same numbers as this path.
// test_preprocess.cpp compares against cv2.dnn.blobFromImage at test time (identical floats expected).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "lightnet/image.h"

namespace lightnet {

PixelFormat parse_pixel_format(const std::string& encoding) {
  if (encoding == "bgr8") return PixelFormat::BGR8;
  if (encoding == "rgb8") return PixelFormat::RGB8;
  if (encoding == "bgra8") return PixelFormat::BGRA8;
  if (encoding == "rgba8") return PixelFormat::RGBA8;
  if (encoding == "mono8") return PixelFormat::MONO8;
  throw std::invalid_argument("pixel format: '" + encoding +
                              "' is not supported (expected one of bgr8, rgb8, bgra8, rgba8, mono8)");
}

const char* to_string(PixelFormat f) {
  switch (f) {
    case PixelFormat::BGR8: return "bgr8";
    case PixelFormat::RGB8: return "rgb8";
    case PixelFormat::BGRA8: return "bgra8";
    case PixelFormat::RGBA8: return "rgba8";
    case PixelFormat::MONO8: return "mono8";
  }
  return "unknown";
}

int channels_of(PixelFormat f) {
  switch (f) {
    case PixelFormat::BGR8:
    case PixelFormat::RGB8: return 3;
    case PixelFormat::BGRA8:
    case PixelFormat::RGBA8: return 4;
    case PixelFormat::MONO8: return 1;
  }
  throw std::invalid_argument("pixel format: invalid enum value " + std::to_string(int(f)));
}

void validate(const ImageView& image) {
  int fmt = int(image.format);
  if (fmt < int(PixelFormat::BGR8) || fmt > int(PixelFormat::MONO8))
    throw std::invalid_argument("image format: invalid value " + std::to_string(fmt) +
                                " (expected bgr8, rgb8, bgra8, rgba8 or mono8)");
  if (image.width <= 0 || image.height <= 0)
    throw std::invalid_argument("image size: expected width and height > 0, found " + std::to_string(image.width) +
                                "x" + std::to_string(image.height));
  if (!image.data) throw std::invalid_argument("image data: null pointer");
  size_t row = size_t(image.width) * channels_of(image.format);
  if (image.step < row)
    throw std::invalid_argument("image step: expected >= " + std::to_string(row) + " bytes (width " +
                                std::to_string(image.width) + " x " + std::to_string(channels_of(image.format)) +
                                " channels), found " + std::to_string(image.step));
}

namespace {

constexpr int kCoefBits = 11;
constexpr int kCoefScale = 1 << kCoefBits;

// One output coordinate's source index and fixed-point weights, as cv::resize computes them for INTER_LINEAR.
struct Tap {
  int src;          // first source index (the second is src + 1; both clipped to the image)
  int w0, w1;       // weights, sum 2048
};

// OpenCV clamps the horizontal taps at the borders (weight 1 on the edge pixel) but not the vertical ones: there
// the source rows are clipped to the image while the weights keep their fraction (same value, other rounding).
std::vector<Tap> linear_taps(int src_size, int dst_size, bool clamp_weights) {
  std::vector<Tap> taps(dst_size);
  double scale = double(src_size) / dst_size;  // 1 / inv_scale, as OpenCV
  for (int d = 0; d < dst_size; ++d) {
    float f = float((d + 0.5) * scale - 0.5);
    int s = int(std::floor(f));
    f -= s;
    if (clamp_weights) {
      if (s < 0) f = 0, s = 0;
      if (s >= src_size - 1) f = 0, s = src_size - 1;
    }
    int w0 = int(std::lrint((1.f - f) * kCoefScale));
    int w1 = int(std::lrint(f * kCoefScale));
    taps[d] = {s, std::clamp(w0, -32768, 32767), std::clamp(w1, -32768, 32767)};
  }
  return taps;
}

inline uint8_t sat_u8(int v) { return uint8_t(std::clamp(v, 0, 255)); }
inline int mulhi16(int a, int b) { return (int16_t(std::clamp(a, -32768, 32767)) * b) >> 16; }

// Vertical blend of two horizontally resized rows into uint8, exactly as OpenCV's SSE2 path rounds.
void blend_rows(const int* s0, const int* s1, int b0, int b1, uint8_t* dst, int width) {
  int x = 0;
  for (; x <= width - 16; x += 16) {}
  for (; x < width - 8; x += 8) {}
  int simd_end = x;
  for (x = 0; x < simd_end; ++x)
    dst[x] = sat_u8((mulhi16(s0[x] >> 4, b0) + mulhi16(s1[x] >> 4, b1) + 2) >> 2);
  for (; x < width; ++x) dst[x] = sat_u8((s0[x] * b0 + s1[x] * b1 + (1 << 21)) >> 22);
}

// Source pixel → RGB (or gray) channel offsets within one pixel.
void channel_map(PixelFormat f, int out_channels, int map[3]) {
  switch (f) {
    case PixelFormat::BGR8:
    case PixelFormat::BGRA8: map[0] = 2, map[1] = 1, map[2] = 0; break;
    case PixelFormat::RGB8:
    case PixelFormat::RGBA8: map[0] = 0, map[1] = 1, map[2] = 2; break;
    case PixelFormat::MONO8: map[0] = map[1] = map[2] = 0; break;
  }
  if (out_channels == 1 && f != PixelFormat::MONO8)
    throw std::invalid_argument("preprocess: a 1-channel network needs a mono8 image, found " +
                                std::string(to_string(f)));
}

}  // namespace

void preprocess_cpu(const ImageView& image, const Shape& input, float* dst) {
  validate(image);
  if (input.c != 1 && input.c != 3)
    throw std::invalid_argument("preprocess: network input channels: expected 1 or 3, found " +
                                std::to_string(input.c));
  const int cn = channels_of(image.format);
  int map[3];
  channel_map(image.format, input.c, map);
  const int W = input.w, H = input.h;
  const size_t plane = size_t(W) * H;
  const float scale = 1.f / 255.f;

  // Resized interleaved uint8 image (all source channels, as OpenCV resizes the whole Mat).
  std::vector<uint8_t> resized;
  const uint8_t* rows;
  size_t row_step;
  if (image.width == W && image.height == H) {
    rows = image.data;
    row_step = image.step;
  } else {
    resized.resize(plane * cn);
    std::vector<Tap> tx = linear_taps(image.width, W, true), ty = linear_taps(image.height, H, false);
    const int row_len = W * cn;
    // Output rows in contiguous chunks, one per thread; each chunk keeps its own two horizontally resized
    // source rows (consecutive output rows mostly reuse them).
#pragma omp parallel
    {
      std::vector<int> h0(row_len), h1(row_len);
      auto hresize = [&](int sy, int* out) {
        const uint8_t* s = image.data + size_t(sy) * image.step;
        for (int x = 0; x < W; ++x) {
          const Tap& t = tx[x];
          int s1 = std::min(t.src + 1, image.width - 1);
          for (int c = 0; c < cn; ++c)
            out[x * cn + c] = s[t.src * cn + c] * t.w0 + (t.w1 ? s[s1 * cn + c] * t.w1 : 0);
        }
      };
      int r0 = -1, r1 = -1;  // source rows currently held in h0 / h1
#pragma omp for schedule(static)
      for (int y = 0; y < H; ++y) {
        const Tap& t = ty[y];
        int sy0 = std::clamp(t.src, 0, image.height - 1), sy1 = std::clamp(t.src + 1, 0, image.height - 1);
        if (r0 != sy0) {
          if (r1 == sy0) std::swap(h0, h1), std::swap(r0, r1);
          else hresize(sy0, h0.data()), r0 = sy0;
        }
        if (r1 != sy1) hresize(sy1, h1.data()), r1 = sy1;
        blend_rows(h0.data(), h1.data(), t.w0, t.w1, resized.data() + size_t(y) * row_len, row_len);
      }
    }
    rows = resized.data();
    row_step = size_t(row_len);
  }

  const int planes_rows = input.c * H;
#pragma omp parallel for schedule(static)
  for (int cy = 0; cy < planes_rows; ++cy) {
    const int c = cy / H, y = cy % H;
    const uint8_t* s = rows + y * row_step + map[c];
    float* o = dst + c * plane + size_t(y) * W;
    for (int x = 0; x < W; ++x) o[x] = float(s[x * cn]) * scale;
  }
}

}  // namespace lightnet
