// Seeded random darknet parameters for models whose trained weights are unavailable (LightNet), scaled so every
// convolution's pre-activation has roughly unit variance however deep the network is.
#pragma once
#include <cstdint>
#include <vector>

#include "darknet/conv_weights.h"
#include "lightnet/network.h"

namespace lightnet::darknet {

// splitmix64 (Steele, Lea, Flood 2014): tiny, fast and identical everywhere, unlike std:: distributions whose
// output differs between standard libraries.
class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}
  uint64_t next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // Uniform in [0, 1) with 24 random bits (every value exact in float and double).
  double uniform() { return double(next() >> 40) * (1.0 / 16777216.0); }
  float uniform(double lo, double hi) { return float(lo + (hi - lo) * uniform()); }

 private:
  uint64_t state_;
};

// Mean of act(z)² for z ~ N(0, 1): how an activation changes the second moment of unit-variance input.
double activation_second_moment(Activation a);

// Estimated E[x²] of every layer's output for an input image scaled to [0, 1] (used to scale the next weights).
std::vector<double> estimate_second_moments(const Network& net);

// One parameter set per convolution, in layer (and file) order.
std::vector<DarknetConvWeights> random_conv_weights(const Network& net, uint64_t seed);

}  // namespace lightnet::darknet
