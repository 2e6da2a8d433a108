/**
 * sensor_msgs/CompressedImage for input_transport=compressed: the format check the node runs on arrival, and
 * a JS-side decoder to RawImage (OpenCV in the native addon on a libuv worker thread) for the node's
 * decodeCompressed option; by default the engine decodes the bytes itself, inside its detect task. No ROS
 * image_transport plugin is needed. Only JPEG and PNG are accepted, recognised by their magic bytes; the
 * `format` string ("bgr8; jpeg compressed bgr8", "png", ...) only names the message in errors. Frames
 * decode to bgr8 (a PNG's alpha channel is dropped).
 */
import type { RawImage } from "../engine/types.js";
import { callNative } from "../errors/callNative.js";
import { loadNative } from "../native.js";
import type { CompressedImage } from "./messages/types.js";

function isJpeg(d: Uint8Array): boolean {
  return d.length > 3 && d[0] === 0xff && d[1] === 0xd8 && d[2] === 0xff;
}

function isPng(d: Uint8Array): boolean {
  return d.length > 8 && d[0] === 0x89 && d[1] === 0x50 && d[2] === 0x4e && d[3] === 0x47;
}

/** Throws naming the format and the first bytes when the data is neither JPEG nor PNG (cheap, synchronous). */
export function checkCompressedFormat(message: CompressedImage): "jpeg" | "png" {
  const data = message.data;
  if (isJpeg(data)) return "jpeg";
  if (isPng(data)) return "png";
  const head = [...data.subarray(0, 4)].map((b) => b.toString(16).padStart(2, "0")).join(" ");
  throw new Error(`format "${message.format}": expected JPEG or PNG data, found bytes ${head || "(none)"}`);
}

/** Decodes a JPEG or PNG to bgr8 off the JS thread; rejects naming the format when the data is neither or is corrupt. */
export async function decodeCompressedImage(message: CompressedImage): Promise<RawImage> {
  checkCompressedFormat(message);
  const decode = loadNative().decodeImage;
  if (!decode) throw new Error(`format "${message.format}": cannot decode, the addon was built without OpenCV`);
  return callNative(() => decode(message.data, `format "${message.format}"`));
}
