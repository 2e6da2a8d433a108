#include "addon/raw_image.h"

#include <cstring>
#include <string>

#include "addon/common.h"

namespace lightnet_addon {

lightnet::ImageView BorrowRawImage(const Napi::Value& value, const std::string& what) {
  Napi::Env env = value.Env();
  if (!value.IsObject()) throw Napi::TypeError::New(env, what + ": expected a RawImage object");
  Napi::Object o = value.As<Napi::Object>();
  lightnet::ImageView view;
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
  Napi::Uint8Array bytes = data.As<Napi::Uint8Array>();
  const size_t row = size_t(view.width) * lightnet::channels_of(view.format);
  if (view.width <= 0 || view.height <= 0 || view.step < row)
    throw Napi::RangeError::New(env, what + ": width " + std::to_string(view.width) + ", height " +
                                         std::to_string(view.height) + ", step " + std::to_string(view.step) +
                                         ": expected width, height > 0 and step >= " + std::to_string(row));
  const size_t needed = view.step * size_t(view.height - 1) + row;
  if (bytes.ByteLength() < needed)
    throw Napi::RangeError::New(env, what + ".data: " + std::to_string(bytes.ByteLength()) +
                                         " bytes, expected at least " + std::to_string(needed));
  view.data = bytes.Data();
  return view;
}

OwnedPixels CopyRawImage(const Napi::Value& value, const std::string& what) {
  const lightnet::ImageView view = BorrowRawImage(value, what);
  OwnedPixels px;
  px.width = view.width;
  px.height = view.height;
  px.step = view.step;
  px.format = view.format;
  const size_t row = size_t(view.width) * lightnet::channels_of(view.format);
  px.data.resize(px.step * size_t(px.height));
  std::memcpy(px.data.data(), view.data, view.step * size_t(view.height - 1) + row);
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
