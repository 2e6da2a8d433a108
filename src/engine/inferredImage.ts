import type { DetectInput, FrameResult, RawImage } from "./types.js";
import { isEncodedImage } from "./validateDetectInput.js";

/** The frame a detect() input turned out to be: its size, and its pixels where the caller has them. */
export interface InferredImage {
  width: number;
  height: number;
  /** a RawImage input's own pixels; an EncodedImage's decoded ones only when detect() returned them (returnDecoded) */
  pixels?: RawImage;
}

/** A RawImage's own size and pixels, or what the engine decoded an EncodedImage to (FrameResult.decoded). */
export function inferredImage(input: DetectInput, result: FrameResult): InferredImage {
  if (!isEncodedImage(input)) return { width: input.width, height: input.height, pixels: input };
  const decoded = result.decoded;
  if (decoded === undefined) throw new Error(`${input.what ?? "an encoded image"}: the detector returned no decoded size`);
  return { width: decoded.width, height: decoded.height, ...(decoded.image !== undefined && { pixels: decoded.image }) };
}
