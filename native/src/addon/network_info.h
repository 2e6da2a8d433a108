// lightnet::Network → the JS ModelInfo object (src/engine/types.ts).
#pragma once
#include <napi.h>

#include "lightnet/network.h"

namespace lightnet_addon {

Napi::Object NetworkToJs(Napi::Env env, const lightnet::Network& net);

}  // namespace lightnet_addon
