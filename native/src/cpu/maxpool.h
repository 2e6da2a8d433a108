// [maxpool] with darknet's padding: the window starts at -padding/2; out-of-image taps are ignored; output size
// (in + padding - size) / stride + 1. NCHW (lanes = 1) or channel-blocked (lanes = 16) like upsample.h.
#pragma once
#include <cstddef>

#include "lightnet/network.h"

namespace lightnet::cpu {

void maxpool(const MaxpoolParams& p, const float* src, float* dst, size_t planes, int h, int w, int oh, int ow,
             int lanes);

}  // namespace lightnet::cpu
