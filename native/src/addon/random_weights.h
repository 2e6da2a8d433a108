// writeRandomWeights(cfg, path, seed) → Promise<void>: a darknet .weights file of seeded random parameters
// for a cfg (models without trained weights; OpenCV can load the file too, for reference runs).
#pragma once
#include <napi.h>

namespace lightnet_addon {

Napi::Value WriteRandomWeights(const Napi::CallbackInfo& info);

}  // namespace lightnet_addon
