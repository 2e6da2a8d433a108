#include "ir/layer_builders.h"

#include <stdexcept>
#include <string>

#include "lightnet/model_loader.h"

namespace lightnet::ir {

using darknet::CfgSection;

namespace {

std::string str(int v) { return std::to_string(v); }
std::string str(const Shape& s) { return str(s.c) + "x" + str(s.h) + "x" + str(s.w); }

int positive_int(const CfgSection& s, const std::string& key, int fallback) {
  const int v = s.get_int(key, fallback);
  if (v <= 0) s.fail(key, "expected > 0");
  if (v > kMaxDimension) s.fail(key, "expected <= " + str(kMaxDimension));
  return v;
}

int required_positive_int(const CfgSection& s, const std::string& key) {
  s.require_int(key);
  return positive_int(s, key, 0);
}

// Output sizes are computed in 64 bits and bounded, so absurd values fail cleanly instead of overflowing.
void check_output(const CfgSection& s, int64_t c, int64_t h, int64_t w) {
  if (c > kMaxDimension || h > kMaxDimension || w > kMaxDimension)
    s.fail_section("output " + std::to_string(c) + "x" + std::to_string(h) + "x" + std::to_string(w) +
                   " exceeds the largest supported dimension " + str(kMaxDimension));
}

bool flag(const CfgSection& s, const std::string& key) {
  const int v = s.get_int(key, 0);
  if (v != 0 && v != 1) s.fail(key, "expected 0 or 1");
  return v == 1;
}

// Keys whose non-default value changes what a layer computes (or what the .weights file holds) and which this
// engine does not implement: rejected rather than silently ignored.
void reject_int_keys(const CfgSection& s, std::initializer_list<const char*> keys) {
  for (const char* key : keys)
    if (s.get_int(key, 0) != 0) s.fail(key, "not supported by lightnet (expected 0 or absent)");
}

void reject_keys(const CfgSection& s, std::initializer_list<const char*> keys) {
  for (const char* key : keys)
    if (s.has(key)) s.fail(key, "not supported by lightnet");
}

// A layer reference as darknet resolves it: negative = relative to this layer, otherwise absolute. It must be an
// earlier layer.
int resolve_layer(const CfgSection& s, const std::string& key, int ref, int index) {
  const int abs = ref < 0 ? index + ref : ref;
  if (abs < 0 || abs >= index) {
    std::string msg = "layer " + str(ref);
    if (ref < 0) msg += " resolves to " + str(abs);
    msg += ", expected an earlier layer (0.." + str(index - 1) + ")";
    if (index == 0) msg = "layer " + str(ref) + ": no earlier layer to read (this is layer 0)";
    s.fail(key, msg);
  }
  return abs;
}

std::vector<Color> read_colormap(const CfgSection& s) {
  const std::vector<int> v = s.get_int_list("colormap");
  if (v.size() % 3 != 0) s.fail("colormap", "expected B,G,R triples, found " + str(int(v.size())) + " values");
  std::vector<Color> colors;
  for (size_t i = 0; i < v.size(); i += 3) {
    for (size_t k = 0; k < 3; ++k)
      if (v[i + k] < 0 || v[i + k] > 255) s.fail("colormap", "value " + str(v[i + k]) + " out of range 0..255");
    colors.push_back({uint8_t(v[i]), uint8_t(v[i + 1]), uint8_t(v[i + 2])});
  }
  return colors;
}

// A colormap, when given, needs a colour for every class (drawing indexes it by class id).
void check_colormap_covers(const CfgSection& s, const std::vector<Color>& colors, int classes) {
  if (!colors.empty() && int(colors.size()) < classes)
    s.fail("colormap", "expected a colour for each of the " + str(classes) + " classes, found " +
                           str(int(colors.size())));
}

// Output size of a darknet convolution along one axis, or -1 when the dilated kernel does not fit.
int conv_out(int in, int size, int stride, int padding, int dilation) {
  const int span = dilation * (size - 1) + 1;
  const int room = in + 2 * padding - span;
  return room < 0 ? -1 : room / stride + 1;
}

void build_convolutional(const CfgSection& s, Layer& l) {
  ConvParams p;
  const Shape in = l.input_shapes[0];
  p.filters = required_positive_int(s, "filters");
  p.size = required_positive_int(s, "size");
  if (p.size > kMaxKernel) s.fail("size", "expected <= " + str(kMaxKernel));
  const int stride = positive_int(s, "stride", 1);
  p.stride_x = positive_int(s, "stride_x", stride);
  p.stride_y = positive_int(s, "stride_y", stride);
  p.dilation = positive_int(s, "dilation", 1);
  if (p.dilation > kMaxKernel) s.fail("dilation", "expected <= " + str(kMaxKernel));
  if (p.size == 1) p.dilation = 1;  // darknet ignores dilation for 1x1 kernels
  int padding = s.get_int("padding", 0);
  if (padding < 0 || padding > kMaxKernel) s.fail("padding", "expected 0.." + str(kMaxKernel));
  if (flag(s, "pad")) padding = p.size / 2;
  // darknet computes the output size from the undilated kernel and pads by padding×dilation in im2col; the two
  // agree for the usual odd kernels with pad=1. Where they would not, the layer is ambiguous: reject it.
  p.padding = padding * p.dilation;
  p.groups = positive_int(s, "groups", 1);
  if (in.c % p.groups != 0) s.fail("groups", "input channels " + str(in.c) + " are not divisible by groups");
  if (p.filters % p.groups != 0) s.fail("groups", "filters " + str(p.filters) + " are not divisible by groups");
  p.batch_normalize = flag(s, "batch_normalize");
  p.activation = parse_activation(s, "activation", "logistic");
  p.sparse = flag(s, "sparse");
  if (s.has("precision")) {
    try {
      p.precision = parse_precision(s.get_string("precision", ""));
    } catch (const std::invalid_argument& e) {
      s.fail("precision", e.what());
    }
  }
  reject_int_keys(s, {"binary", "xnor", "antialiasing", "deform", "flipped", "assisted_excitation"});
  reject_keys(s, {"share_index"});

  const int out_w = conv_out(in.w, p.size, p.stride_x, p.padding, p.dilation);
  const int out_h = conv_out(in.h, p.size, p.stride_y, p.padding, p.dilation);
  if (out_w <= 0 || out_h <= 0)
    s.fail_section("kernel " + str(p.size) + " (dilation " + str(p.dilation) + ") does not fit the input " + str(in));
  const int darknet_w = (in.w + 2 * padding - p.size) / p.stride_x + 1;
  const int darknet_h = (in.h + 2 * padding - p.size) / p.stride_y + 1;
  if (darknet_w != out_w || darknet_h != out_h)
    s.fail("dilation", "padding " + str(padding) + " with dilation " + str(p.dilation) +
                           " gives darknet an output size that differs from the dilated convolution's; use pad=1");
  l.output = {p.filters, out_h, out_w};
  l.flops = 2.0 * p.filters * p.size * p.size * double(in.c / p.groups) * out_h * out_w;
  l.params = p;
}

void build_route(const CfgSection& s, int index, const std::vector<Layer>& built, Layer& l) {
  RouteParams p;
  for (int ref : s.require_int_list("layers")) p.layers.push_back(resolve_layer(s, "layers", ref, index));
  p.groups = positive_int(s, "groups", 1);
  p.group_id = s.get_int("group_id", 0);
  if (p.group_id < 0 || p.group_id >= p.groups)
    s.fail("group_id", "expected 0.." + str(p.groups - 1) + " (groups=" + str(p.groups) + ")");
  // darknet slices each input separately; with one input that equals slicing the concat, which is what the IR
  // describes, so several inputs with groups > 1 are not accepted.
  if (p.groups > 1 && p.layers.size() > 1) s.fail("groups", "groups > 1 needs a single input layer");
  l.inputs = p.layers;
  l.input_shapes.clear();
  Shape out{0, 0, 0};
  for (int src : p.layers) {
    const Shape& sh = built[size_t(src)].output;
    if (out.c == 0) {
      out.h = sh.h;
      out.w = sh.w;
    } else if (sh.h != out.h || sh.w != out.w) {
      s.fail("layers", "layer " + str(src) + " is " + str(sh) + ", expected spatial size " + str(out.h) + "x" +
                           str(out.w) + " like layer " + str(p.layers[0]));
    }
    out.c += sh.c;
    if (out.c > kMaxDimension) check_output(s, out.c, out.h, out.w);
    l.input_shapes.push_back(sh);
  }
  check_output(s, out.c, out.h, out.w);
  if (out.c % p.groups != 0) s.fail("groups", str(out.c) + " channels are not divisible by groups");
  out.c /= p.groups;
  l.output = out;
  l.params = p;
}

void build_shortcut(const CfgSection& s, int index, const std::vector<Layer>& built, Layer& l) {
  ShortcutParams p;
  for (int ref : s.require_int_list("from")) {
    const int src = resolve_layer(s, "from", ref, index);
    const Shape& sh = built[size_t(src)].output;
    if (!(sh == l.input_shapes[0]))
      s.fail("from", "layer " + str(src) + " is " + str(sh) + ", expected the previous layer's shape " +
                         str(l.input_shapes[0]));
    p.from.push_back(src);
    l.inputs.push_back(src);
    l.input_shapes.push_back(sh);
  }
  p.activation = parse_activation(s, "activation", "linear");
  const std::string weights_type = s.get_string("weights_type", "none");
  if (weights_type != "none") s.fail("weights_type", "weighted shortcuts are not supported (expected none)");
  l.output = l.input_shapes[0];
  l.flops = double(l.output.size()) * double(p.from.size());  // darknet's count: one add per input per element
  l.params = p;
}

void build_upsample(const CfgSection& s, Layer& l) {
  UpsampleParams p;
  p.stride = s.get_int("stride", 2);
  if (p.stride <= 0) s.fail("stride", "expected > 0 (darknet's negative stride, a downsample, is not supported)");
  if (s.get_float("scale", 1.f) != 1.f) s.fail("scale", "not supported (expected 1)");
  if (p.stride > kMaxDimension) s.fail("stride", "expected <= " + str(kMaxDimension));
  const Shape in = l.input_shapes[0];
  check_output(s, in.c, int64_t(in.h) * p.stride, int64_t(in.w) * p.stride);
  l.output = {in.c, in.h * p.stride, in.w * p.stride};
  l.params = p;
}

void build_maxpool(const CfgSection& s, Layer& l) {
  MaxpoolParams p;
  const int stride = positive_int(s, "stride", 1);  // darknet's defaults: stride 1, size = stride
  p.stride_x = positive_int(s, "stride_x", stride);
  p.stride_y = positive_int(s, "stride_y", stride);
  p.size = positive_int(s, "size", stride);
  p.padding = s.get_int("padding", p.size - 1);
  if (p.padding < 0 || p.padding > kMaxDimension) s.fail("padding", "expected 0.." + str(kMaxDimension));
  reject_int_keys(s, {"maxpool_depth", "antialiasing"});
  const Shape in = l.input_shapes[0];
  const int out_w = (in.w + p.padding - p.size) / p.stride_x + 1;
  const int out_h = (in.h + p.padding - p.size) / p.stride_y + 1;
  if (in.w + p.padding < p.size || in.h + p.padding < p.size)
    s.fail_section("window " + str(p.size) + " does not fit the input " + str(in));
  l.output = {in.c, out_h, out_w};
  l.flops = double(p.size) * p.size * double(l.output.size());  // darknet's count: one compare per window element
  l.params = p;
}

void build_yolo(const CfgSection& s, Layer& l) {
  YoloParams p;
  p.classes = required_positive_int(s, "classes");
  s.require_string("anchors");
  p.anchors = s.get_float_list("anchors");
  if (p.anchors.empty() || p.anchors.size() % 2 != 0)
    s.fail("anchors", "expected w,h pairs, found " + str(int(p.anchors.size())) + " values");
  for (float a : p.anchors)
    if (!(a > 0)) s.fail("anchors", "expected every anchor size > 0");
  const int pairs = int(p.anchors.size() / 2);
  p.num = positive_int(s, "num", pairs);
  if (p.num != pairs) s.fail("num", "expected the number of anchor pairs, " + str(pairs));
  p.mask = s.get_int_list("mask");
  if (!s.has("mask"))
    for (int i = 0; i < p.num; ++i) p.mask.push_back(i);
  if (p.mask.empty()) s.fail("mask", "expected a list of anchor indices");
  for (int m : p.mask)
    if (m < 0 || m >= p.num) s.fail("mask", "anchor index " + str(m) + " out of range 0.." + str(p.num - 1));
  p.scale_x_y = s.get_float("scale_x_y", 1.f);
  if (!(p.scale_x_y > 0)) s.fail("scale_x_y", "expected > 0");
  p.new_coords = flag(s, "new_coords");
  p.names = s.get_name_list("names");
  p.colormap = read_colormap(s);
  if (!p.names.empty() && int(p.names.size()) != p.classes)
    s.fail("names", "expected " + str(p.classes) + " names (classes=" + str(p.classes) + "), found " +
                        str(int(p.names.size())));
  check_colormap_covers(s, p.colormap, p.classes);
  const Shape in = l.input_shapes[0];
  const int64_t expected_c = int64_t(p.mask.size()) * (p.classes + 5);
  if (in.c != expected_c)
    s.fail_section("input has " + str(in.c) + " channels, expected " + str(int(p.mask.size())) + " anchors x (" +
                   str(p.classes) + " classes + 5) = " + std::to_string(expected_c));
  l.output = in;
  l.params = p;
}

void build_softmax(const CfgSection& s, Layer& l) {
  SoftmaxParams p;
  const Shape in = l.input_shapes[0];
  p.classes = s.get_int("classes", in.c);
  if (p.classes != in.c) s.fail("classes", "expected the input's channel count, " + str(in.c));
  p.groups = positive_int(s, "groups", 1);
  p.colormap = read_colormap(s);
  check_colormap_covers(s, p.colormap, p.classes);
  if (s.get_float("temperature", 1.f) != 1.f) s.fail("temperature", "not supported (expected 1)");
  reject_keys(s, {"tree"});
  l.output = in;
  l.params = p;
}

}  // namespace

Activation parse_activation(const CfgSection& s, const std::string& key, const std::string& fallback) {
  const std::string name = s.get_string(key, fallback);
  static const std::pair<const char*, Activation> table[] = {
      {"linear", Activation::Linear},     {"relu", Activation::Relu},   {"leaky", Activation::Leaky},
      {"logistic", Activation::Logistic}, {"swish", Activation::Swish}, {"mish", Activation::Mish}};
  for (const auto& [n, a] : table)
    if (name == n) return a;
  s.fail(key, "unsupported activation (expected linear, relu, leaky, logistic, swish or mish)");
}

Layer build_layer(const CfgSection& s, int index, const std::vector<Layer>& built, const Shape& input) {
  Layer l;
  l.index = index;
  l.cfg_line = s.line();
  // Every layer but [route] reads the previous layer (the network input for layer 0).
  l.inputs = {index - 1};
  l.input_shapes = {index == 0 ? input : built[size_t(index - 1)].output};
  const std::string& t = s.type();
  if (t == "convolutional" || t == "conv") {
    l.type = LayerType::Convolutional;
    build_convolutional(s, l);
  } else if (t == "route") {
    l.type = LayerType::Route;
    build_route(s, index, built, l);
  } else if (t == "shortcut") {
    l.type = LayerType::Shortcut;
    build_shortcut(s, index, built, l);
  } else if (t == "upsample") {
    l.type = LayerType::Upsample;
    build_upsample(s, l);
  } else if (t == "maxpool" || t == "max") {
    l.type = LayerType::Maxpool;
    build_maxpool(s, l);
  } else if (t == "dropout") {
    l.type = LayerType::Dropout;
    l.output = l.input_shapes[0];
    l.params = DropoutParams{};
  } else if (t == "yolo") {
    l.type = LayerType::Yolo;
    build_yolo(s, l);
  } else if (t == "softmax" || t == "soft") {
    l.type = LayerType::Softmax;
    build_softmax(s, l);
  } else if (t == "net" || t == "network") {
    s.fail_section("[" + t + "] may only be the first section");
  } else {
    s.fail_section("unknown section type (supported: net, convolutional, route, shortcut, upsample, maxpool, "
                   "dropout, yolo, softmax)");
  }
  return l;
}

}  // namespace lightnet::ir
