// Helpers for the CPU backend tests: hand-built networks with seeded random weights, and tensor comparison.
#pragma once
#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "lightnet/network.h"

namespace lightnet::testing {

// Builds a Network layer by layer with the shapes darknet would infer. Weights are seeded uniform values.
class NetBuilder {
 public:
  explicit NetBuilder(Shape input, uint32_t seed = 7) : rng_(seed) {
    net.input = input;
    net.has_weights = true;
  }
  Shape shape(int i) const { return i < 0 ? net.input : net.layers.at(i).output; }
  int last() const { return int(net.layers.size()) - 1; }

  int conv(int from, int filters, int size, int stride, Activation act, int groups = 1, int dilation = 1) {
    ConvParams p;
    p.filters = filters, p.size = size, p.stride_x = p.stride_y = stride, p.groups = groups;
    p.dilation = dilation, p.padding = (size / 2) * dilation, p.activation = act;
    Shape in = shape(from);
    Shape out{filters, (in.h + 2 * p.padding - (size - 1) * dilation - 1) / stride + 1,
              (in.w + 2 * p.padding - (size - 1) * dilation - 1) / stride + 1};
    Layer& l = add(LayerType::Convolutional, p, {from}, out);
    const int fan_in = in.c / groups * size * size;
    std::uniform_real_distribution<float> u(-1.f, 1.f);
    l.weights.resize(size_t(filters) * fan_in);
    for (float& w : l.weights) w = u(rng_) * std::sqrt(3.f / fan_in);
    l.bias.resize(filters);
    for (float& b : l.bias) b = 0.2f * u(rng_);
    return l.index;
  }
  int route(std::vector<int> from, int groups = 1, int group_id = 0) {
    Shape out = shape(from[0]);
    out.c = 0;
    for (int f : from) out.c += shape(f).c / groups;
    return add(LayerType::Route, RouteParams{from, groups, group_id}, from, out).index;
  }
  int shortcut(int from, Activation act) {
    int prev = last();
    return add(LayerType::Shortcut, ShortcutParams{{from}, act}, {prev, from}, shape(prev)).index;
  }
  int upsample(int stride) {
    Shape s = shape(last());
    return add(LayerType::Upsample, UpsampleParams{stride}, {last()}, {s.c, s.h * stride, s.w * stride}).index;
  }
  int maxpool(int size, int stride, int padding) {
    Shape s = shape(last());
    MaxpoolParams p{size, stride, stride, padding};
    return add(LayerType::Maxpool, p, {last()},
               {s.c, (s.h + padding - size) / stride + 1, (s.w + padding - size) / stride + 1}).index;
  }
  int dropout() { return add(LayerType::Dropout, DropoutParams{}, {last()}, shape(last())).index; }

  Network net;

 private:
  Layer& add(LayerType type, LayerParams params, std::vector<int> inputs, Shape out) {
    Layer l;
    l.index = int(net.layers.size());
    l.cfg_line = 10 + l.index;
    l.type = type;
    l.params = std::move(params);
    l.inputs = std::move(inputs);
    for (int i : l.inputs) l.input_shapes.push_back(shape(i));
    l.output = out;
    l.flops = 0;
    net.layers.push_back(std::move(l));
    return net.layers.back();
  }
  std::mt19937 rng_;
};

inline std::vector<float> random_input(size_t n, uint32_t seed = 3) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(0.f, 1.f);
  std::vector<float> v(n);
  for (float& x : v) x = u(rng);
  return v;
}

// max|a - b| and max|b|: relative error = first / second.
struct Diff {
  double max_abs = 0, max_ref = 0;
  double relative() const { return max_ref > 0 ? max_abs / max_ref : max_abs; }
};
inline Diff compare(const float* a, const float* b, size_t n) {
  Diff d;
  for (size_t i = 0; i < n; ++i) {
    d.max_abs = std::max(d.max_abs, double(std::fabs(a[i] - b[i])));
    d.max_ref = std::max(d.max_ref, double(std::fabs(b[i])));
    if (std::isnan(a[i]) != std::isnan(b[i])) d.max_abs = INFINITY;
  }
  return d;
}

}  // namespace lightnet::testing
