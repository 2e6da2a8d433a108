#include "cpu/upsample.h"

#include <cstring>

namespace lightnet::cpu {

void upsample_nearest(const float* src, float* dst, size_t planes, int h, int w, int stride, int lanes) {
  const int oh = h * stride, ow = w * stride;
  const long long rows = (long long)planes * oh;
#pragma omp parallel for schedule(static)
  for (long long r = 0; r < rows; ++r) {
    const size_t plane = size_t(r / oh);
    const int oy = int(r % oh);
    const float* s = src + (plane * h + oy / stride) * size_t(w) * lanes;
    float* d = dst + size_t(r) * ow * lanes;
    if (lanes == 1) {
      for (int ox = 0; ox < ow; ++ox) d[ox] = s[ox / stride];
    } else {
      for (int ox = 0; ox < ow; ++ox) std::memcpy(d + size_t(ox) * lanes, s + size_t(ox / stride) * lanes,
                                                  sizeof(float) * lanes);
    }
  }
}

}  // namespace lightnet::cpu
