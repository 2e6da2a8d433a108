#include "addon/random_weights.h"

#include <cstdint>
#include <memory>
#include <string>

#include "addon/common.h"
#include "addon/task.h"
#include "lightnet/model_loader.h"

namespace lightnet_addon {

Napi::Value WriteRandomWeights(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[0].IsString() || !info[1].IsString() || !info[2].IsNumber())
    throw Napi::TypeError::New(env, "writeRandomWeights(cfg: string, path: string, seed: number) expected");
  std::string cfg = info[0].As<Napi::String>().Utf8Value();
  std::string path = info[1].As<Napi::String>().Utf8Value();
  const auto seed = static_cast<uint64_t>(info[2].As<Napi::Number>().Int64Value());
  return QueueTask(env, "lightnet.writeRandomWeights",
                   [cfg, path, seed] { lightnet::write_random_weights(lightnet::load_cfg(cfg), path, seed); },
                   [](Napi::Env e) -> Napi::Value { return e.Undefined(); });
}

}  // namespace lightnet_addon
