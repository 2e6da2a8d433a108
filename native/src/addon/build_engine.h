// buildEngine(options, onProgress?) → Promise<EngineHandle>: loads the cfg and weights (or seeded random
// weights) and builds the engine on a worker thread, reporting progress on the JS thread.
#pragma once
#include <napi.h>

namespace lightnet_addon {

Napi::Value BuildEngine(const Napi::CallbackInfo& info);

}  // namespace lightnet_addon
