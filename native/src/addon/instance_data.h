// Per-environment state of the addon (one per Node main thread or worker thread).
#pragma once
#include <napi.h>

namespace lightnet_addon {

struct InstanceData {
  Napi::FunctionReference engine_constructor;
  static InstanceData& Of(Napi::Env env) { return *env.GetInstanceData<InstanceData>(); }
};

}  // namespace lightnet_addon
