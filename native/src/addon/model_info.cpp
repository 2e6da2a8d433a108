#include "addon/model_info.h"

#include "addon/common.h"
#include "addon/network_info.h"
#include "lightnet/model_loader.h"

namespace lightnet_addon {

// Synchronous: parsing a cfg takes well under a millisecond; reading weights (when asked) a few more.
Napi::Value ModelInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) throw Napi::TypeError::New(env, "modelInfo: cfg path expected");
  const std::string cfg = info[0].As<Napi::String>().Utf8Value();
  std::string weights;
  if (info.Length() > 1 && !info[1].IsUndefined() && !info[1].IsNull()) {
    if (!info[1].IsString()) throw Napi::TypeError::New(env, "modelInfo: weights path must be a string");
    weights = info[1].As<Napi::String>().Utf8Value();
  }
  lightnet::Network net = Guard(env, [&] {
    lightnet::Network n = lightnet::load_cfg(cfg);
    if (!weights.empty()) lightnet::load_weights(n, weights);
    return n;
  });
  return NetworkToJs(env, net);
}

}  // namespace lightnet_addon
