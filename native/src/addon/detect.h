// EngineHandle.detect(images, options) → Promise<NativeFrameResult[]>. Each image is a RawImage (pixels, copied
// once on the JS thread: into the engine's input buffers when they are free) or an EncodedImage ({encoded,
// what?}: JPEG/PNG/… bytes decoded on the worker straight into those buffers), so one frame's decode and detect
// are one native task. Options: scoreThreshold, nmsThreshold, pinnedInput (default true; false keeps frames in
// the addon's own memory, the engine then stages them: same results), returnDecoded (default false: the
// decoded pixels of EncodedImages come back in `decoded.image`, else only their size).
#pragma once
#include <napi.h>

#include <memory>

#include "addon/engine_slot.h"

namespace lightnet_addon {

Napi::Value QueueDetect(const Napi::CallbackInfo& info, std::shared_ptr<EngineSlot> slot);

}  // namespace lightnet_addon
