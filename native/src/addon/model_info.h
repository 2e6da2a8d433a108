// modelInfo(cfg, weights?) → ModelInfo: parses the cfg (and checks the weights file against it when given).
#pragma once
#include <napi.h>

namespace lightnet_addon {

Napi::Value ModelInfo(const Napi::CallbackInfo& info);

}  // namespace lightnet_addon
