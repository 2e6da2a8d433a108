#include "ir/network_builder.h"

#include "ir/layer_builders.h"
#include "lightnet/model_loader.h"

namespace lightnet::ir {

using darknet::CfgSection;

namespace {

int input_dimension(const CfgSection& s, const std::string& key, int value) {
  if (value <= 0) s.fail(key, "expected > 0");
  if (value > kMaxDimension) s.fail(key, "expected <= " + std::to_string(kMaxDimension));
  return value;
}

Shape read_input(const CfgSection& s) {
  Shape in;
  in.w = input_dimension(s, "width", s.require_int("width"));
  in.h = input_dimension(s, "height", s.require_int("height"));
  in.c = input_dimension(s, "channels", s.get_int("channels", 3));
  return in;
}

// A head reads the raw tensor of the convolution right before it.
Head make_head(const CfgSection& s, const Network& net, const Layer& l) {
  Head h{l.type == LayerType::Yolo ? Head::Kind::Yolo : Head::Kind::Segmentation, l.index, l.index - 1};
  if (h.source < 0 || net.layers[size_t(h.source)].type != LayerType::Convolutional)
    s.fail_section("expects the previous layer to be a [convolutional] (its output is the head tensor)");
  return h;
}

}  // namespace

Network build_network(const std::vector<CfgSection>& sections, const std::string& cfg_path) {
  if (sections.empty()) throw ModelError(cfg_path, 0, "no sections found, expected [net] followed by layers");
  const CfgSection& net_section = sections.front();
  if (net_section.type() != "net" && net_section.type() != "network")
    net_section.fail_section("expected [net] as the first section");
  if (sections.size() == 1) net_section.fail_section("no layers after [net]");

  Network net;
  net.cfg_path = cfg_path;
  net.input = read_input(net_section);
  for (size_t i = 1; i < sections.size(); ++i) {
    const CfgSection& s = sections[i];
    net.layers.push_back(build_layer(s, int(i - 1), net.layers, net.input));
    const Layer& l = net.layers.back();
    if (l.type == LayerType::Yolo || l.type == LayerType::Softmax) net.heads.push_back(make_head(s, net, l));
    if (l.type == LayerType::Yolo && net.names.empty()) net.names = l.as<YoloParams>().names;
  }
  return net;
}

std::vector<std::string> unused_cfg_keys(const std::vector<CfgSection>& sections) {
  std::vector<std::string> out;
  for (const auto& s : sections)
    for (const auto& e : s.unused_entries()) out.push_back(std::to_string(e.line) + ": [" + s.type() + "] " + e.key);
  return out;
}

Network load_cfg_reporting_unused(const std::string& cfg_path, std::vector<std::string>& unused_keys) {
  const auto sections = darknet::read_cfg_file(cfg_path);
  Network net = build_network(sections, cfg_path);
  unused_keys = unused_cfg_keys(sections);
  return net;
}

}  // namespace lightnet::ir

namespace lightnet {

Network load_cfg(const std::string& cfg_path) {
  return ir::build_network(darknet::read_cfg_file(cfg_path), cfg_path);
}

}  // namespace lightnet
