/**
 * Class-id images as PNG: reading segmentation labels (grey values or palette indices are the class ids;
 * colour labels are mapped back through a colormap) and writing class-id / colour masks.
 * pngjs decodes every PNG to RGBA, so palette indices are recovered from the PLTE chunk.
 */
import { PNG } from "pngjs";
import type { ClassIdImage } from "./types.js";

/** RGB triples by class id. */
export type Colormap = readonly (readonly [number, number, number])[];

function paletteOf(buffer: Buffer): Buffer | null {
  let offset = 8; // signature
  while (offset + 8 <= buffer.length) {
    const length = buffer.readUInt32BE(offset);
    const type = buffer.toString("latin1", offset + 4, offset + 8);
    if (type === "PLTE") return buffer.subarray(offset + 8, offset + 8 + length);
    if (type === "IDAT" || type === "IEND") return null;
    offset += 12 + length;
  }
  return null;
}

const rgbKey = (r: number, g: number, b: number) => (r << 16) | (g << 8) | b;

/**
 * Decodes a label PNG into class ids. Grey PNGs give their values; palette PNGs their indices; colour
 * PNGs need `colormap` (a pixel whose colour is not in it becomes `unknown`, by default 255 = ignored).
 */
export function decodeLabelPng(buffer: Buffer, file: string, colormap?: Colormap, unknown = 255): ClassIdImage {
  let png: PNG & { colorType: number; palette: boolean };
  try {
    png = PNG.sync.read(buffer) as typeof png;
  } catch (e) {
    throw new Error(`${file}: not a readable PNG (${(e as Error).message})`);
  }
  const { width, height, data: rgba } = png;
  const out = new Uint8Array(width * height);
  const palette = png.palette ? paletteOf(buffer) : null;
  const grey = png.colorType === 0 || png.colorType === 4;
  let lookup: Map<number, number> | null = null;
  if (palette) {
    lookup = new Map();
    for (let i = palette.length / 3 - 1; i >= 0; i--) lookup.set(rgbKey(palette[3 * i]!, palette[3 * i + 1]!, palette[3 * i + 2]!), i);
  } else if (!grey) {
    if (!colormap) throw new Error(`${file}: a colour PNG, expected a grey or palette label image (or give the colormap to map colours to classes)`);
    lookup = new Map(colormap.map(([r, g, b], i) => [rgbKey(r, g, b), i]));
  }
  for (let i = 0; i < out.length; i++) {
    const r = rgba[4 * i]!;
    out[i] = lookup ? (lookup.get(rgbKey(r, rgba[4 * i + 1]!, rgba[4 * i + 2]!)) ?? unknown) : r;
  }
  return { width, height, data: out };
}

/** An 8-bit grey PNG whose values are the class ids. */
export function encodeClassIdPng(mask: ClassIdImage): Buffer {
  const png = new PNG({ width: mask.width, height: mask.height, colorType: 0, inputColorType: 0, inputHasAlpha: false, bitDepth: 8 });
  png.data = Buffer.from(mask.data.buffer, mask.data.byteOffset, mask.data.byteLength);
  return PNG.sync.write(png, { colorType: 0, inputColorType: 0, inputHasAlpha: false });
}

/** An RGB PNG with each class painted in its colormap colour (grey levels for ids past the colormap). */
export function encodeColorMaskPng(mask: ClassIdImage, colormap: Colormap): Buffer {
  const rgb = Buffer.alloc(mask.width * mask.height * 3);
  for (let i = 0; i < mask.data.length; i++) {
    const id = mask.data[i]!;
    const c = colormap[id] ?? [id, id, id];
    rgb[3 * i] = c[0];
    rgb[3 * i + 1] = c[1];
    rgb[3 * i + 2] = c[2];
  }
  const png = new PNG({ width: mask.width, height: mask.height, colorType: 2, inputColorType: 2, inputHasAlpha: false });
  png.data = rgb;
  return PNG.sync.write(png, { colorType: 2, inputColorType: 2, inputHasAlpha: false });
}
