/**
 * sensor_msgs/Image → the engine's RawImage, checking what the engine cannot take (encoding, size,
 * step, data length) and saying why. No pixel is copied.
 */
import { PIXEL_ENCODINGS, type PixelEncoding, type RawImage } from "../engine/types.js";
import type { Image } from "./messages/types.js";

const CHANNELS: Record<PixelEncoding, number> = { bgr8: 3, rgb8: 3, bgra8: 4, rgba8: 4, mono8: 1 };
/** OpenCV-style names that cv_bridge treats as the same 8-bit layouts. */
const ALIASES: Readonly<Record<string, PixelEncoding>> = { "8UC1": "mono8", "8UC3": "bgr8", "8UC4": "bgra8" };
/** Largest side accepted; beyond it the frame is almost surely corrupt. */
export const MAX_IMAGE_SIDE = 16384;

export type ImageCheck = { ok: true; image: RawImage } | { ok: false; reason: string };

export function toRawImage(msg: Image): ImageCheck {
  const encoding = (PIXEL_ENCODINGS as readonly string[]).includes(msg.encoding) ? (msg.encoding as PixelEncoding) : ALIASES[msg.encoding];
  if (encoding === undefined) {
    return { ok: false, reason: `encoding "${msg.encoding}" is not supported (expected one of ${PIXEL_ENCODINGS.join(", ")})` };
  }
  const { width, height, step } = msg;
  if (width < 1 || height < 1 || width > MAX_IMAGE_SIDE || height > MAX_IMAGE_SIDE) {
    return { ok: false, reason: `size ${width}x${height} is not supported (expected 1..${MAX_IMAGE_SIDE} per side)` };
  }
  const rowBytes = width * CHANNELS[encoding];
  if (step < rowBytes) return { ok: false, reason: `step ${step} < width ${width} x ${CHANNELS[encoding]} channels (${rowBytes})` };
  const needed = step * (height - 1) + rowBytes;
  if (msg.data.length < needed) return { ok: false, reason: `${msg.data.length} data bytes, expected >= ${needed} for ${width}x${height} ${encoding} step ${step}` };
  const data = msg.data instanceof Uint8Array ? msg.data : Uint8Array.from(msg.data as ArrayLike<number>);
  return { ok: true, image: { width, height, encoding, step, data } };
}
