#include "cpu/shortcut.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>

#include "cpu/activation.h"

namespace lightnet::cpu {

void shortcut_reference(const Layer& layer, const std::vector<const float*>& inputs, float* out, int batch) {
  const ShortcutParams& p = layer.as<ShortcutParams>();
  const Shape& os = layer.output;
  const size_t plane = size_t(os.h) * os.w;
  std::memcpy(out, inputs[0], sizeof(float) * os.size() * batch);
  for (size_t i = 1; i < inputs.size(); ++i) {
    const Shape& s = layer.input_shapes[i];
    if (s.h != os.h || s.w != os.w)
      throw std::invalid_argument("layer " + std::to_string(layer.index) + " [shortcut]: input " +
                                  std::to_string(layer.inputs[i]) + " is " + std::to_string(s.h) + "x" +
                                  std::to_string(s.w) + ", expected " + std::to_string(os.h) + "x" +
                                  std::to_string(os.w));
    const int c = std::min(s.c, os.c);
    for (int n = 0; n < batch; ++n) {
      float* o = out + size_t(n) * os.size();
      const float* f = inputs[i] + size_t(n) * s.size();
      const long long count = (long long)c * plane;
#pragma omp parallel for schedule(static)
      for (long long k = 0; k < count; ++k) o[k] += f[k];
    }
  }
  activate_inplace(p.activation, out, size_t(os.size()) * batch);
}

}  // namespace lightnet::cpu
