// An engine runs one Network on one backend: built once from BuildOptions, then used for many frames.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "lightnet/image.h"
#include "lightnet/network.h"
#include "lightnet/results.h"

namespace lightnet {

// Settings fixed at build time (a change needs a rebuild). Mirrors TensorRT's builder options.
struct BuildOptions {
  std::string backend = "auto";       // "cpu" | "cuda" | "tensorrt" | "auto" (best available)
  Precision precision = Precision::FP32;
  int batch = 1;                      // maximum images per inference
  int threads = 0;                    // CPU threads, 0 = all cores
  int gpu_id = 0;
  bool multi_precision = false;       // honour per-layer `precision=` keys
  bool sparsity = true;               // use 2:4 sparse kernels for sparse=1 layers where faster
  int dla_core = -1;
  std::string cache_dir;              // engine plan cache ("" = no cache)
  // INT8 calibration
  std::string calibration_table;
  std::string calibration_list;       // image list file or folder
  std::string calibration_algorithm = "entropy";  // entropy | minmax | percentile
  double percentile = 99.99;
  double clip_value = 0;              // > 0: every activation range is [0, clip]; no images needed
  bool quantize_first_layer = false, quantize_last_layer = false;
  bool profile = false;               // collect per-layer timings
};

// A raw output tensor: the conv feeding a [yolo] / [softmax] head, NCHW float32.
struct Tensor {
  int layer = 0;
  int n = 0, c = 0, h = 0, w = 0;
  std::vector<float> data;
};

struct LayerTiming {
  int layer = 0;
  std::string name;   // e.g. "12 convolutional 3x3/1 64"
  double ms = 0;      // mean per inference
};

// Reports build progress (0..1) with a short message; may be called from the building thread.
using ProgressCallback = std::function<void(double fraction, const std::string& message)>;

class Engine {
 public:
  virtual ~Engine() = default;
  virtual std::string backend() const = 0;   // "cpu", "cuda", …
  virtual Precision precision() const = 0;
  virtual int max_batch() const = 0;
  virtual const Network& network() const = 0;

  // Full frame: pre-process each image, run the network (batches of up to max_batch), decode + NMS + argmax.
  // Throws std::invalid_argument for a bad image (naming its index and the reason).
  virtual std::vector<FrameResult> detect(const std::vector<ImageView>& images, const DetectOptions& options) = 0;

  // DNN only: `input` holds batch × C × H × W floats (already pre-processed); returns the head tensors in
  // Network::heads order, each with n = batch.
  virtual std::vector<Tensor> forward(const float* input, int batch) = 0;

  // Per-layer timings accumulated since the last call (empty unless built with profile=true).
  virtual std::vector<LayerTiming> take_profile() { return {}; }

  // Host memory the engine uploads fastest from (pinned, on GPU backends): a caller that decodes or copies a
  // frame into it and passes it to detect() in an ImageView skips a staging copy. One buffer per batch slot
  // (0 <= slot < max_batch()), at least `bytes` long, owned by the engine; a call for more bytes than the slot
  // holds replaces it (the old pointer dies). nullptr where the backend has no such buffers; the CPU backend
  // hands out plain host memory (no gain there, but one code path for callers: lightnet/input_buffers.h).
  virtual uint8_t* pinned_input(int slot, size_t bytes) {
    (void)slot;
    (void)bytes;
    return nullptr;
  }
};

// Backends compiled into this library (always "cpu"; "cuda" when built with CUDA, …).
std::vector<std::string> available_backends();

// Builds an engine; throws std::invalid_argument for options the chosen backend does not support (never
// silently ignored) and std::runtime_error when the build fails.
std::unique_ptr<Engine> build_engine(const Network& net, const BuildOptions& options,
                                     const ProgressCallback& progress = {});

}  // namespace lightnet
