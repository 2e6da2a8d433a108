// EngineHandle.forward(input: Float32Array, batch) → Promise<Tensor[]>: the network alone on pre-processed input.
#pragma once
#include <napi.h>

#include <memory>

#include "addon/engine_slot.h"

namespace lightnet_addon {

Napi::Value QueueForward(const Napi::CallbackInfo& info, std::shared_ptr<EngineSlot> slot);

}  // namespace lightnet_addon
