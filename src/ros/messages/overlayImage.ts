/**
 * The debug overlay (~/out/image): the input frame as bgr8 with the detections drawn as 3-pixel
 * rectangles (red, as Autoware's tensorrt_yolox draws them) and the first segmentation mask blended
 * in at half strength with its colormap. Built only while someone subscribes.
 */
import type { Detection, RawImage, SegmentationMask } from "../../engine/types.js";
import type { Header, Image } from "./types.js";

const CHANNELS: Record<RawImage["encoding"], number> = { bgr8: 3, rgb8: 3, bgra8: 4, rgba8: 4, mono8: 1 };

/** Any supported encoding → tightly packed bgr8. */
export function toBgr8(image: RawImage): Uint8Array {
  const { width, height, step, data, encoding } = image;
  const ch = CHANNELS[encoding];
  const rowBytes = width * 3;
  const out = new Uint8Array(rowBytes * height);
  for (let y = 0; y < height; y++) {
    const s0 = y * step;
    const d0 = y * rowBytes;
    if (encoding === "bgr8") {
      out.set(data.subarray(s0, s0 + rowBytes), d0);
      continue;
    }
    const swap = encoding === "rgb8" || encoding === "rgba8";
    for (let x = 0, s = s0, d = d0; x < width; x++, s += ch, d += 3) {
      if (ch === 1) {
        out[d] = out[d + 1] = out[d + 2] = data[s] as number;
      } else {
        out[d] = data[swap ? s + 2 : s] as number;
        out[d + 1] = data[s + 1] as number;
        out[d + 2] = data[swap ? s : s + 2] as number;
      }
    }
  }
  return out;
}

/** Blends `mask` (nearest-neighbour scaled to the image) at half strength; classes beyond the colormap stay. */
function blendMask(bgr: Uint8Array, width: number, height: number, m: SegmentationMask, colormap: readonly [number, number, number][]): void {
  const lut = new Uint8Array(256 * 3);
  const has = new Uint8Array(256);
  colormap.slice(0, 256).forEach((c, i) => {
    lut.set(c, i * 3);
    has[i] = 1;
  });
  const xmap = new Int32Array(width);
  for (let x = 0; x < width; x++) xmap[x] = Math.min(m.width - 1, Math.floor((x * m.width) / width));
  for (let y = 0; y < height; y++) {
    const row = Math.min(m.height - 1, Math.floor((y * m.height) / height)) * m.width;
    for (let x = 0, d = y * width * 3; x < width; x++, d += 3) {
      const id = m.classIds[row + (xmap[x] as number)] as number;
      if (has[id] === 0) continue;
      const k = id * 3;
      bgr[d] = ((bgr[d] as number) + (lut[k] as number)) >> 1;
      bgr[d + 1] = ((bgr[d + 1] as number) + (lut[k + 1] as number)) >> 1;
      bgr[d + 2] = ((bgr[d + 2] as number) + (lut[k + 2] as number)) >> 1;
    }
  }
}

function fillRect(bgr: Uint8Array, width: number, height: number, x0: number, y0: number, x1: number, y1: number, color: readonly number[]): void {
  const xa = Math.max(0, x0), xb = Math.min(width, x1), ya = Math.max(0, y0), yb = Math.min(height, y1);
  for (let y = ya; y < yb; y++) {
    for (let x = xa; x < xb; x++) bgr.set(color, (y * width + x) * 3);
  }
}

/** Draws a rectangle outline of `thickness` pixels inside the box [x0,x1)×[y0,y1). */
export function drawRect(bgr: Uint8Array, width: number, height: number, box: { x0: number; y0: number; x1: number; y1: number }, color: readonly number[], thickness = 3): void {
  const { x0, y0, x1, y1 } = box;
  fillRect(bgr, width, height, x0, y0, x1, y0 + thickness, color);
  fillRect(bgr, width, height, x0, y1 - thickness, x1, y1, color);
  fillRect(bgr, width, height, x0, y0, x0 + thickness, y1, color);
  fillRect(bgr, width, height, x1 - thickness, y0, x1, y1, color);
}

export function buildOverlayImage(
  header: Header,
  image: RawImage,
  detections: readonly Detection[],
  mask?: { mask: SegmentationMask; colormap: readonly [number, number, number][] },
): Image {
  const { width, height } = image;
  const bgr = toBgr8(image);
  if (mask !== undefined && mask.colormap.length > 0) blendMask(bgr, width, height, mask.mask, mask.colormap);
  for (const d of detections) {
    const box = { x0: Math.round(d.x), y0: Math.round(d.y), x1: Math.round(d.x + d.width), y1: Math.round(d.y + d.height) };
    drawRect(bgr, width, height, box, [0, 0, 255]);
  }
  return { header, height, width, encoding: "bgr8", is_bigendian: 0, step: width * 3, data: bgr };
}
