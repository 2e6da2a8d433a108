// Which precision each convolution runs in (engine precision, cfg `precision=` keys, first/last-layer rules).
#include <set>

#include "lightnet/quantization.h"

namespace lightnet {

bool QuantPlan::any_int8() const {
  for (const LayerQuantization& l : layers)
    if (l.precision == Precision::INT8) return true;
  return false;
}

std::vector<Precision> plan_precisions(const Network& net, const BuildOptions& options) {
  std::vector<Precision> out(net.layers.size(), Precision::FP32);
  std::set<int> last;  // convs whose output is a raw head tensor
  for (const Head& h : net.heads) last.insert(h.source);
  for (const Layer& l : net.layers) {
    if (l.type != LayerType::Convolutional) continue;
    const ConvParams& p = l.as<ConvParams>();
    Precision prec = options.precision;
    if (prec == Precision::INT8) {
      const bool first = l.inputs.size() == 1 && l.inputs[0] < 0;
      // Autoware / LightNet-TRT: the input conv sees raw pixels and the head convs feed decoding; both are
      // the most quantization-sensitive, so they stay at FP16 unless asked otherwise.
      if (first && !options.quantize_first_layer) prec = Precision::FP16;
      if (last.count(l.index) && !options.quantize_last_layer) prec = Precision::FP16;
    }
    if (options.multi_precision && p.precision) prec = *p.precision;
    out[l.index] = prec;
  }
  return out;
}

}  // namespace lightnet
