#include "cpu/maxpool.h"

#include <algorithm>
#include <cfloat>

namespace lightnet::cpu {

void maxpool(const MaxpoolParams& p, const float* src, float* dst, size_t planes, int h, int w, int oh, int ow,
             int lanes) {
  const int off = -p.padding / 2;
  const long long rows = (long long)planes * oh;
#pragma omp parallel for schedule(static)
  for (long long r = 0; r < rows; ++r) {
    const size_t plane = size_t(r / oh);
    const int oy = int(r % oh);
    const float* s = src + plane * h * size_t(w) * lanes;
    float* d = dst + size_t(r) * ow * lanes;
    const int y0 = std::max(0, off + oy * p.stride_y), y1 = std::min(h, off + oy * p.stride_y + p.size);
    for (int ox = 0; ox < ow; ++ox) {
      const int x0 = std::max(0, off + ox * p.stride_x), x1 = std::min(w, off + ox * p.stride_x + p.size);
      float* o = d + size_t(ox) * lanes;
      std::fill(o, o + lanes, -FLT_MAX);
      for (int y = y0; y < y1; ++y)
        for (int x = x0; x < x1; ++x) {
          const float* v = s + (size_t(y) * w + x) * lanes;
          for (int l = 0; l < lanes; ++l) o[l] = std::max(o[l], v[l]);
        }
    }
  }
}

}  // namespace lightnet::cpu
