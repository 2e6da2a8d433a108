#include "addon/raw_image.h"

#include <cstring>
#include <string>

#include "addon/common.h"

namespace lightnet_addon {

JsRawImage ReadRawImage(const Napi::Value& value, const std::string& what) {
  Napi::Env env = value.Env();
  if (!value.IsObject()) throw Napi::TypeError::New(env, what + ": expected a RawImage object");
  Napi::Object o = value.As<Napi::Object>();
  JsRawImage image;
  image.what = what;
  lightnet::ImageView& view = image.view;
  std::string encoding;
  ReadInt(o, "width", view.width);
  ReadInt(o, "height", view.height);
  ReadString(o, "encoding", encoding);
  double step = 0;
  ReadDouble(o, "step", step);
  view.step = static_cast<size_t>(step);
  view.format = Guard(env, [&] { return lightnet::parse_pixel_format(encoding); });
  Napi::Value data = o.Get("data");
  if (!data.IsTypedArray() || data.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array)
    throw Napi::TypeError::New(env, what + ".data: expected a Uint8Array");
  image.bytes = data.As<Napi::Uint8Array>();
  const size_t row = size_t(view.width) * lightnet::channels_of(view.format);
  if (view.width <= 0 || view.height <= 0 || view.step < row)
    throw Napi::RangeError::New(env, what + ": width " + std::to_string(view.width) + ", height " +
                                         std::to_string(view.height) + ", step " + std::to_string(view.step) +
                                         ": expected width, height > 0 and step >= " + std::to_string(row));
  image.needed = view.step * size_t(view.height - 1) + row;
  image.Pixels();  // checks the length now, for an error in argument order
  return image;
}

lightnet::ImageView JsRawImage::Pixels() const {
  // Asked afresh: Napi::Uint8Array caches its data pointer and length from when it was made.
  napi_typedarray_type type;
  size_t length = 0;
  void* data = nullptr;
  napi_value buffer;
  size_t offset = 0;
  NAPI_THROW_IF_FAILED(bytes.Env(), napi_get_typedarray_info(bytes.Env(), bytes, &type, &length, &data, &buffer, &offset),
                       lightnet::ImageView());
  if (data == nullptr || length < needed)
    throw Napi::RangeError::New(bytes.Env(), what + ".data: " + std::to_string(data ? length : 0) +
                                                 " bytes, expected at least " + std::to_string(needed));
  lightnet::ImageView pixels = view;
  pixels.data = static_cast<const uint8_t*>(data);
  return pixels;
}

OwnedPixels CopyRawImage(const Napi::Value& value, const std::string& what) {
  const JsRawImage image = ReadRawImage(value, what);
  const lightnet::ImageView view = image.Pixels();
  OwnedPixels px;
  px.width = view.width;
  px.height = view.height;
  px.step = view.step;
  px.format = view.format;
  px.data.resize(px.step * size_t(px.height));
  std::memcpy(px.data.data(), view.data, image.needed);
  return px;
}

Napi::Object RawImageToJs(Napi::Env env, const lightnet::ImageView& image) {
  const size_t row = size_t(image.width) * lightnet::channels_of(image.format);
  Napi::Uint8Array data = Napi::Uint8Array::New(env, row * size_t(image.height));
  for (int y = 0; y < image.height; ++y) std::memcpy(data.Data() + y * row, image.data + y * image.step, row);
  Napi::Object o = Napi::Object::New(env);
  o.Set("width", image.width);
  o.Set("height", image.height);
  o.Set("encoding", lightnet::to_string(image.format));
  o.Set("step", static_cast<double>(row));
  o.Set("data", data);
  return o;
}

}  // namespace lightnet_addon
