import { invalidParameterError } from "../errors/invalidParameterError.js";
import { PIXEL_ENCODINGS, type PixelEncoding, type RawImage } from "./types.js";

const CHANNELS: Record<PixelEncoding, number> = { bgr8: 3, rgb8: 3, bgra8: 4, rgba8: 4, mono8: 1 };

/** Checks one image's geometry against its buffer; `name` locates it in errors ("images[2]"). */
export function validateRawImage(image: RawImage, name: string): void {
  if (typeof image !== "object" || image === null) throw invalidParameterError(name, "a RawImage", image);
  const { width, height, encoding, step, data } = image;
  if (!PIXEL_ENCODINGS.includes(encoding)) throw invalidParameterError(`${name}.encoding`, `one of ${PIXEL_ENCODINGS.join(", ")}`, encoding);
  for (const [key, v] of [["width", width], ["height", height]] as const) {
    if (!Number.isInteger(v) || v < 1) throw invalidParameterError(`${name}.${key}`, "an integer >= 1", v);
  }
  const row = width * CHANNELS[encoding];
  if (!Number.isInteger(step) || step < row) throw invalidParameterError(`${name}.step`, `an integer >= ${row} (width × channels)`, step);
  if (!(data instanceof Uint8Array)) throw invalidParameterError(`${name}.data`, "a Uint8Array", data);
  const needed = step * (height - 1) + row;
  if (data.byteLength < needed) throw invalidParameterError(`${name}.data`, `at least ${needed} bytes`, `${data.byteLength} bytes`);
}
