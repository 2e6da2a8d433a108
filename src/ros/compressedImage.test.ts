import jpeg from "jpeg-js";
import pngjs from "pngjs";
import { describe, expect, it } from "vitest";
import { decodeCompressedImage } from "./compressedImage.js";

const header = { stamp: { sec: 0, nanosec: 0 }, frame_id: "" };

/** 4×2 RGBA test pattern: red, green, blue, white / black, grey, yellow, cyan. */
const RGBA = Uint8Array.from([
  255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255, 255, 255, 255, 255,
  0, 0, 0, 255, 128, 128, 128, 255, 255, 255, 0, 255, 0, 255, 255, 255,
]);

describe("decodeCompressedImage", () => {
  it("PNG decodes losslessly to rgba8", () => {
    const png = new pngjs.PNG({ width: 4, height: 2 });
    png.data = Buffer.from(RGBA);
    const data = new Uint8Array(pngjs.PNG.sync.write(png));
    const img = decodeCompressedImage({ header, format: "png", data });
    expect(img).toMatchObject({ width: 4, height: 2, encoding: "rgba8", step: 16 });
    expect([...img.data]).toEqual([...RGBA]);
  });

  it("JPEG decodes to rgb8 close to the source (quality 100, flat 8×8 blocks)", () => {
    // A JPEG of flat 8×8 blocks decodes almost exactly: two blocks, red and blue.
    const w = 16, h = 8;
    const rgba = new Uint8Array(w * h * 4);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) rgba.set(x < 8 ? [200, 30, 30, 255] : [30, 30, 200, 255], (y * w + x) * 4);
    const data = new Uint8Array(jpeg.encode({ width: w, height: h, data: rgba }, 100).data);
    const img = decodeCompressedImage({ header, format: "bgr8; jpeg compressed bgr8", data });
    expect(img).toMatchObject({ width: 16, height: 8, encoding: "rgb8", step: 48 });
    const px = (x: number, y: number) => [...img.data.subarray((y * w + x) * 3, (y * w + x) * 3 + 3)];
    for (const [got, want] of [[px(2, 2), [200, 30, 30]], [px(13, 5), [30, 30, 200]]] as const) {
      got.forEach((v, k) => expect(Math.abs(v - (want[k] as number))).toBeLessThanOrEqual(3));
    }
  });

  it("rejects other data naming the format and the bytes found", () => {
    expect(() => decodeCompressedImage({ header, format: "tiff", data: Uint8Array.from([0x49, 0x49, 0x2a, 0]) })).toThrow(
      'format "tiff": expected JPEG or PNG data, found bytes 49 49 2a 00',
    );
    expect(() => decodeCompressedImage({ header, format: "jpeg", data: Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 1, 2]) })).toThrow();
  });
});
