#include "addon/preprocess.h"

#include "addon/common.h"
#include "addon/raw_image.h"

namespace lightnet_addon {

// Synchronous: a few milliseconds of arithmetic, used off the hot path.
Napi::Value Preprocess(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[1].IsObject())
    throw Napi::TypeError::New(env, "preprocess(image: RawImage, input: {channels, height, width}) expected");
  OwnedPixels image = CopyRawImage(info[0], "image");
  Napi::Object size = info[1].As<Napi::Object>();
  lightnet::Shape shape;
  ReadInt(size, "channels", shape.c);
  ReadInt(size, "height", shape.h);
  ReadInt(size, "width", shape.w);
  if (shape.c <= 0 || shape.h <= 0 || shape.w <= 0)
    throw Napi::RangeError::New(env, "preprocess: input channels, height and width must be > 0");
  Napi::Float32Array out = Napi::Float32Array::New(env, size_t(shape.size()));
  Guard(env, [&] {
    lightnet::validate(image.view());
    lightnet::preprocess_cpu(image.view(), shape, out.Data());
    return 0;
  });
  return out;
}

}  // namespace lightnet_addon
