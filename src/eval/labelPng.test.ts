import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deflateSync } from "node:zlib";
import { PNG } from "pngjs";
import { describe, expect, it } from "vitest";
import { decodeLabelPng, encodeClassIdPng, encodeColorMaskPng } from "./labelPng.js";

const mask = { width: 3, height: 2, data: Uint8Array.from([0, 1, 2, 255, 1, 0]) };

describe("label PNGs", () => {
  it("round-trips class ids through a grey PNG", () => {
    const png = encodeClassIdPng(mask);
    expect(decodeLabelPng(png, "m.png")).toEqual(mask);
    expect(PNG.sync.read(png).colorType).toBe(0);
  });

  it("maps colour masks back through the colormap", () => {
    const colormap = [[128, 64, 128], [0, 0, 142], [70, 70, 70]] as const;
    const png = encodeColorMaskPng(mask, colormap);
    // 255 is past the colormap → grey 255,255,255, which maps to no class → 255 (ignored)
    expect(decodeLabelPng(png, "c.png", colormap)).toEqual(mask);
    expect(() => decodeLabelPng(png, "c.png")).toThrow("c.png: a colour PNG, expected a grey or palette label image");
  });

  it("reads a grey PNG written by OpenCV", () => {
    const dir = mkdtempSync(join(tmpdir(), "png-"));
    const script = "import numpy as np, cv2, sys; cv2.imwrite(sys.argv[1], np.array([[0,1,2],[255,1,0]], np.uint8))";
    execFileSync("/usr/bin/python3", ["-c", script, join(dir, "grey.png")]);
    expect(decodeLabelPng(readFileSync(join(dir, "grey.png")), "grey.png")).toEqual(mask);
  });

  it("reads palette indices, not colours, from a palette PNG", () => {
    // Hand-built 8-bit palette PNG; entries 0 and 3 share a colour, so the lowest index must win.
    const palette = [10, 20, 30, 40, 50, 60, 70, 80, 90, 10, 20, 30];
    const png = palettePng(3, 2, [0, 1, 2, 1, 1, 0], palette);
    expect(Array.from(decodeLabelPng(png, "pal.png").data)).toEqual([0, 1, 2, 1, 1, 0]);
  });

  it("names the file of an unreadable PNG", () => {
    expect(() => decodeLabelPng(Buffer.from("not a png"), "bad.png")).toThrow("bad.png: not a readable PNG");
  });
});

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function chunk(type: string, body: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(body.length, 0);
  head.write(type, 4, "latin1");
  let crc = 0xffffffff;
  for (const b of Buffer.concat([head.subarray(4), body])) crc = CRC_TABLE[(crc ^ b) & 0xff]! ^ (crc >>> 8);
  const tail = Buffer.alloc(4);
  tail.writeUInt32BE((crc ^ 0xffffffff) >>> 0, 0);
  return Buffer.concat([head, body, tail]);
}

function palettePng(width: number, height: number, indices: number[], palette: number[]): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 3, 0, 0, 0], 8); // depth 8, colour type 3 (palette)
  const rows = [];
  for (let y = 0; y < height; y++) rows.push(0, ...indices.slice(y * width, (y + 1) * width)); // filter 0
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("PLTE", Buffer.from(palette)),
    chunk("IDAT", deflateSync(Buffer.from(rows))),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}
