import { callNative } from "../errors/callNative.js";
import { invalidParameterError } from "../errors/invalidParameterError.js";
import type { RawImage } from "../engine/types.js";
import { validateRawImage } from "../engine/validateRawImage.js";
import { loadNative } from "../native.js";

/** Encodes `image` in the format the file extension names (.png, .jpg, …), off the event loop. */
export async function writeImage(path: string, image: RawImage): Promise<void> {
  if (typeof path !== "string" || path.length === 0) throw invalidParameterError("path", "an image file path", path);
  validateRawImage(image, "image");
  const native = loadNative();
  const write = native.writeImage;
  if (!write) throw new Error(`${path}: cannot write images: the addon was built without OpenCV (install libopencv-dev and rebuild)`);
  return callNative(() => write(path, image));
}
