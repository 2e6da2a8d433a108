// EngineHandle: the JS object wrapping one built engine (created by buildEngine, never by `new` from JS).
#pragma once
#include <napi.h>

#include <memory>

#include "addon/engine_slot.h"

namespace lightnet_addon {

class EngineHandle : public Napi::ObjectWrap<EngineHandle> {
 public:
  static Napi::Function Define(Napi::Env env);
  // Wraps a freshly built engine in a new handle (JS thread only).
  static Napi::Object Wrap(Napi::Env env, std::unique_ptr<lightnet::Engine> engine);

  explicit EngineHandle(const Napi::CallbackInfo& info);

 private:
  Napi::Value Info(const Napi::CallbackInfo& info);
  Napi::Value Backend(const Napi::CallbackInfo& info);
  Napi::Value Precision(const Napi::CallbackInfo& info);
  Napi::Value MaxBatch(const Napi::CallbackInfo& info);
  Napi::Value Detect(const Napi::CallbackInfo& info);
  Napi::Value Forward(const Napi::CallbackInfo& info);
  Napi::Value TakeProfile(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);

  // The open engine's slot; throws a JS error once closed.
  std::shared_ptr<EngineSlot> Open(Napi::Env env) const;

  std::shared_ptr<EngineSlot> slot_;
};

}  // namespace lightnet_addon
