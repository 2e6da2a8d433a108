/**
 * sensor_msgs/CompressedImage → RawImage for input_transport=compressed, in pure JS (jpeg-js, pngjs):
 * no ROS image_transport plugin is needed. The codec is recognised by its magic bytes; the `format`
 * string ("bgr8; jpeg compressed bgr8", "png", ...) only names it in errors. Decoding runs on the JS
 * thread, so raw images remain the fast path.
 */
import jpeg from "jpeg-js";
import pngjs from "pngjs";
import type { RawImage } from "../engine/types.js";
import type { CompressedImage } from "./messages/types.js";

/** Largest image decoded, in megapixels (guards against a corrupt header asking for gigabytes). */
const MAX_MEGAPIXELS = 64;

function isJpeg(d: Uint8Array): boolean {
  return d.length > 3 && d[0] === 0xff && d[1] === 0xd8 && d[2] === 0xff;
}

function isPng(d: Uint8Array): boolean {
  return d.length > 8 && d[0] === 0x89 && d[1] === 0x50 && d[2] === 0x4e && d[3] === 0x47;
}

/** Decodes a JPEG (→ rgb8) or PNG (→ rgba8); throws naming the format when the data is neither or is corrupt. */
export function decodeCompressedImage(message: CompressedImage): RawImage {
  const data = message.data;
  if (isJpeg(data)) {
    const img = jpeg.decode(data, { useTArray: true, formatAsRGBA: false, maxResolutionInMP: MAX_MEGAPIXELS });
    return { width: img.width, height: img.height, encoding: "rgb8", step: img.width * 3, data: img.data };
  }
  if (isPng(data)) {
    // pngjs expands every bit depth and colour type to 8-bit RGBA.
    const img = pngjs.PNG.sync.read(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    if (img.width * img.height > MAX_MEGAPIXELS * 1e6) throw new Error(`PNG ${img.width}x${img.height} exceeds ${MAX_MEGAPIXELS} MP`);
    return { width: img.width, height: img.height, encoding: "rgba8", step: img.width * 4, data: new Uint8Array(img.data.buffer, img.data.byteOffset, img.data.byteLength) };
  }
  const head = [...data.subarray(0, 4)].map((b) => b.toString(16).padStart(2, "0")).join(" ");
  throw new Error(`format "${message.format}": expected JPEG or PNG data, found bytes ${head || "(none)"}`);
}
