// Two chained 3×3 stride-1 convolutions as one kernel: the ELAN blocks of the LightNet cfgs run four 3×3 convs
// one after the other (layers 5-8, 15-18, ...), of which the first and third are read only by the next one. A
// pair (first, second) of those runs here in one launch: each block computes the first conv's outputs under
// its tile of the second conv's output, with the halo, into shared memory, and the second conv reads them from
// there, so that the intermediate never leaves the SM and one launch, one store and one reload of a tensor go.
// The halo is computed twice (by neighbouring tiles): 18 × 18 first-conv pixels per 16 × 16 output tile.
//
// Both filters stay in shared memory for the whole (persistent) kernel, which bounds the channels: 32 → 32 → 32
// and 64 → 64 → 64 (at 128 channels the two filters alone would take 576 KB). The intermediate is rounded to FP16 as a stored
// tensor is, so the results are the pair's run apart up to the order of the fp32 sums.
#pragma once
#include <cuda_runtime.h>

#include <string>

#include "cuda/device_memory.h"
#include "cuda/kernels.h"
#include "lightnet/network.h"

namespace lightnet::cuda {

class ConvPair {
 public:
  // True when the pair can run here: FP16 storage; both convs 3×3 stride 1 padding 1 dilation 1, one group,
  // C → C channels with C = 32 or 64; `second` reading `first` only; a GPU of compute capability 8.0 or newer.
  // (That nothing else reads `first`'s output is the caller's to know: find_conv_pairs, memory_plan.h.)
  static bool supports(const Layer& first, const Layer& second, DType dt);

  // Uploads both filters (BN folded, as loaded) and biases. Throws std::invalid_argument naming the layers when
  // supports() is false.
  ConvPair(const Layer& first, const Layer& second);

  // Tile shapes to time (the output tile's rows: 16 or 20 for 32 channels, 10 or 4 for 64).
  static constexpr int kVariants = 2;
  std::string variant_name(int variant) const;
  int blocks_per_sm(int variant) const;

  // in: `first`'s input; out: `second`'s output. Either may be a channel slice of a concat (in: pixel stride and
  // offset multiples of 8 channels, for 16-byte loads; out: even, two channels per store): fits() says whether
  // they do. Programmatic launch on Hopper. Throws std::invalid_argument when the views do not fit.
  bool fits(const View& in, const View& out) const;
  void run(int variant, const View& in, const View& out, cudaStream_t s) const;

 private:
  int channels_ = 0;
  Activation first_activation_, second_activation_;
  int multiprocessors_ = 1;
  int blocks_per_sm_[kVariants] = {};
  DeviceBuffer weights_, bias_;  // [conv][tap][cout][cin] halves; [conv][cout] floats
  std::string name_;
};

}  // namespace lightnet::cuda
