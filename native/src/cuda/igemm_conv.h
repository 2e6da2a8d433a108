// The backend's own FP16 convolution: an implicit GEMM on tensor cores (mma.sync m16n8k16, fp32 accumulate)
// straight over NHWC views, with bias and activation applied before the single store.
//
// Why not only cuDNN: at this network's channel counts (32–512) cuDNN's kernels took 10–38 µs per conv on the
// H100 where the bytes moved allow a few, and they lost more when writing into a channel slice. These kernels
// read and write channel slices at no cost (the address is just a pixel stride), so concatenations need no
// copies. The engine times every tile shape below against cuDNN per layer and keeps the fastest.
//
// GEMM view: rows = output pixels (batch × out_h × out_w), columns = output channels, depth = kh × kw × cin
// taken tap by tap in the filter's KRSC order. Each 16-byte chunk of the depth holds 8 channels of one tap,
// which is why the input's channel count must be a multiple of 8 (the network input is padded to 8).
#pragma once
#include <cuda_runtime.h>

#include <string>

#include "cuda/device_memory.h"
#include "cuda/kernels.h"
#include "lightnet/network.h"

namespace lightnet::cuda {

// A variant is a tile shape (block rows × block columns) and a split-K factor (1, 2, 4, 8); the build times
// the sensible ones per layer.
constexpr int kIgemmVariants = 28;
std::string igemm_variant_name(int variant);

// Split-K scratch, shared by every layer of an engine (they run one after another on its stream): partial
// sums, and one arrival counter per output tile that must be zero before the first launch (the kernels leave
// them zero again).
constexpr int kIgemmMaxArrivals = 4096;
struct IgemmWorkspace {
  void* partials = nullptr;
  size_t partials_bytes = 0;
  int* arrivals = nullptr;  // kIgemmMaxArrivals ints
};

class IgemmConv {
 public:
  // True when these kernels can run the layer: FP16, one group, stored input channels a multiple of 8.
  static bool supports(const Layer& layer, int in_channels, DType dt);

  // Uploads the filter as [cout padded to 128][kh·kw·cin padded to 32] halves (zeros in the padding, so the
  // kernel never bounds-checks weights) and the bias as floats. `in_channels`: channels as stored.
  IgemmConv(const Layer& layer, int in_channels);

  // Whether timing this variant for this output is worthwhile (split-K only for few tiles and deep layers).
  bool sensible(int variant, const View& out) const;
  // Split-K partial sums this variant needs for this output (0 without split-K).
  size_t partials_bytes(int variant, const View& out) const;

  // Launches one variant over these views (out may be a channel slice of a concat) on the stream; on Hopper
  // with programmatic dependent launch, so that it starts while the previous kernel drains.
  void run(int variant, const View& in, const View& out, const IgemmWorkspace& ws, cudaStream_t s) const;

 private:
  int kernel_h_, kernel_w_, stride_y_, stride_x_, padding_, dilation_;
  int in_channels_, out_channels_, depth_, depth_padded_;
  Activation activation_;
  bool programmatic_launch_ = false;
  DeviceBuffer weights_, bias_;
};

}  // namespace lightnet::cuda
