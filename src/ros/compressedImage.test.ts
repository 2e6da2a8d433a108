import pngjs from "pngjs";
import { describe, expect, it } from "vitest";
import type { RawImage } from "../engine/types.js";
import { loadNative } from "../native.js";
import { checkCompressedFormat, decodeCompressedImage } from "./compressedImage.js";

const header = { stamp: { sec: 0, nanosec: 0 }, frame_id: "" };

/** 4×2 RGBA test pattern: red, green, blue, white / black, grey, yellow, cyan. */
const RGBA = Uint8Array.from([
  255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255, 255, 255, 255, 255,
  0, 0, 0, 255, 128, 128, 128, 255, 255, 255, 0, 255, 0, 255, 255, 255,
]);

describe("decodeCompressedImage", () => {
  it("PNG (written by pngjs) decodes losslessly to bgr8", async () => {
    const png = new pngjs.PNG({ width: 4, height: 2 });
    png.data = Buffer.from(RGBA);
    const data = new Uint8Array(pngjs.PNG.sync.write(png));
    const img = await decodeCompressedImage({ header, format: "png", data });
    expect(img).toMatchObject({ width: 4, height: 2, encoding: "bgr8", step: 12 });
    const bgr: number[] = [];
    for (let i = 0; i < RGBA.length; i += 4) bgr.push(RGBA[i + 2]!, RGBA[i + 1]!, RGBA[i]!);
    expect([...img.data]).toEqual(bgr);
  });

  it("JPEG decodes to bgr8 close to the source (flat 16×16 blocks, so chroma subsampling cannot bleed)", async () => {
    const w = 32, h = 16;
    const source: RawImage = { width: w, height: h, encoding: "rgb8", step: w * 3, data: new Uint8Array(w * h * 3) };
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) source.data.set(x < 16 ? [200, 30, 30] : [30, 30, 200], (y * w + x) * 3);
    const data = await loadNative().encodeImage!(source, ".jpg");
    const img = await decodeCompressedImage({ header, format: "bgr8; jpeg compressed bgr8", data });
    expect(img).toMatchObject({ width: 32, height: 16, encoding: "bgr8", step: 96 });
    const px = (x: number, y: number) => [...img.data.subarray((y * w + x) * 3, (y * w + x) * 3 + 3)];
    for (const [got, want] of [[px(2, 2), [30, 30, 200]], [px(29, 13), [200, 30, 30]]] as const) {
      got.forEach((v, k) => expect(Math.abs(v - (want[k] as number))).toBeLessThanOrEqual(3));
    }
  });

  it("rejects other data naming the format and the bytes found, and corrupt JPEG data", async () => {
    const tiff = { header, format: "tiff", data: Uint8Array.from([0x49, 0x49, 0x2a, 0]) };
    expect(() => checkCompressedFormat(tiff)).toThrow('format "tiff": expected JPEG or PNG data, found bytes 49 49 2a 00');
    await expect(decodeCompressedImage(tiff)).rejects.toThrow('format "tiff": expected JPEG or PNG data, found bytes 49 49 2a 00');
    await expect(decodeCompressedImage({ header, format: "jpeg", data: Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 1, 2]) })).rejects.toThrow(
      'format "jpeg"',
    );
  });
});
