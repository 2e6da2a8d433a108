// preprocess(image, {channels, height, width}) → Float32Array: the engine's own input conversion (bilinear
// resize, RGB, /255, CHW), for feeding forward() directly (the CLI's --dump-outputs, tests).
#pragma once
#include <napi.h>

namespace lightnet_addon {

Napi::Value Preprocess(const Napi::CallbackInfo& info);

}  // namespace lightnet_addon
