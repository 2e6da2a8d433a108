#include "addon/forward.h"

#include <cstring>
#include <string>
#include <vector>

#include "addon/common.h"

namespace lightnet_addon {
namespace {

struct ForwardBaton {
  std::shared_ptr<EngineSlot> slot;
  std::vector<float> input;  // a copy: JS may reuse its array while the worker runs
  int batch = 1;
  std::vector<lightnet::Tensor> outputs;
  Failure failure;
};

class ForwardWorker : public Napi::AsyncWorker {
 public:
  ForwardWorker(Napi::Env env, ForwardBaton* baton)
      : Napi::AsyncWorker(env, "lightnet.forward"), baton_(baton), deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise Promise() const { return deferred_.Promise(); }

  void Execute() override {
    try {
      baton_->outputs =
          baton_->slot->Run([&](lightnet::Engine& e) { return e.forward(baton_->input.data(), baton_->batch); });
    } catch (...) {
      baton_->failure = CaptureCurrentException();
    }
  }

  void OnOK() override {
    Napi::Env env = Env();
    if (baton_->failure) return deferred_.Reject(ToJsError(env, baton_->failure).Value());
    Napi::Array out = Napi::Array::New(env, baton_->outputs.size());
    for (size_t i = 0; i < baton_->outputs.size(); ++i) {
      const lightnet::Tensor& t = baton_->outputs[i];
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
    deferred_.Resolve(out);
  }

 private:
  std::unique_ptr<ForwardBaton> baton_;
  Napi::Promise::Deferred deferred_;
};

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
  auto baton = std::make_unique<ForwardBaton>();
  baton->slot = std::move(slot);
  baton->batch = batch;
  baton->input.assign(input.Data(), input.Data() + expected);
  auto* worker = new ForwardWorker(env, baton.release());
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

}  // namespace lightnet_addon
