#include "ir/upsample_reorder.h"

namespace lightnet::ir {

std::vector<UpsampleSwap> move_pointwise_convs_before_upsamples(Network& net) {
  const int n = int(net.layers.size());
  std::vector<std::vector<int>> readers(n);
  for (const Layer& l : net.layers)
    for (int j : l.inputs)
      if (j >= 0) readers[j].push_back(l.index);
  std::vector<bool> head(n, false);
  for (const Head& h : net.heads) head[h.source] = head[h.layer] = true;

  std::vector<UpsampleSwap> swaps;
  for (int u = 0; u < n; ++u) {
    const Layer& up = net.layers[u];
    if (up.type != LayerType::Upsample || head[u] || readers[u].size() != 1 || up.inputs.at(0) < 0) continue;
    const int c = readers[u][0];
    const Layer& conv = net.layers[c];
    if (conv.type != LayerType::Convolutional || head[c] || conv.inputs.at(0) != u) continue;
    const auto& p = conv.as<ConvParams>();
    if (p.size != 1 || p.stride_x != 1 || p.stride_y != 1 || p.padding != 0) continue;

    const int stride = up.as<UpsampleParams>().stride;
    Layer small = conv;  // the convolution on the upsample's input
    small.index = u;
    small.inputs = up.inputs;
    small.input_shapes = up.input_shapes;
    small.output = {conv.output.c, up.input_shapes.at(0).h, up.input_shapes.at(0).w};
    small.flops = conv.flops / (double(stride) * stride);
    Layer after = up;  // the upsample of its result
    after.index = c;
    after.inputs = {u};
    after.input_shapes = {small.output};
    after.output = conv.output;
    net.layers[u] = std::move(small);
    net.layers[c] = std::move(after);
    swaps.push_back({u, c});
  }
  return swaps;
}

}  // namespace lightnet::ir
