// availableBackends() and versions(): what this build contains.
#pragma once
#include <napi.h>

namespace lightnet_addon {

Napi::Value AvailableBackends(const Napi::CallbackInfo& info);
Napi::Value Versions(const Napi::CallbackInfo& info);

}  // namespace lightnet_addon
