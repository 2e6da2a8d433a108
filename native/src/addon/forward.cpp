#include "addon/forward.h"

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "addon/common.h"
#include "addon/task.h"

namespace lightnet_addon {
namespace {

// Head tensors → [{layer, shape: [n, c, h, w], data: Float32Array}].
Napi::Array TensorsToJs(Napi::Env env, const std::vector<lightnet::Tensor>& outputs) {
  Napi::Array out = Napi::Array::New(env, outputs.size());
  for (size_t i = 0; i < outputs.size(); ++i) {
    const lightnet::Tensor& t = outputs[i];
    Napi::Float32Array data = Napi::Float32Array::New(env, t.data.size());
    std::memcpy(data.Data(), t.data.data(), t.data.size() * sizeof(float));
    Napi::Array shape = Napi::Array::New(env, 4);
    shape.Set(0u, t.n);
    shape.Set(1u, t.c);
    shape.Set(2u, t.h);
    shape.Set(3u, t.w);
    Napi::Object o = Napi::Object::New(env);
    o.Set("layer", t.layer);
    o.Set("shape", shape);
    o.Set("data", data);
    out.Set(uint32_t(i), o);
  }
  return out;
}

}  // namespace

Napi::Value QueueForward(const Napi::CallbackInfo& info, std::shared_ptr<EngineSlot> slot) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsTypedArray() ||
      info[0].As<Napi::TypedArray>().TypedArrayType() != napi_float32_array || !info[1].IsNumber())
    throw Napi::TypeError::New(env, "forward(input: Float32Array, batch: number) expected");
  const lightnet::Engine& engine = slot->engine();
  const int batch = info[1].As<Napi::Number>().Int32Value();
  if (batch < 1 || batch > engine.max_batch())
    throw Napi::RangeError::New(env, "forward: batch " + std::to_string(batch) + ", expected 1.." +
                                         std::to_string(engine.max_batch()) + " (the engine's maxBatch)");
  const lightnet::Shape& in = engine.network().input;
  Napi::Float32Array input = info[0].As<Napi::Float32Array>();
  const size_t expected = size_t(batch) * size_t(in.size());
  if (input.ElementLength() != expected)
    throw Napi::RangeError::New(env, "forward: input holds " + std::to_string(input.ElementLength()) +
                                         " floats, expected " + std::to_string(expected) + " (batch " +
                                         std::to_string(batch) + " x " + std::to_string(in.c) + "x" +
                                         std::to_string(in.h) + "x" + std::to_string(in.w) + ")");
  auto data = std::make_shared<std::vector<float>>(input.Data(), input.Data() + expected);  // JS may reuse its array meanwhile
  auto outputs = std::make_shared<std::vector<lightnet::Tensor>>();
  return QueueTask(
      env, "lightnet.forward",
      [slot, data, batch, outputs] { *outputs = slot->Run([&](lightnet::Engine& e) { return e.forward(data->data(), batch); }); },
      [outputs](Napi::Env e) -> Napi::Value { return TensorsToJs(e, *outputs); });
}

}  // namespace lightnet_addon
