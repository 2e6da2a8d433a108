import { describe, expect, it } from "vitest";
import { decodeRle, encodeRle } from "./rle.js";

describe("Autoware RLE", () => {
  it("known answer: row-major runs across row ends, uint8 class + int32 LE length", () => {
    // 2×3 mask: [0 0 5]
    //           [5 5 5]  → runs (0,2) (5,4)
    const encoded = encodeRle(Uint8Array.from([0, 0, 5, 5, 5, 5]));
    expect([...encoded]).toEqual([0, 2, 0, 0, 0, 5, 4, 0, 0, 0]);
  });

  it("long runs use all four length bytes", () => {
    const encoded = encodeRle(new Uint8Array(70000).fill(3));
    expect([...encoded]).toEqual([3, 0x70, 0x11, 0x01, 0x00]);
  });

  it("round trip on Autoware's staircase test image and random masks", () => {
    const w = 20, h = 10;
    const stair = new Uint8Array(w * h);
    for (let i = 0; i < h; i++) for (let j = 0; j < i; j++) stair[i * w + j] = i % 16;
    expect(decodeRle(encodeRle(stair), w * h)).toEqual(stair);
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) % 3;
    const noisy = Uint8Array.from({ length: 997 }, rand);
    expect(decodeRle(encodeRle(noisy), noisy.length)).toEqual(noisy);
    expect(encodeRle(new Uint8Array(0)).length).toBe(0);
  });

  it("rejects malformed input with the reason", () => {
    expect(() => decodeRle(new Uint8Array(4), 1)).toThrow("RLE mask: 4 bytes, expected a multiple of 5");
    expect(() => decodeRle(Uint8Array.from([1, 3, 0, 0, 0]), 2)).toThrow("RLE mask: record 0 run length 3, expected 1..2");
    expect(() => decodeRle(Uint8Array.from([1, 1, 0, 0, 0]), 2)).toThrow("RLE mask: runs cover 1 pixels, expected 2");
  });
});
