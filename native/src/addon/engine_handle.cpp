#include "addon/engine_handle.h"

#include "addon/common.h"
#include "addon/detect.h"
#include "addon/forward.h"
#include "addon/instance_data.h"
#include "addon/network_info.h"

namespace lightnet_addon {

Napi::Function EngineHandle::Define(Napi::Env env) {
  return DefineClass(env, "EngineHandle",
                     {InstanceMethod<&EngineHandle::Info>("info"),
                      InstanceMethod<&EngineHandle::Backend>("backend"),
                      InstanceMethod<&EngineHandle::Precision>("precision"),
                      InstanceMethod<&EngineHandle::MaxBatch>("maxBatch"),
                      InstanceMethod<&EngineHandle::Detect>("detect"),
                      InstanceMethod<&EngineHandle::Forward>("forward"),
                      InstanceMethod<&EngineHandle::TakeProfile>("takeProfile"),
                      InstanceMethod<&EngineHandle::Close>("close")});
}

Napi::Object EngineHandle::Wrap(Napi::Env env, std::unique_ptr<lightnet::Engine> engine) {
  auto slot = std::make_shared<EngineSlot>(std::move(engine));
  // The constructor receives the slot through an External: JS code cannot build a handle itself.
  auto* carrier = new std::shared_ptr<EngineSlot>(std::move(slot));
  Napi::External<std::shared_ptr<EngineSlot>> external = Napi::External<std::shared_ptr<EngineSlot>>::New(
      env, carrier, [](Napi::Env, std::shared_ptr<EngineSlot>* p) { delete p; });
  return InstanceData::Of(env).engine_constructor.New({external});
}

EngineHandle::EngineHandle(const Napi::CallbackInfo& info) : Napi::ObjectWrap<EngineHandle>(info) {
  if (info.Length() != 1 || !info[0].IsExternal())
    throw Napi::TypeError::New(info.Env(), "EngineHandle is created by buildEngine(), not with new");
  slot_ = *info[0].As<Napi::External<std::shared_ptr<EngineSlot>>>().Data();
}

std::shared_ptr<EngineSlot> EngineHandle::Open(Napi::Env env) const {
  if (!slot_) throw Napi::Error::New(env, "engine is closed");
  return slot_;
}

Napi::Value EngineHandle::Info(const Napi::CallbackInfo& info) {
  auto slot = Open(info.Env());
  return NetworkToJs(info.Env(), slot->engine().network());
}

Napi::Value EngineHandle::Backend(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), Open(info.Env())->engine().backend());
}

Napi::Value EngineHandle::Precision(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), lightnet::to_string(Open(info.Env())->engine().precision()));
}

Napi::Value EngineHandle::MaxBatch(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), Open(info.Env())->engine().max_batch());
}

Napi::Value EngineHandle::Detect(const Napi::CallbackInfo& info) {
  return QueueDetect(info, Open(info.Env()));
}

Napi::Value EngineHandle::Forward(const Napi::CallbackInfo& info) {
  return QueueForward(info, Open(info.Env()));
}

// Synchronous: it only swaps out numbers the workers already collected (see EngineSlot::Run).
Napi::Value EngineHandle::TakeProfile(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::vector<lightnet::LayerTiming> timings = Open(env)->TakeProfile();
  Napi::Array out = Napi::Array::New(env, timings.size());
  for (size_t i = 0; i < timings.size(); ++i) {
    Napi::Object t = Napi::Object::New(env);
    t.Set("layer", timings[i].layer);
    t.Set("name", timings[i].name);
    t.Set("ms", timings[i].ms);
    out.Set(uint32_t(i), t);
  }
  return out;
}

// Releases this handle's share of the engine; a run still in flight keeps it alive until it settles.
Napi::Value EngineHandle::Close(const Napi::CallbackInfo& info) {
  slot_.reset();
  return info.Env().Undefined();
}

}  // namespace lightnet_addon
