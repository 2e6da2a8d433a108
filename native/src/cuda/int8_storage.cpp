#include "cuda/int8_storage.h"

#include <algorithm>

namespace lightnet::cuda {

Int8Storages plan_int8_storages(const Network& net, const MemoryPlan& plan, const QuantPlan& quant,
                                const std::vector<bool>& int8_capable, const std::vector<bool>& own_kernels) {
  const int n = int(net.layers.size());
  Int8Storages out;
  out.storages.resize(plan.storages.size());
  std::vector<bool> allowed(plan.storages.size(), true);
  std::vector<float> amax(plan.storages.size(), 0.f);
  auto storage_of = [&](int j) { return j < 0 ? plan.input.storage : plan.layers[j].storage; };
  allowed[plan.input.storage] = false;  // pre-processing writes FP16
  amax[plan.input.storage] = quant.input_amax;

  for (const Layer& l : net.layers) {
    const int s = plan.layers[l.index].storage;
    if (l.index < int(quant.amax.size())) amax[s] = std::max(amax[s], quant.amax[l.index]);
    const bool view = plan.writes_in_place[l.index];  // a route of one, a head: reads nothing itself
    const bool computes = !view && !(l.type == LayerType::Route && plan.concat_done[l.index]);
    if (!computes) continue;
    switch (l.type) {
      case LayerType::Convolutional:
        // Writes int8 from the own kernels' epilogue; reads int8 only with an INT8 main loop.
        if (!own_kernels[l.index]) allowed[s] = false;
        if (!int8_capable[l.index]) allowed[storage_of(l.inputs.at(0))] = false;
        break;
      case LayerType::Upsample:  // converts between any two storages
        break;
      default:  // concat copies, maxpool, shortcut: FP16 in and out
        allowed[s] = false;
        for (int j : l.inputs) allowed[storage_of(j)] = false;
    }
  }
  for (const Head& h : net.heads) allowed[plan.layers[h.source].storage] = false;
  if (n == 0) return out;

  for (size_t s = 0; s < out.storages.size(); ++s) {
    out.storages[s].int8 = allowed[s] && amax[s] > 0;
    out.storages[s].scale = out.storages[s].int8 ? amax[s] / 127.f : 0.f;
  }
  // (Convs the caller ruled out are its to report; here, those whose input stays FP16 because of a neighbour.)
  for (const Layer& l : net.layers) {
    if (!int8_capable[l.index]) continue;
    if (!out.storages[storage_of(l.inputs.at(0))].int8)
      out.notes.push_back("layer " + std::to_string(l.index) +
                          " (planned int8) runs fp16: its input is also read or written in fp16");
  }
  return out;
}

}  // namespace lightnet::cuda
