// readImage(path) → Promise<RawImage> and writeImage(path, image) → Promise<void> (decode/encode off the JS
// thread). Further media (video, annotations) get their own file beside this one.
#pragma once
#include <napi.h>

namespace lightnet_addon {

Napi::Value ReadImage(const Napi::CallbackInfo& info);
Napi::Value WriteImage(const Napi::CallbackInfo& info);

}  // namespace lightnet_addon
