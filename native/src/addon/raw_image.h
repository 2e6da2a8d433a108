// JS RawImage ({width, height, encoding, step, data}) ↔ C++ pixels. Input pixels are copied into an
// OwnedPixels on the JS thread, so a worker never reads memory that JS may move, detach or rewrite meanwhile
// (the copy costs about a millisecond for a full-HD frame, small next to inference).
#pragma once
#include <napi.h>

#include <cstdint>
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

// A checked view of a JS RawImage's pixels in place: valid only during the current JS call (JS may move, detach
// or rewrite them afterwards), so copy before any work leaves the JS thread. `what` names the argument in
// errors ("images[2]"). Throws a JS TypeError/RangeError for a malformed image.
lightnet::ImageView BorrowRawImage(const Napi::Value& value, const std::string& what);

// BorrowRawImage, copied into memory of its own.
OwnedPixels CopyRawImage(const Napi::Value& value, const std::string& what);

// A RawImage object whose data is a fresh Uint8Array holding a copy of `image`'s rows.
Napi::Object RawImageToJs(Napi::Env env, const lightnet::ImageView& image);

}  // namespace lightnet_addon
