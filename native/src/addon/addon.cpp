// lightnet_addon.node: registers one function per operation (each lives in its own file).
#include <napi.h>

#include "addon/build_engine.h"
#include "addon/engine_handle.h"
#include "addon/instance_data.h"
#include "addon/model_info.h"
#include "addon/preprocess.h"
#include "addon/random_weights.h"
#include "addon/versions.h"
#ifdef LIGHTNET_WITH_OPENCV
#include "addon/media.h"
#include "addon/video.h"
#endif

namespace lightnet_addon {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  auto* data = new InstanceData();
  data->engine_constructor = Napi::Persistent(EngineHandle::Define(env));
  env.SetInstanceData(data);
  exports.Set("modelInfo", Napi::Function::New<ModelInfo>(env, "modelInfo"));
  exports.Set("availableBackends", Napi::Function::New<AvailableBackends>(env, "availableBackends"));
  exports.Set("versions", Napi::Function::New<Versions>(env, "versions"));
  exports.Set("buildEngine", Napi::Function::New<BuildEngine>(env, "buildEngine"));
  exports.Set("writeRandomWeights", Napi::Function::New<WriteRandomWeights>(env, "writeRandomWeights"));
  exports.Set("preprocess", Napi::Function::New<Preprocess>(env, "preprocess"));
#ifdef LIGHTNET_WITH_OPENCV
  exports.Set("readImage", Napi::Function::New<ReadImage>(env, "readImage"));
  exports.Set("writeImage", Napi::Function::New<WriteImage>(env, "writeImage"));
  RegisterVideo(env, exports);
#endif
  return exports;
}

}  // namespace lightnet_addon

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) { return lightnet_addon::Init(env, exports); }

NODE_API_MODULE(lightnet_addon, InitAddon)
