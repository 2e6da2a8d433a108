/**
 * A small RGB raster for report charts and annotated frames: filled and outlined rectangles, lines, 5×7
 * text scaled by an integer, and translucent class-mask overlays; encoded as PNG with pngjs.
 */
import { PNG } from "pngjs";
import type { RawImage } from "../engine/types.js";
import { GLYPH_ADVANCE, GLYPH_HEIGHT, GLYPH_WIDTH, glyph } from "./font5x7.js";

export type Rgb = readonly [number, number, number];

export class Raster {
  readonly width: number;
  readonly height: number;
  /** RGB, row-major, 3 bytes per pixel */
  readonly data: Uint8Array;

  constructor(width: number, height: number, background: Rgb = [255, 255, 255]) {
    if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
      throw new RangeError(`raster ${width}×${height}, expected positive integer sizes`);
    }
    this.width = width;
    this.height = height;
    this.data = new Uint8Array(width * height * 3);
    this.fillRect(0, 0, width, height, background);
  }

  /** Copies interleaved 8-bit pixels in; `order` says where R, G, B sit in each pixel. */
  static fromPixels(width: number, height: number, pixels: Uint8Array, step: number, channels: number, order: "rgb" | "bgr" = "bgr"): Raster {
    const r = new Raster(width, height);
    const [ri, gi, bi] = channels === 1 ? [0, 0, 0] : order === "rgb" ? [0, 1, 2] : [2, 1, 0];
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const s = y * step + x * channels;
        const d = (y * width + x) * 3;
        r.data[d] = pixels[s + ri]!;
        r.data[d + 1] = pixels[s + gi]!;
        r.data[d + 2] = pixels[s + bi]!;
      }
    }
    return r;
  }

  /** Any RawImage encoding (bgr8, rgb8, bgra8, rgba8, mono8; alpha dropped), any row stride. */
  static fromImage(image: RawImage): Raster {
    const { width, height, data, step, encoding } = image;
    const channels = encoding === "mono8" ? 1 : encoding === "bgra8" || encoding === "rgba8" ? 4 : 3;
    return Raster.fromPixels(width, height, data, step, channels, encoding.startsWith("rgb") ? "rgb" : "bgr");
  }

  /** The pixels packed as 3 bytes each, in `order` (e.g. "bgr" for a bgr8 sensor_msgs/Image). */
  toPixels(order: "rgb" | "bgr"): Uint8Array {
    if (order === "rgb") return this.data.slice();
    const out = new Uint8Array(this.data.length);
    for (let i = 0; i < out.length; i += 3) {
      out[i] = this.data[i + 2]!;
      out[i + 1] = this.data[i + 1]!;
      out[i + 2] = this.data[i]!;
    }
    return out;
  }

  setPixel(x: number, y: number, c: Rgb, alpha = 1): void {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    const i = (Math.floor(y) * this.width + Math.floor(x)) * 3;
    for (let k = 0; k < 3; k++) this.data[i + k] = alpha >= 1 ? c[k]! : Math.round(this.data[i + k]! * (1 - alpha) + c[k]! * alpha);
  }

  fillRect(x: number, y: number, w: number, h: number, c: Rgb, alpha = 1): void {
    const x0 = Math.max(0, Math.round(x));
    const y0 = Math.max(0, Math.round(y));
    const x1 = Math.min(this.width, Math.round(x + w));
    const y1 = Math.min(this.height, Math.round(y + h));
    for (let yy = y0; yy < y1; yy++) for (let xx = x0; xx < x1; xx++) this.setPixel(xx, yy, c, alpha);
  }

  strokeRect(x: number, y: number, w: number, h: number, c: Rgb, thickness = 1): void {
    this.fillRect(x, y, w, thickness, c);
    this.fillRect(x, y + h - thickness, w, thickness, c);
    this.fillRect(x, y, thickness, h, c);
    this.fillRect(x + w - thickness, y, thickness, h, c);
  }

  /** A straight line (Bresenham), `thickness` pixels wide. */
  line(x0: number, y0: number, x1: number, y1: number, c: Rgb, thickness = 1): void {
    let x = Math.round(x0);
    let y = Math.round(y0);
    const xe = Math.round(x1);
    const ye = Math.round(y1);
    const dx = Math.abs(xe - x);
    const dy = -Math.abs(ye - y);
    const sx = x < xe ? 1 : -1;
    const sy = y < ye ? 1 : -1;
    let err = dx + dy;
    const half = Math.floor((thickness - 1) / 2);
    for (;;) {
      this.fillRect(x - half, y - half, thickness, thickness, c);
      if (x === xe && y === ye) break;
      const e2 = 2 * err;
      if (e2 >= dy) {
        err += dy;
        x += sx;
      }
      if (e2 <= dx) {
        err += dx;
        y += sy;
      }
    }
  }

  /** Width in pixels of `text` at `scale`. */
  static textWidth(text: string, scale = 1): number {
    return text.length ? (text.length * GLYPH_ADVANCE - 1) * scale : 0;
  }

  static textHeight(scale = 1): number {
    return GLYPH_HEIGHT * scale;
  }

  /** Draws text with its top-left corner at (x, y). */
  text(x: number, y: number, text: string, c: Rgb, scale = 1): void {
    [...text].forEach((ch, n) => {
      const bits = glyph(ch);
      const ox = Math.round(x) + n * GLYPH_ADVANCE * scale;
      for (let gy = 0; gy < GLYPH_HEIGHT; gy++) {
        for (let gx = 0; gx < GLYPH_WIDTH; gx++) {
          if (bits[gy * GLYPH_WIDTH + gx]) this.fillRect(ox + gx * scale, Math.round(y) + gy * scale, scale, scale, c);
        }
      }
    });
  }

  /**
   * Blends a class-id mask over the raster, resized (nearest) to cover it whole; each class in its colour
   * at `alpha`. Ids without a colour are left unpainted.
   */
  overlayMask(mask: { width: number; height: number; data: Uint8Array }, colors: readonly Rgb[], alpha = 0.45): void {
    // Per frame on the node's debug image: column map computed once, no per-pixel calls.
    const xmap = new Int32Array(this.width);
    for (let x = 0; x < this.width; x++) xmap[x] = Math.min(mask.width - 1, Math.floor((x * mask.width) / this.width));
    const d = this.data;
    for (let y = 0; y < this.height; y++) {
      const row = Math.min(mask.height - 1, Math.floor((y * mask.height) / this.height)) * mask.width;
      for (let x = 0, i = y * this.width * 3; x < this.width; x++, i += 3) {
        const c = colors[mask.data[row + xmap[x]!]!];
        if (!c) continue;
        for (let k = 0; k < 3; k++) d[i + k] = alpha >= 1 ? c[k]! : Math.round(d[i + k]! * (1 - alpha) + c[k]! * alpha);
      }
    }
  }

  toPng(): Buffer {
    const png = new PNG({ width: this.width, height: this.height, colorType: 2, inputColorType: 2, inputHasAlpha: false });
    png.data = Buffer.from(this.data.buffer, this.data.byteOffset, this.data.byteLength);
    return PNG.sync.write(png, { colorType: 2, inputColorType: 2, inputHasAlpha: false });
  }
}
