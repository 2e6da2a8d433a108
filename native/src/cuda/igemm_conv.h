// The backend's own FP16 and INT8 convolutions: an implicit GEMM on tensor cores (mma.sync m16n8k16 f16 with
// fp32 accumulators, or m16n8k32 s8 with int32 accumulators) straight over NHWC views, with bias, activation
// and, for an int8 output, requantization applied before the single store.
//
// Why not only cuDNN: at this network's channel counts (32–512) cuDNN's kernels took 10–38 µs per conv on the
// H100 where the bytes moved allow a few, and they lost more when writing into a channel slice. These kernels
// read and write channel slices at no cost (the address is just a pixel stride), so concatenations need no
// copies. The engine times every tile shape below against cuDNN per layer and keeps the fastest.
//
// GEMM view: rows = output pixels (batch × out_h × out_w), columns = output channels, depth = kh × kw × cin
// taken tap by tap in the filter's KRSC order. Each 16-byte chunk of the depth holds 8 FP16 or 16 INT8
// channels of one tap, which is why the input's channel count must be a multiple of 8 (FP16; the network input
// is padded to 8) or 16 (INT8).
//
// INT8 numerics (those of the CPU int8 executor and of TensorRT): tensors are symmetric int8 with one step per
// tensor, q = clamp(round-half-even(x · (1 / step)), -128, 127) (lightnet::quantize_s8); weights int8 with one
// step per output channel s_w[c] (the QuantPlan's weight_scales). A conv with INT8 input computes the exact
// int32 sum Σ q_x · q_w, then y = act(fma(sum, s_in · s_w[c], bias[c])) in fp32, and stores y as FP16 or
// requantized to int8 at its output tensor's step. An FP16-input conv may likewise store int8.
#pragma once
#include <cuda_runtime.h>

#include <string>
#include <vector>

#include "cuda/device_memory.h"
#include "cuda/kernels.h"
#include "lightnet/network.h"

namespace lightnet::cuda {

// A variant is a tile shape (block rows × block columns) and a split-K factor (1, 2, 4, 8), or one of the
// halo shapes for 3×3 stride-1 layers (the input tile loaded once for all 9 taps), or one of the resident
// shapes for 3×3 stride-1 layers of 32–128 FP16 input channels (dilation 1) (persistent blocks that keep their weights in
// shared memory and stream input tiles); the build times the sensible ones per layer.
constexpr int kIgemmVariants = 37;  // 7 tile shapes × 4 split-K options, 3 halo shapes, 6 resident shapes
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

// Element types of the input (and weights) and of the output, with the steps that INT8 needs.
enum class IgemmType { F16, S8 };
struct IgemmPrecision {
  IgemmType input = IgemmType::F16, output = IgemmType::F16;
  float input_scale = 0;             // S8 input: step of the input tensor (LayerQuantization::input_scale)
  std::vector<float> weight_scales;  // S8 input: per output channel (LayerQuantization::weight_scales)
  float output_scale = 0;            // S8 output: step of the output tensor (LayerQuantization::output_scale)
};

class IgemmConv {
 public:
  // True when these kernels can run the layer: FP16, one group, stored input channels a multiple of 8.
  static bool supports(const Layer& layer, int in_channels, DType dt);
  // The same for any precision: one group, stored input channels a multiple of 8 (F16 input) or 16 (S8 input).
  static bool supports(const Layer& layer, int in_channels, const IgemmPrecision& precision);

  // FP16 in, FP16 out. Uploads the filter as [cout padded to 128][kh·kw·cin padded to 32] halves (zeros in the
  // padding, so the kernel never bounds-checks weights) and the bias as floats. `in_channels`: channels as
  // stored.
  IgemmConv(const Layer& layer, int in_channels);
  // Any input/output types. S8 input: the filter is quantized here, w_q = quantize_s8(w, 1 / s_w[c]), and
  // uploaded as [cout padded to 128][kh·kw·cin padded to 64] int8, with s_in · s_w[c] per channel. Throws
  // std::invalid_argument naming the layer for missing or non-positive steps.
  IgemmConv(const Layer& layer, int in_channels, const IgemmPrecision& precision);

  // Whether timing this variant for this output is worthwhile (split-K only for few tiles and deep layers).
  bool sensible(int variant, const View& out) const;
  // Split-K partial sums this variant needs for this output (0 without split-K): fp32, or int32 (exact) for S8
  // input.
  size_t partials_bytes(int variant, const View& out) const;

  IgemmType input_type() const { return input_; }
  bool halo_fits() const;  // the 3×3 stride-1 halo variants apply
  bool resident_fits(int resident_shape) const;  // a resident variant applies (its input depth, its shared memory)
  IgemmType output_type() const { return output_; }

  // Launches one variant over these views (out may be a channel slice of a concat; channels and strides count
  // elements of the types given at construction) on the stream; on Hopper with programmatic dependent launch,
  // so that it starts while the previous kernel drains.
  void run(int variant, const View& in, const View& out, const IgemmWorkspace& ws, cudaStream_t s) const;

 private:
  int kernel_h_, kernel_w_, stride_y_, stride_x_, padding_, dilation_;
  int in_channels_, out_channels_, depth_, depth_padded_;
  Activation activation_;
  IgemmType input_ = IgemmType::F16, output_ = IgemmType::F16;
  float inv_output_scale_ = 1.f;
  int multiprocessors_ = 1, max_shared_bytes_ = 48 * 1024;
  DeviceBuffer weights_, bias_, scale_;  // scale_: S8 input only
};

}  // namespace lightnet::cuda
