#include "addon/random_weights.h"

#include <cstdint>
#include <memory>
#include <string>

#include "addon/common.h"
#include "lightnet/model_loader.h"

namespace lightnet_addon {
namespace {

struct RandomWeightsBaton {
  std::string cfg, path;
  uint64_t seed = 1;
  Failure failure;
};

class RandomWeightsWorker : public Napi::AsyncWorker {
 public:
  RandomWeightsWorker(Napi::Env env, RandomWeightsBaton* baton)
      : Napi::AsyncWorker(env, "lightnet.writeRandomWeights"), baton_(baton), deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise Promise() const { return deferred_.Promise(); }

  void Execute() override {
    try {
      lightnet::write_random_weights(lightnet::load_cfg(baton_->cfg), baton_->path, baton_->seed);
    } catch (...) {
      baton_->failure = CaptureCurrentException();
    }
  }

  void OnOK() override {
    if (baton_->failure) return deferred_.Reject(ToJsError(Env(), baton_->failure).Value());
    deferred_.Resolve(Env().Undefined());
  }

 private:
  std::unique_ptr<RandomWeightsBaton> baton_;
  Napi::Promise::Deferred deferred_;
};

}  // namespace

Napi::Value WriteRandomWeights(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[0].IsString() || !info[1].IsString() || !info[2].IsNumber())
    throw Napi::TypeError::New(env, "writeRandomWeights(cfg: string, path: string, seed: number) expected");
  auto baton = std::make_unique<RandomWeightsBaton>();
  baton->cfg = info[0].As<Napi::String>().Utf8Value();
  baton->path = info[1].As<Napi::String>().Utf8Value();
  baton->seed = static_cast<uint64_t>(info[2].As<Napi::Number>().Int64Value());
  auto* worker = new RandomWeightsWorker(env, baton.release());
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

}  // namespace lightnet_addon
