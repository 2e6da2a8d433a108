// One builder per darknet section type: reads the section's keys into the layer's params (validating each
// value), resolves the layers it reads, infers its output shape and counts its flops.
#pragma once
#include <vector>

#include "darknet/cfg_reader.h"
#include "lightnet/network.h"

namespace lightnet::ir {

// Bounds on cfg integers (channels, sizes, strides, groups) and on kernel sizes, far above any real network, so
// that every shape and weight count fits its integer type.
constexpr int kMaxDimension = 1 << 20;
constexpr int kMaxKernel = 1024;

// `built` holds layers 0..index-1; `input` is the network input shape (used by layer 0).
// Throws ModelError naming the section's file and the offending line.
Layer build_layer(const darknet::CfgSection& section, int index, const std::vector<Layer>& built, const Shape& input);

// Parses an activation name as darknet spells it; throws ModelError listing the valid ones.
Activation parse_activation(const darknet::CfgSection& section, const std::string& key, const std::string& fallback);

}  // namespace lightnet::ir
