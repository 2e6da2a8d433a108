#include "ir/sibling_fusion.h"

#include <algorithm>

namespace lightnet::ir {
namespace {

// A one-input route without groups: the same tensor under another index.
bool is_alias(const Layer& l) {
  return l.type == LayerType::Route && l.inputs.size() == 1 && l.as<RouteParams>().groups == 1;
}

int tensor_of(const Network& net, int j) {
  while (j >= 0 && is_alias(net.layers[j])) j = net.layers[j].inputs[0];
  return j;
}

bool fusable(const Layer& l) {
  return l.type == LayerType::Convolutional && l.as<ConvParams>().groups == 1 && !l.weights.empty();
}

bool same_conv(const Layer& a, const Layer& b) {
  const auto &p = a.as<ConvParams>(), &q = b.as<ConvParams>();
  return p.filters == q.filters && p.size == q.size && p.stride_x == q.stride_x && p.stride_y == q.stride_y &&
         p.padding == q.padding && p.dilation == q.dilation && p.activation == q.activation && p.sparse == q.sparse &&
         p.precision == q.precision && a.output == b.output && a.input_shapes == b.input_shapes;
}

// Makes layer l read `to` where it read `from` (its inputs and the parameters that repeat them).
void redirect(Layer& l, int from, int to) {
  std::replace(l.inputs.begin(), l.inputs.end(), from, to);
  if (l.type == LayerType::Route) {
    auto& layers = l.as<RouteParams>().layers;
    std::replace(layers.begin(), layers.end(), from, to);
  } else if (l.type == LayerType::Shortcut) {
    auto& from_layers = l.as<ShortcutParams>().from;
    std::replace(from_layers.begin(), from_layers.end(), from, to);
  }
}

// The members in the order a concat reads them side by side, if one does; else as given.
std::vector<int> channel_order(const Network& net, const std::vector<int>& members) {
  for (const Layer& l : net.layers) {
    if (l.type != LayerType::Route || l.inputs.size() < members.size()) continue;
    for (size_t q = 0; q + members.size() <= l.inputs.size(); ++q) {
      std::vector<int> window(l.inputs.begin() + q, l.inputs.begin() + q + members.size());
      if (std::is_permutation(window.begin(), window.end(), members.begin())) return window;
    }
  }
  return members;
}

}  // namespace

std::vector<SiblingFusion> fuse_sibling_convs(Network& net) {
  const int n = int(net.layers.size());
  std::vector<SiblingFusion> fused;
  std::vector<bool> taken(n, false), head(n, false);
  for (const Head& h : net.heads) head[h.source] = head[h.layer] = true;
  std::vector<std::vector<int>> readers;
  auto find_readers = [&] {  // (again after every fusion: it rewires layers)
    readers.assign(n, {});
    for (const Layer& l : net.layers)
      for (int j : l.inputs)
        if (j >= 0) readers[j].push_back(l.index);
  };
  find_readers();
  for (int a = 0; a < n; ++a) {
    const Layer& first = net.layers[a];
    if (taken[a] || head[a] || !fusable(first)) continue;
    const int tensor = tensor_of(net, first.inputs.at(0));
    // Later siblings that read the tensor through a route only they read: each such route is a free index.
    std::vector<int> members{a}, routes;
    for (int b = a + 1; b < n; ++b) {
      const Layer& l = net.layers[b];
      if (taken[b] || head[b] || !fusable(l) || !same_conv(first, l)) continue;
      const int r = l.inputs.at(0);
      if (r <= a || !is_alias(net.layers[r]) || tensor_of(net, r) != tensor || readers[r].size() != 1 || head[r])
        continue;
      members.push_back(b);
      routes.push_back(r);
    }
    if (members.size() < 2) continue;
    // The first sibling's output moves to the route before the second: nothing may read it earlier.
    const int moved_to = routes[0];
    if (std::any_of(readers[a].begin(), readers[a].end(), [&](int j) { return j < moved_to; })) continue;

    const std::vector<int> order = channel_order(net, members);
    const int groups = int(order.size());
    Layer conv = net.layers[a];  // the fused convolution, built from copies before the members change
    conv.weights.clear();
    conv.bias.clear();
    conv.flops = 0;
    for (int m : order) {
      const Layer& l = net.layers[m];
      conv.weights.insert(conv.weights.end(), l.weights.begin(), l.weights.end());
      conv.bias.insert(conv.bias.end(), l.bias.begin(), l.bias.end());
      conv.flops += l.flops;
    }
    conv.as<ConvParams>().filters *= groups;
    conv.output.c *= groups;

    for (int j : readers[a]) redirect(net.layers[j], a, moved_to);
    SiblingFusion record;
    record.conv = a;
    for (int k = 0; k < groups; ++k) {
      const int m = order[k];
      const int v = m == a ? moved_to : m;
      Layer& view = net.layers[v];
      const Shape out = net.layers[m].output;
      view.type = LayerType::Route;
      view.params = RouteParams{{a}, groups, k};
      view.inputs = {a};
      view.input_shapes = {conv.output};
      view.output = out;
      view.flops = 0;
      view.weights.clear();
      view.bias.clear();
      record.members.push_back(m);
      record.views.push_back(v);
      taken[m] = true;
    }
    net.layers[a] = std::move(conv);
    fused.push_back(std::move(record));
    find_readers();
  }
  return fused;
}

}  // namespace lightnet::ir
