#include "addon/network_info.h"

#include <sstream>
#include <string>
#include <type_traits>

namespace lightnet_addon {
namespace {

std::string Join(const std::vector<int>& values, const char* sep = ",") {
  std::string s;
  for (size_t i = 0; i < values.size(); ++i) s += (i ? sep : "") + std::to_string(values[i]);
  return s;
}

// One short line per layer, in darknet's own vocabulary ("3x3/2 32 leaky", "route 3,5", …).
std::string Summary(const lightnet::Layer& layer) {
  using namespace lightnet;
  std::ostringstream s;
  std::visit(
      [&](const auto& p) {
        using P = std::decay_t<decltype(p)>;
        if constexpr (std::is_same_v<P, ConvParams>) {
          s << p.size << "x" << p.size << "/" << p.stride_x;
          if (p.stride_y != p.stride_x) s << "x" << p.stride_y;
          s << " " << p.filters;
          if (p.groups > 1) s << " groups " << p.groups;
          if (p.dilation > 1) s << " dilation " << p.dilation;
          if (p.batch_normalize) s << " bn";
          s << " " << to_string(p.activation);
          if (p.sparse) s << " sparse";
        } else if constexpr (std::is_same_v<P, RouteParams>) {
          s << "layers " << Join(p.layers);
          if (p.groups > 1) s << " group " << p.group_id << "/" << p.groups;
        } else if constexpr (std::is_same_v<P, ShortcutParams>) {
          s << "from " << Join(p.from) << " " << to_string(p.activation);
        } else if constexpr (std::is_same_v<P, UpsampleParams>) {
          s << "x" << p.stride;
        } else if constexpr (std::is_same_v<P, MaxpoolParams>) {
          s << p.size << "x" << p.size << "/" << p.stride_x;
        } else if constexpr (std::is_same_v<P, YoloParams>) {
          s << "classes " << p.classes << " mask " << Join(p.mask);
          if (p.scale_x_y != 1.f) s << " scale_x_y " << p.scale_x_y;
          if (p.new_coords) s << " new_coords";
        } else if constexpr (std::is_same_v<P, SoftmaxParams>) {
          s << "classes " << p.classes;
        }
      },
      layer.params);
  return s.str();
}

Napi::Array Shape3(Napi::Env env, const lightnet::Shape& shape) {
  Napi::Array a = Napi::Array::New(env, 3);
  a.Set(0u, shape.c);
  a.Set(1u, shape.h);
  a.Set(2u, shape.w);
  return a;
}

Napi::Array Colormap(Napi::Env env, const std::vector<lightnet::Color>& colors) {
  Napi::Array a = Napi::Array::New(env, colors.size());
  for (size_t i = 0; i < colors.size(); ++i) {
    Napi::Array c = Napi::Array::New(env, 3);
    for (uint32_t k = 0; k < 3; ++k) c.Set(k, colors[i][k]);
    a.Set(uint32_t(i), c);
  }
  return a;
}

Napi::Object HeadToJs(Napi::Env env, const lightnet::Network& net, const lightnet::Head& head) {
  using namespace lightnet;
  Napi::Object h = Napi::Object::New(env);
  const Layer& layer = net.layers.at(head.layer);
  h.Set("kind", head.kind == Head::Kind::Yolo ? "yolo" : "segmentation");
  h.Set("layer", head.layer);
  h.Set("source", head.source);
  if (head.kind == Head::Kind::Yolo) {
    h.Set("classes", layer.as<YoloParams>().classes);
    h.Set("colormap", Colormap(env, layer.as<YoloParams>().colormap));
  } else {
    h.Set("classes", layer.as<SoftmaxParams>().classes);
    h.Set("colormap", Colormap(env, layer.as<SoftmaxParams>().colormap));
  }
  return h;
}

}  // namespace

Napi::Object NetworkToJs(Napi::Env env, const lightnet::Network& net) {
  Napi::Object info = Napi::Object::New(env);
  info.Set("cfg", net.cfg_path);
  Napi::Object input = Napi::Object::New(env);
  input.Set("channels", net.input.c);
  input.Set("height", net.input.h);
  input.Set("width", net.input.w);
  info.Set("input", input);

  Napi::Array layers = Napi::Array::New(env, net.layers.size());
  for (size_t i = 0; i < net.layers.size(); ++i) {
    const lightnet::Layer& layer = net.layers[i];
    Napi::Object l = Napi::Object::New(env);
    l.Set("index", layer.index);
    l.Set("type", lightnet::to_string(layer.type));
    Napi::Array inputs = Napi::Array::New(env, layer.inputs.size());
    for (size_t k = 0; k < layer.inputs.size(); ++k) inputs.Set(uint32_t(k), layer.inputs[k]);
    l.Set("inputs", inputs);
    l.Set("output", Shape3(env, layer.output));
    l.Set("flops", layer.flops);
    l.Set("summary", Summary(layer));
    layers.Set(uint32_t(i), l);
  }
  info.Set("layers", layers);

  Napi::Array heads = Napi::Array::New(env, net.heads.size());
  for (size_t i = 0; i < net.heads.size(); ++i) heads.Set(uint32_t(i), HeadToJs(env, net, net.heads[i]));
  info.Set("heads", heads);
  info.Set("gflops", net.gflops());
  info.Set("params", static_cast<double>(net.parameter_count()));
  Napi::Array names = Napi::Array::New(env, net.names.size());
  for (size_t i = 0; i < net.names.size(); ++i) names.Set(uint32_t(i), net.names[i]);
  info.Set("names", names);
  return info;
}

}  // namespace lightnet_addon
