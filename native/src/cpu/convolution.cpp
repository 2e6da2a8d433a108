#include "cpu/convolution.h"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "cpu/activation.h"

namespace lightnet::cpu {

void convolution_reference(const Layer& layer, const float* in, float* out, int batch) {
  const ConvParams& p = layer.as<ConvParams>();
  const Shape& is = layer.input_shapes.at(0);
  const Shape& os = layer.output;
  const int K = p.size, G = p.groups, icg = is.c / G, ocg = os.c / G;
  const size_t wcount = size_t(os.c) * icg * K * K;
  if (layer.weights.size() != wcount || layer.bias.size() != size_t(os.c))
    throw std::invalid_argument("layer " + std::to_string(layer.index) + " [convolutional]: expected " +
                                std::to_string(wcount) + " weights and " + std::to_string(os.c) +
                                " biases, found " + std::to_string(layer.weights.size()) + " and " +
                                std::to_string(layer.bias.size()) + " (weights not loaded?)");
  const size_t iplane = size_t(is.h) * is.w, oplane = size_t(os.h) * os.w;
  const long long jobs = (long long)batch * os.c;
#pragma omp parallel for schedule(dynamic, 1)
  for (long long job = 0; job < jobs; ++job) {
    const int n = int(job / os.c), oc = int(job % os.c), g = oc / ocg;
    float* o = out + (size_t(n) * os.c + oc) * oplane;
    std::fill(o, o + oplane, layer.bias[oc]);
    for (int icl = 0; icl < icg; ++icl) {
      const float* src = in + (size_t(n) * is.c + g * icg + icl) * iplane;
      for (int ky = 0; ky < K; ++ky) {
        for (int kx = 0; kx < K; ++kx) {
          const float w = layer.weights[((size_t(oc) * icg + icl) * K + ky) * K + kx];
          const int dy = ky * p.dilation - p.padding, dx = kx * p.dilation - p.padding;
          // output columns whose input column ox*stride + dx lies inside [0, is.w)
          int x0 = dx >= 0 ? 0 : (-dx + p.stride_x - 1) / p.stride_x;
          int x1 = std::min(os.w, (is.w - 1 - dx) >= 0 ? (is.w - 1 - dx) / p.stride_x + 1 : 0);
          for (int oy = 0; oy < os.h; ++oy) {
            const int iy = oy * p.stride_y + dy;
            if (iy < 0 || iy >= is.h) continue;
            const float* s = src + size_t(iy) * is.w + dx;
            float* orow = o + size_t(oy) * os.w;
            if (p.stride_x == 1) {
              for (int ox = x0; ox < x1; ++ox) orow[ox] += w * s[ox];
            } else {
              for (int ox = x0; ox < x1; ++ox) orow[ox] += w * s[ox * p.stride_x];
            }
          }
        }
      }
    }
    for (size_t k = 0; k < oplane; ++k) o[k] = activate(p.activation, o[k]);
  }
}

}  // namespace lightnet::cpu
