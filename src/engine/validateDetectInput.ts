import { invalidParameterError } from "../errors/invalidParameterError.js";
import type { DetectInput, EncodedImage, FrameInputOptions } from "./types.js";
import { validateRawImage } from "./validateRawImage.js";

/** An EncodedImage is told from a RawImage by its `encoded` key. */
export function isEncodedImage(input: DetectInput): input is EncodedImage {
  return typeof input === "object" && input !== null && "encoded" in input;
}

/** Checks one detect() input; `name` locates it in errors ("images[2]"). */
export function validateDetectInput(input: DetectInput, name: string): void {
  if (!isEncodedImage(input)) return validateRawImage(input, name);
  const { encoded, what } = input;
  if (!(encoded instanceof Uint8Array)) throw invalidParameterError(`${name}.encoded`, "a Uint8Array", encoded);
  if (encoded.byteLength === 0) throw invalidParameterError(`${name}.encoded`, "JPEG/PNG/… bytes", "0 bytes");
  if (what !== undefined && typeof what !== "string") throw invalidParameterError(`${name}.what`, "a string", what);
  for (const key of Object.keys(input)) {
    if (key !== "encoded" && key !== "what") throw invalidParameterError(name, "only encoded, what (an EncodedImage)", key);
  }
}

/** Checks FrameInputOptions (both keys optional booleans, nothing else). */
export function validateFrameInputOptions(options: FrameInputOptions = {}): FrameInputOptions {
  if (typeof options !== "object" || options === null) throw invalidParameterError("input", "a FrameInputOptions object", options);
  for (const [key, value] of Object.entries(options)) {
    if (key !== "pinnedInput" && key !== "returnDecoded") throw invalidParameterError("input", "only pinnedInput, returnDecoded", key);
    if (value !== undefined && typeof value !== "boolean") throw invalidParameterError(`input.${key}`, "a boolean", value);
  }
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
}
