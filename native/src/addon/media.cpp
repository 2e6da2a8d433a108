// Built only with OpenCV (lib lightnet_media); addon.cpp registers these functions under the same condition.
#include "addon/media.h"
#ifdef LIGHTNET_WITH_OPENCV

#include <memory>
#include <string>

#include "addon/common.h"
#include "addon/raw_image.h"
#include "addon/task.h"
#include "lightnet/media.h"

namespace lightnet_addon {
namespace {

std::string PathArgument(const Napi::CallbackInfo& info, const char* fn) {
  if (info.Length() < 1 || !info[0].IsString())
    throw Napi::TypeError::New(info.Env(), std::string(fn) + ": path (a string) expected");
  return info[0].As<Napi::String>().Utf8Value();
}

}  // namespace

Napi::Value ReadImage(const Napi::CallbackInfo& info) {
  std::string path = PathArgument(info, "readImage");
  auto decoded = std::make_shared<lightnet::OwnedImage>();
  return QueueTask(info.Env(), "lightnet.readImage", [path, decoded] { *decoded = lightnet::read_image(path); },
                   [decoded](Napi::Env env) -> Napi::Value { return RawImageToJs(env, decoded->view()); });
}

Napi::Value WriteImage(const Napi::CallbackInfo& info) {
  std::string path = PathArgument(info, "writeImage");
  if (info.Length() < 2) throw Napi::TypeError::New(info.Env(), "writeImage(path, image) expected");
  auto pixels = std::make_shared<OwnedPixels>(CopyRawImage(info[1], "image"));
  return QueueTask(info.Env(), "lightnet.writeImage", [path, pixels] { lightnet::write_image(path, pixels->view()); },
                   [](Napi::Env env) -> Napi::Value { return env.Undefined(); });
}

}  // namespace lightnet_addon
#endif  // LIGHTNET_WITH_OPENCV
