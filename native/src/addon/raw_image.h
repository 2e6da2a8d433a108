// JS RawImage ({width, height, encoding, step, data}) ↔ C++ pixels. Input pixels are copied into an
// OwnedPixels on the JS thread, so a worker never reads memory that JS may move, detach or rewrite meanwhile
// (the copy costs about a millisecond for a full-HD frame, small next to inference).
#pragma once
#include <napi.h>

#include <cstdint>
#include <string>
#include <vector>

#include "lightnet/image.h"

namespace lightnet_addon {

struct OwnedPixels {
  int width = 0, height = 0;
  size_t step = 0;
  lightnet::PixelFormat format = lightnet::PixelFormat::BGR8;
  std::vector<uint8_t> data;
  lightnet::ImageView view() const { return {data.data(), width, height, step, format}; }
};

// A checked JS RawImage: its geometry read once, its pixels reached through their Uint8Array when asked for.
struct JsRawImage {
  lightnet::ImageView view;  // data not set: see Pixels()
  Napi::Uint8Array bytes;
  size_t needed = 0;         // bytes the geometry needs
  std::string what;
  // The pixels in place, valid until JS code runs again (it may detach or rewrite them): copy them before then.
  // Throws a RangeError if the buffer no longer holds them (detached by JS that ran since ReadRawImage, e.g. a
  // getter of another argument).
  lightnet::ImageView Pixels() const;
};

// `what` names the argument in errors ("images[2]"). Throws a JS TypeError/RangeError for a malformed image.
JsRawImage ReadRawImage(const Napi::Value& value, const std::string& what);

// ReadRawImage, its pixels copied into memory of its own.
OwnedPixels CopyRawImage(const Napi::Value& value, const std::string& what);

// A RawImage object whose data is a fresh Uint8Array holding a copy of `image`'s rows.
Napi::Object RawImageToJs(Napi::Env env, const lightnet::ImageView& image);

}  // namespace lightnet_addon
