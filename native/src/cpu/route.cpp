#include "cpu/route.h"

#include <cstring>

namespace lightnet::cpu {

void route_reference(const Layer& layer, const std::vector<const float*>& inputs, float* out, int batch) {
  const RouteParams& p = layer.as<RouteParams>();
  const size_t plane = size_t(layer.output.h) * layer.output.w;
  for (int n = 0; n < batch; ++n) {
    float* o = out + size_t(n) * layer.output.size();
    for (size_t i = 0; i < inputs.size(); ++i) {
      const Shape& s = layer.input_shapes[i];
      const size_t part = size_t(s.c / p.groups) * plane;
      std::memcpy(o, inputs[i] + size_t(n) * s.size() + part * p.group_id, part * sizeof(float));
      o += part;
    }
  }
}

}  // namespace lightnet::cpu
