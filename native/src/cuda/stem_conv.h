// The network's first two convolutions as one kernel, the "stem" of the LightNet cfgs: a 3×3 stride-2 conv from
// the image (3 channels, stored as 8 FP16) to 32 channels, then a 3×3 stride-2 conv of those to 64 channels.
//
// Why: run apart, the first conv writes 640×480×32 FP16 (19.7 MB) that only the second reads back, and cuDNN
// took 23 + 14 µs for the pair on an H200 (BENCHMARKS.md, session 10), the two slowest convs of the network.
// Here each block computes, on tensor cores, the first conv's outputs under its tile of the second conv (with the
// halo) into shared memory, and the second conv reads them from there: the intermediate never leaves the SM.
// The intermediate is rounded to FP16 as a stored tensor would be, so the results are those of the pair run apart
// up to the order of the fp32 sums.
#pragma once
#include <cuda_runtime.h>

#include "cuda/device_memory.h"
#include "cuda/kernels.h"
#include "lightnet/network.h"

namespace lightnet::cuda {

class StemConv {
 public:
  // True when the pair can run here: FP16 storage, `first` 3×3 stride 2 padding 1 dilation 1, one group, at most
  // 4 input channels stored as 8 halves, 32 filters; `second` reading it, 3×3 stride 2 padding 1 dilation 1, one
  // group, 64 filters; a GPU of compute capability 8.0 or newer. (That nothing else reads `first`'s output is
  // the caller's to know: find_stem_pair, memory_plan.h.)
  static bool supports(const Layer& first, const Layer& second, int stored_input_channels, DType dt);

  // Uploads both filters (BN folded, as loaded) and biases. Throws std::invalid_argument naming the layers when
  // supports() is false.
  StemConv(const Layer& first, const Layer& second, int stored_input_channels);

  // in: `first`'s input (8 halves per pixel); out: `second`'s output, whose pixel stride and channel offset
  // may be those of a concat's slice (even: two channels per store). Programmatic launch on Hopper.
  void run(const View& in, const View& out, cudaStream_t s) const;

  int blocks_per_sm() const { return blocks_per_sm_; }  // resident at once (the grid is that many per SM at most)

 private:
  Activation first_activation_, second_activation_;
  int mid_h_ = 0, mid_w_ = 0;  // `first`'s output size: the zero padding `second` sees
  int multiprocessors_ = 1, blocks_per_sm_ = 0;
  DeviceBuffer first_weights_, first_bias_, second_weights_, second_bias_;
};

}  // namespace lightnet::cuda
