#include "addon/versions.h"

#include <string>

#include "addon/common.h"
#include "lightnet/engine.h"
#ifdef LIGHTNET_WITH_ONEDNN
#include <oneapi/dnnl/dnnl.h>
#endif
#ifdef LIGHTNET_WITH_OPENCV
#include "lightnet/media.h"
#endif
#if defined(LIGHTNET_WITH_CUDA) && __has_include(<cuda_runtime_api.h>)
#include <cuda_runtime_api.h>
#define LIGHTNET_ADDON_CUDA_VERSION 1
#endif

namespace lightnet_addon {

Napi::Value AvailableBackends(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::vector<std::string> backends = Guard(env, [] { return lightnet::available_backends(); });
  Napi::Array out = Napi::Array::New(env, backends.size());
  for (size_t i = 0; i < backends.size(); ++i) out.Set(uint32_t(i), backends[i]);
  return out;
}

Napi::Value Versions(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object v = Napi::Object::New(env);
  v.Set("napi", std::to_string(NAPI_VERSION));
#ifdef LIGHTNET_WITH_ONEDNN
  const dnnl_version_t* dnnl = dnnl_version();
  v.Set("onednn", std::to_string(dnnl->major) + "." + std::to_string(dnnl->minor) + "." + std::to_string(dnnl->patch));
#endif
#ifdef LIGHTNET_WITH_OPENCV
  v.Set("opencv", lightnet::media_library_version());
#endif
#ifdef LIGHTNET_ADDON_CUDA_VERSION
  int runtime = 0, driver = 0;
  if (cudaRuntimeGetVersion(&runtime) == cudaSuccess)
    v.Set("cudaRuntime", std::to_string(runtime / 1000) + "." + std::to_string(runtime % 1000 / 10));
  if (cudaDriverGetVersion(&driver) == cudaSuccess && driver > 0)
    v.Set("cudaDriver", std::to_string(driver / 1000) + "." + std::to_string(driver % 1000 / 10));
#endif
  return v;
}

}  // namespace lightnet_addon
