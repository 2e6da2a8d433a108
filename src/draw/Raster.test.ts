import { PNG } from "pngjs";
import { describe, expect, it } from "vitest";
import type { RawImage } from "../engine/types.js";
import { Raster } from "./Raster.js";

const px = (r: Raster, x: number, y: number) => Array.from(r.data.subarray((y * r.width + x) * 3, (y * r.width + x) * 3 + 3));

describe("Raster", () => {
  it("fills, clips and blends", () => {
    const r = new Raster(4, 3, [0, 0, 0]);
    r.fillRect(2, 1, 10, 10, [200, 100, 0]);
    expect(px(r, 1, 1)).toEqual([0, 0, 0]);
    expect(px(r, 3, 2)).toEqual([200, 100, 0]);
    r.fillRect(0, 0, 1, 1, [100, 200, 50], 0.5);
    expect(px(r, 0, 0)).toEqual([50, 100, 25]);
  });

  it("draws lines end to end and glyphs pixel-exact", () => {
    const r = new Raster(5, 5, [0, 0, 0]);
    r.line(0, 0, 4, 4, [255, 255, 255]);
    for (let i = 0; i < 5; i++) expect(px(r, i, i)).toEqual([255, 255, 255]);
    expect(px(r, 1, 0)).toEqual([0, 0, 0]);
    const t = new Raster(5, 7, [0, 0, 0]);
    t.text(0, 0, "-", [9, 9, 9]); // row 3 only
    for (let y = 0; y < 7; y++) expect(px(t, 2, y)).toEqual(y === 3 ? [9, 9, 9] : [0, 0, 0]);
    expect(Raster.textWidth("ab", 2)).toBe(22);
  });

  it("overlays a low-resolution mask and converts BGR pixels", () => {
    const r = Raster.fromPixels(2, 1, Uint8Array.from([1, 2, 3, 4, 5, 6]), 6, 3, "bgr");
    expect(px(r, 0, 0)).toEqual([3, 2, 1]);
    r.overlayMask({ width: 1, height: 1, data: Uint8Array.from([0]) }, [[103, 102, 101]], 1);
    expect(px(r, 1, 0)).toEqual([103, 102, 101]);
  });

  it("reads rgb8 with row padding, rgba8 and mono8 images, and writes packed bgr", () => {
    const bgr = (image: RawImage) => [...Raster.fromImage(image).toPixels("bgr")];
    expect(bgr({ width: 2, height: 1, encoding: "rgb8", step: 8, data: Uint8Array.from([1, 2, 3, 4, 5, 6, 99, 99]) })).toEqual([3, 2, 1, 6, 5, 4]);
    expect(bgr({ width: 1, height: 1, encoding: "rgba8", step: 4, data: Uint8Array.from([1, 2, 3, 4]) })).toEqual([3, 2, 1]);
    expect(bgr({ width: 2, height: 1, encoding: "mono8", step: 2, data: Uint8Array.from([7, 8]) })).toEqual([7, 7, 7, 8, 8, 8]);
  });

  it("draws RGB colours into BGR storage the same, and writes its PNG as RGB", () => {
    const image: RawImage = { width: 2, height: 1, encoding: "bgr8", step: 6, data: Uint8Array.from([1, 2, 3, 4, 5, 6]) };
    const r = Raster.fromImage(image, "bgr");
    expect([...r.data]).toEqual([1, 2, 3, 4, 5, 6]);
    r.fillRect(0, 0, 1, 1, [200, 100, 0]);
    r.overlayMask({ width: 2, height: 1, data: Uint8Array.from([0, 1]) }, [[200, 100, 0], [100, 50, 24]], 0.5);
    // pixel 0: its own colour blended with itself; pixel 1: BGR (4,5,6) half and half with RGB (100,50,24),
    // stored BGR (24,50,100) → (14, 27.5 rounded up, 53)
    expect([...r.data]).toEqual([0, 100, 200, 14, 28, 53]);
    expect([...r.toPixels("rgb")]).toEqual([200, 100, 0, 53, 28, 14]);
    const back = PNG.sync.read(r.toPng());
    expect([back.data[0], back.data[1], back.data[2], back.data[4], back.data[5], back.data[6]]).toEqual([200, 100, 0, 53, 28, 14]);
  });

  it("encodes a PNG pngjs reads back", () => {
    const r = new Raster(3, 2, [10, 20, 30]);
    const back = PNG.sync.read(r.toPng());
    expect([back.width, back.height, back.data[0], back.data[1], back.data[2], back.data[3]]).toEqual([3, 2, 10, 20, 30, 255]);
  });
});
