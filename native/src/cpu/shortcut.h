// [shortcut]: out = previous layer + each `from` layer, then the shortcut's activation (darknet
// shortcut_cpu: where channel counts differ, only the common channels are added).
#pragma once
#include <vector>

#include "lightnet/network.h"

namespace lightnet::cpu {

// NCHW. inputs[0] is the previous layer, inputs[1..] the `from` layers (shapes in layer.input_shapes).
void shortcut_reference(const Layer& layer, const std::vector<const float*>& inputs, float* out, int batch);

}  // namespace lightnet::cpu
