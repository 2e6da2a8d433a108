// One convolution's parameters exactly as a darknet .weights file stores them (the ModelBin seam: the file
// reader and the random generator both produce these; attach_conv_weights folds them into the IR).
#pragma once
#include <cstdint>
#include <vector>

#include "lightnet/network.h"

namespace lightnet::darknet {

struct DarknetConvWeights {
  std::vector<float> biases;            // [filters]
  std::vector<float> scales;            // [filters], batch_normalize only
  std::vector<float> rolling_mean;      // [filters], batch_normalize only
  std::vector<float> rolling_variance;  // [filters], batch_normalize only
  std::vector<float> weights;           // [filters][c/groups][size][size]
};

// Floats of each part for conv layer `l`, in file order.
struct ConvWeightCounts {
  int64_t biases = 0, bn_each = 0, weights = 0;
  int64_t total() const { return biases + 3 * bn_each + weights; }
};
ConvWeightCounts conv_weight_counts(const Layer& l);

// The epsilon darknet adds to the rolling variance when it folds batch-norm for inference
// (fuse_conv_batchnorm: scale / sqrt(variance + .00001), in double). LightNet-TRT folds with the same 1e-5.
// OpenCV's darknet importer uses 1e-6 instead; random weights keep variances large so the two agree to < 1e-7.
constexpr double kBatchNormEpsilon = 1e-5;

// Sets l.weights / l.bias from darknet parameters, folding batch-norm when the layer has it:
//   w' = w · scale / sqrt(var + eps),  b' = bias − scale · mean / sqrt(var + eps)   (computed in double).
void fold_conv_weights(const DarknetConvWeights& src, Layer& l);

// Folds one DarknetConvWeights per convolution (in layer order) into `net` and marks it loaded.
void attach_conv_weights(Network& net, const std::vector<DarknetConvWeights>& convs);

}  // namespace lightnet::darknet
