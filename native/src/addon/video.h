// Video and in-memory codecs for offline runs (built with OpenCV only):
//   new VideoReader(pathOrCameraIndex, {width, height}?) → .info(), .read() → Promise<{image, positionMs} | null>, .close()
//   new VideoWriter(path, width, height, fps) → .write(image) → Promise<void>, .close()
//   decodeImage(bytes, what) → Promise<RawImage>;  encodeImage(image, ".png") → Promise<Uint8Array>
#pragma once
#include <napi.h>

namespace lightnet_addon {

void RegisterVideo(Napi::Env env, Napi::Object exports);

}  // namespace lightnet_addon
