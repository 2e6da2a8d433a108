import { callNative } from "../errors/callNative.js";
import { invalidParameterError } from "../errors/invalidParameterError.js";
import type { RawImage } from "../engine/types.js";
import { loadNative } from "../native.js";

/** Decodes an image file (JPEG, PNG, BMP, …) into bgr8 pixels off the event loop; errors name the file. */
export async function readImage(path: string): Promise<RawImage> {
  if (typeof path !== "string" || path.length === 0) throw invalidParameterError("path", "an image file path", path);
  const native = loadNative();
  const read = native.readImage;
  if (!read) throw new Error(`${path}: cannot read images: the addon was built without OpenCV (install libopencv-dev and rebuild)`);
  return callNative(() => read(path));
}
