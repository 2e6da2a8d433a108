// darknet .cfg / .weights → Network. Errors are lightnet::ModelError naming the file and line.
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>

#include "lightnet/network.h"

namespace lightnet {

// Thrown for any bad model input; what() reads "<file>:<line>: <message>" (line omitted when unknown).
class ModelError : public std::runtime_error {
 public:
  ModelError(const std::string& file, int line, const std::string& message);
  const std::string& file() const { return file_; }
  int line() const { return line_; }
 private:
  std::string file_;
  int line_;
};

// Parses the cfg, resolves relative layer references, infers every shape and counts flops.
Network load_cfg(const std::string& cfg_path);

// Reads a darknet .weights file into `net` (biases, BN scale/mean/variance, weights per conv layer) and folds
// batch-norm into each convolution. The file size must match the cfg exactly.
void load_weights(Network& net, const std::string& weights_path);

// Seeded random darknet parameters (biases, BN scale/mean/variance, weights; deterministic across platforms,
// scaled so activations stay O(1) through deep networks) for models whose trained weights are unavailable.
// randomize_weights attaches them to `net` (BN folded), exactly as load_weights would after
// write_random_weights wrote them to `path` as a real darknet .weights file (which OpenCV can load too).
void randomize_weights(Network& net, uint64_t seed = 1);
void write_random_weights(const Network& net, const std::string& path, uint64_t seed = 1);

}  // namespace lightnet
