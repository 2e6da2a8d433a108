// The network IR: one description of a darknet model that every backend consumes.
// Built from a .cfg by darknet/cfg_reader + ir/network_builder; weights attached by darknet/weights_reader
// (batch-norm already folded into each convolution's weights and bias).
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace lightnet {

enum class Activation { Linear, Relu, Leaky, Logistic, Swish, Mish };
enum class Precision { FP32, FP16, INT8 };

const char* to_string(Activation a);
const char* to_string(Precision p);
// Parses "fp32" / "fp16" / "int8" (case-insensitive); throws std::invalid_argument listing the valid values.
Precision parse_precision(const std::string& s);

// Channels, height, width of one image's tensor (batch is an engine setting, not part of the IR).
struct Shape {
  int c = 0, h = 0, w = 0;
  int64_t size() const { return int64_t(c) * h * w; }
  bool operator==(const Shape& o) const { return c == o.c && h == o.h && w == o.w; }
};

using Color = std::array<uint8_t, 3>;  // as written in the cfg (LightNet writes BGR)

struct ConvParams {
  int filters = 0;
  int size = 1;                 // square kernel
  int stride_x = 1, stride_y = 1;
  int padding = 0;              // effective padding in pixels: darknet's pad×dilation (pad=1 → size/2)
  int dilation = 1;
  int groups = 1;
  bool batch_normalize = false;
  Activation activation = Activation::Logistic;  // darknet's default
  bool sparse = false;          // `sparse=1`: 2:4 structured sparsity requested
  std::optional<Precision> precision;  // `precision=` key, honoured with multi-precision
};

struct RouteParams {
  std::vector<int> layers;  // absolute layer indices
  int groups = 1, group_id = 0;  // take channel slice group_id of `groups` equal slices of the concat
};

struct ShortcutParams {
  std::vector<int> from;  // absolute layer indices added to the previous layer's output
  Activation activation = Activation::Linear;
};

struct UpsampleParams {
  int stride = 2;  // nearest neighbour
};

struct MaxpoolParams {
  int size = 2;
  int stride_x = 2, stride_y = 2;
  int padding = 1;  // darknet: total padding (default size-1); out = (in + padding - size)/stride + 1
};

struct DropoutParams {};  // identity at inference

struct YoloParams {
  std::vector<int> mask;           // anchor indices used by this head
  std::vector<float> anchors;      // all anchors as w,h pairs (network-input pixels)
  int classes = 0;
  int num = 0;
  float scale_x_y = 1.f;
  bool new_coords = false;         // true: the conv already applied logistic; boxes use (2σ)² scaling
  std::vector<std::string> names;  // from `names=` if present
  std::vector<Color> colormap;
};

struct SoftmaxParams {  // segmentation head: softmax over channels per pixel → argmax class-id mask
  int classes = 0;
  int groups = 1;
  std::vector<Color> colormap;  // BGR
};

using LayerParams = std::variant<ConvParams, RouteParams, ShortcutParams, UpsampleParams, MaxpoolParams,
                                 DropoutParams, YoloParams, SoftmaxParams>;

enum class LayerType { Convolutional, Route, Shortcut, Upsample, Maxpool, Dropout, Yolo, Softmax };
const char* to_string(LayerType t);  // "convolutional", "route", … as the cfg section name

struct Layer {
  int index = 0;          // darknet's layer index: 0 is the first section after [net]
  int cfg_line = 0;       // line of the section header, for error messages
  LayerType type = LayerType::Convolutional;
  LayerParams params;
  std::vector<int> inputs;  // absolute indices of the layers read; -1 is the network input
  std::vector<Shape> input_shapes;
  Shape output;
  double flops = 0;       // multiply-add counted as 2, as darknet counts
  // Convolution only, after load: [filters][c/groups][size][size] and [filters], BN folded in.
  std::vector<float> weights;
  std::vector<float> bias;

  template <class T> const T& as() const { return std::get<T>(params); }
  template <class T> T& as() { return std::get<T>(params); }
};

struct Head {
  enum class Kind { Yolo, Segmentation } kind;
  int layer = 0;        // index of the [yolo] / [softmax] layer
  int source = 0;       // index of the conv feeding it (its output is the raw head tensor)
};

struct Network {
  std::string cfg_path;
  Shape input;                 // [net] channels, height, width
  std::vector<Layer> layers;
  std::vector<Head> heads;     // in layer order
  std::vector<std::string> names;  // class names from the first [yolo] `names=` (may be empty)
  bool has_weights = false;

  double gflops() const;       // sum of layer flops / 1e9
  int64_t parameter_count() const;  // weights + biases (+ BN scale/mean/var when present), as darknet reports
  int64_t weights_float_count() const;  // floats a .weights file must hold after its header
  std::vector<int> yolo_layers() const;
};

}  // namespace lightnet
