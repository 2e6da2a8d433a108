import { callNativeSync } from "../errors/callNative.js";
import { loadNative } from "../native.js";
import type { ModelInfo, RawImage } from "./types.js";
import { validateRawImage } from "./validateRawImage.js";

/**
 * The engine's own input conversion for one image (plain bilinear resize to the network size, RGB, /255,
 * CHW float32), for feeding Engine.forward() directly.
 */
export function preprocess(image: RawImage, input: ModelInfo["input"]): Float32Array {
  validateRawImage(image, "image");
  const native = loadNative();
  return callNativeSync(() => native.preprocess(image, input));
}
