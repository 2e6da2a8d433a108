// [route] on NCHW: concatenation along channels of the listed layers, each optionally reduced to its channel
// slice group_id of `groups` (darknet's route groups).
#pragma once
#include <vector>

#include "lightnet/network.h"

namespace lightnet::cpu {

// inputs[i] holds batch × layer.input_shapes[i]; out holds batch × layer.output.
void route_reference(const Layer& layer, const std::vector<const float*>& inputs, float* out, int batch);

}  // namespace lightnet::cpu
