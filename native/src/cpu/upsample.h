// [upsample]: nearest neighbour. Works on NCHW (lanes = 1) and on channel-blocked layouts such as oneDNN's
// nChw16c (lanes = 16, planes = channel blocks), where each pixel is a vector of `lanes` floats.
#pragma once
#include <cstddef>

namespace lightnet::cpu {

// src: planes × h × w × lanes; dst: planes × (h·stride) × (w·stride) × lanes.
void upsample_nearest(const float* src, float* dst, size_t planes, int h, int w, int stride, int lanes);

}  // namespace lightnet::cpu
