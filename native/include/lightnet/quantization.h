// INT8 quantization and 2:4 structured sparsity: what a backend needs to build a reduced-precision engine.
//
// prepare_quantization() turns a Network + BuildOptions into a QuantPlan: the precision of every convolution
// (engine precision, the cfg's `precision=` keys under multi_precision, first/last conv kept at FP16 unless
// quantize_first_layer / quantize_last_layer), the activation ranges (a calibration table, a calibration run
// over images on the CPU fp32 path, or clip_value), per-output-channel weight scales, and 2:4 pruning of
// `sparse=1` layers. Scales are symmetric: q = clamp(round(x / scale), -128, 127), scale = amax / 127.
#pragma once
#include <cmath>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "lightnet/engine.h"
#include "lightnet/network.h"

namespace lightnet {

// q = clamp(round-half-even(x · inv_scale), -128, 127) with inv_scale = 1 / scale: the one quantization rule
// of every backend (activations and weights), TensorRT's. The product with the inverse is what is rounded, so
// that backends agree bit for bit.
inline int8_t quantize_s8(float x, float inv_scale) {
  return int8_t(std::fmin(127.f, std::fmax(-128.f, std::nearbyint(x * inv_scale))));
}

// One layer's part of the plan. Only [convolutional] layers compute in a chosen precision; the other layers
// move whatever their inputs hold (an INT8 backend may keep them in int8 when every neighbour is int8).
struct LayerQuantization {
  Precision precision = Precision::FP32;
  float input_scale = 0;             // step of the conv's input tensor (amax / 127); 0 unless INT8
  float output_scale = 0;            // step of this layer's output tensor (every layer, when calibrated)
  std::vector<float> weight_scales;  // INT8 convs: per output channel, max |w| / 127 (1 for an all-zero channel)
  bool sparse = false;               // weights hold the 2:4 pattern (see is_2_4_sparse); prune applied if needed
};

struct QuantPlan {
  std::string algorithm;             // "entropy", "minmax", "percentile-99.99", "clip", or "" (no INT8 layer)
  float input_amax = 0;              // range of the network input tensor
  std::vector<float> amax;           // range of each layer's output tensor, by layer index (0 = not needed);
                                     // a layer that only moves its input's values (maxpool, upsample, dropout,
                                     // one-layer route) carries its producer's range
  std::vector<LayerQuantization> layers;  // by layer index
  bool any_int8() const;
};

// Precision of each layer (by layer index) before any calibration: FP32/FP16/INT8 for convolutions, FP32 for
// the rest. INT8 engines keep the first conv (reads the network input) and the last convs (feed a [yolo] /
// [softmax] head) at FP16 unless quantize_first_layer / quantize_last_layer. With multi_precision a conv's
// `precision=` key wins over all of that.
std::vector<Precision> plan_precisions(const Network& net, const BuildOptions& options);

// 2:4 structured sparsity along the GEMM K dimension as sparse tensor cores see a convolution: weights in
// KRSC order (output channel, kernel row, kernel column, input channel), K = R·S·C with C fastest; every run
// of 4 consecutive input channels of one (k, r, s) — zero-padded when C is not a multiple of 4 — holds at
// most 2 non-zeros. This is TensorRT's rule for convolution ("2:4 along the input-channel dimension").
bool is_2_4_sparse(const Layer& conv);
// Zeroes the 2 smallest |w| of every group that breaks the pattern (ties: the later index is pruned) and
// returns the fraction of the layer's weight mass (Σ|w|) removed.
double prune_2_4(Layer& conv);

// Calibration algorithms on a histogram of |x| over [0, hist_max] (equal bins).
//  entropy: TensorRT's EntropyCalibrator2 method (NVIDIA, "8-bit Inference with TensorRT", GTC 2017): for every
//  candidate threshold i = levels..bins, the reference P = hist[0:i] with the outliers Σhist[i:] folded into its
//  last bin, Q = hist[0:i] merged into `levels` levels and spread back evenly over each level's non-empty bins
//  (empty bins stay empty), zero bins of both smoothed (eps 1e-4 on the counts, as MXNet / TVM implement the
//  method); amax = upper edge of the bin i whose KL(P||Q) is smallest (the last such i on ties). hist[0] is
//  replaced by hist[1] first, as NVIDIA's pytorch-quantization does, so that exact zeros (which quantize
//  without error) do not pull the range down.
float entropy_amax(std::vector<double> hist, double hist_max, int levels = 128);
//  percentile: the upper edge of the bin where the cumulative count reaches `percentile` % of the total.
float percentile_amax(const std::vector<double>& hist, double hist_max, double percentile);

// A calibration table (text): a header line naming the algorithm and the model hash, then one range per
// tensor (the layer index, or "input" for the network input), in name order:
//   lightnet_trt-int8-calibration 1 algorithm=entropy model=0123456789abcdef
//   0 4.71
//   1 7.8
//   …
//   input 1
struct CalibrationTable {
  std::string algorithm;
  std::string model_hash;
  std::map<std::string, float> amax;  // tensor name → range (> 0)
};
// Throws std::runtime_error naming the file (and line, for a malformed one).
CalibrationTable read_calibration_table(const std::string& path);
void write_calibration_table(const std::string& path, const CalibrationTable& table);

// 64-bit FNV-1a of the cfg file's bytes and every conv weight and bias as the engine uses them, in hex.
std::string model_hash(const Network& net);

// Images for calibration: an image list file (one path per line, blank lines and '#' comments skipped;
// relative paths are tried as given, then beside the list) or a folder (its image files, sorted by name).
// Throws std::runtime_error naming the list file and line of a missing entry, or an empty list.
std::vector<std::string> calibration_images(const std::string& list_or_folder);

// Log lines from building (why a table was recalibrated, pruning warnings).
using LogCallback = std::function<void(const std::string& message)>;

// The full plan for `net` under `options`; prunes sparse=1 layers in `net` (reduced-precision convs, when
// options.sparsity) before calibrating. Activation ranges come from clip_value, else a valid table, else a
// calibration run (written to options.calibration_table when set). Throws std::invalid_argument when INT8
// layers need ranges and neither images, a valid table nor clip_value gives them.
QuantPlan prepare_quantization(Network& net, const BuildOptions& options, const LogCallback& log = {});

}  // namespace lightnet
