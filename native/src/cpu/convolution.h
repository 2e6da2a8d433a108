// [convolutional], portable reference: direct convolution on NCHW floats (groups, stride, dilation, padding),
// bias and activation. The per-op reference for the oneDNN path and the fallback without oneDNN.
#pragma once
#include "lightnet/network.h"

namespace lightnet::cpu {

// in: batch × layer.input_shapes[0]; out: batch × layer.output. layer.weights/bias must be loaded.
void convolution_reference(const Layer& layer, const float* in, float* out, int batch);

}  // namespace lightnet::cpu
