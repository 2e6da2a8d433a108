// EngineHandle.detect(images, {scoreThreshold, nmsThreshold}) → Promise<NativeFrameResult[]>.
#pragma once
#include <napi.h>

#include <memory>

#include "addon/engine_slot.h"

namespace lightnet_addon {

Napi::Value QueueDetect(const Napi::CallbackInfo& info, std::shared_ptr<EngineSlot> slot);

}  // namespace lightnet_addon
