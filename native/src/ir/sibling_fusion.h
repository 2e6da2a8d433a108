// Horizontal fusion of sibling convolutions, as TensorRT's builder does it: convolutions that read the same
// tensor with the same geometry, activation and filter count become one convolution holding all their filters,
// and the layers that were those convolutions become channel-slice views of it (routes with groups). One launch
// and one pass over the shared input instead of several; the results are the same numbers.
//
// Layer indices stay darknet's: the fused convolution takes the first sibling's index, and that sibling's own
// output moves to the one-input [route] the cfg puts before the next sibling (the ELAN / CSP idiom
// "conv; [route] layers=-2; conv"), which only that sibling read. Siblings without such a route stay apart.
// Where a concat reads all the siblings side by side, the fused filters follow the concat's channel order, so
// that the fused convolution can write straight into the concat's slice (cuda/memory_plan.cpp).
#pragma once
#include <vector>

#include "lightnet/network.h"

namespace lightnet::ir {

struct SiblingFusion {
  int conv = -1;             // index of the fused convolution (the first sibling's)
  std::vector<int> members;  // the original convolutions, in the fused filters' channel order
  std::vector<int> views;    // per member, the layer index that now holds its output (a channel-slice route)
};

// Rewrites `net` (weights attached) in place and returns what it fused. Convolutions with groups, feeding a
// head, or with unequal parameters or filter counts are left alone.
std::vector<SiblingFusion> fuse_sibling_convs(Network& net);

}  // namespace lightnet::ir
