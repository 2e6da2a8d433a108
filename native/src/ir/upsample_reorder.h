// A 1x1 stride-1 convolution computes each output pixel from the same input pixel alone, so one that reads a
// nearest-neighbour upsample gives the same numbers when it runs before the upsample: on the small map, with
// stride² fewer multiply-adds, and the upsample then copies fewer channels where the conv narrows them. The
// LightNet segmentation decoder has two (upsample ×2 → 1x1 conv, at 320x240 and 640x480).
//
// Layer indices stay darknet's: the upsample's index becomes the convolution (reading the upsample's input),
// the convolution's index the upsample of it, so every later layer reads what it read before.
#pragma once
#include <vector>

#include "lightnet/network.h"

namespace lightnet::ir {

struct UpsampleSwap {
  int upsample = -1;  // index of the upsample as loaded, now the convolution
  int conv = -1;      // index of the convolution as loaded, now the upsample
};

// Swaps every [upsample] read only by a 1x1 stride-1 convolution (no head, padding 0) with that convolution.
std::vector<UpsampleSwap> move_pointwise_convs_before_upsamples(Network& net);

}  // namespace lightnet::ir
