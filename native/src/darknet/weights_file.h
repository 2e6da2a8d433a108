// darknet .weights files: a header (major, minor, revision, images seen) then, per convolution in layer order,
// biases, [BN scales, rolling means, rolling variances], kernel weights — all little-endian float32.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "darknet/conv_weights.h"
#include "lightnet/network.h"

namespace lightnet::darknet {

struct WeightsHeader {
  int32_t major = 0, minor = 2, revision = 5;  // what current darknet writes
  uint64_t seen = 0;
  // darknet's rule: `seen` is a uint64 when (major*10 + minor) >= 2 and major, minor < 1000, else an int32.
  size_t size_bytes() const;
};

// Reads every convolution's parameters of `net` from `path`. The file must hold exactly the header plus
// net.weights_float_count() floats; otherwise a ModelError states the expected and found byte counts (and,
// when the file is short, the layer where the data runs out). Values are checked to be finite and variances >= 0.
std::vector<DarknetConvWeights> read_weights_file(const Network& net, const std::string& path);

// Writes a .weights file darknet and OpenCV can load. Throws ModelError when the file cannot be written.
void write_weights_file(const std::string& path, const WeightsHeader& header,
                        const std::vector<DarknetConvWeights>& convs);

}  // namespace lightnet::darknet
