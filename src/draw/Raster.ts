/**
 * A small 8-bit colour raster for report charts and annotated frames: filled and outlined rectangles, lines,
 * 5×7 text scaled by an integer, and translucent class-mask overlays; encoded as PNG with pngjs. Colours are
 * always given as RGB; the bytes are stored RGB, or BGR where a bgr8 image is drawn on in place (the node's
 * debug overlay), so no channel swap is paid on the way in or out.
 */
import { PNG } from "pngjs";
import type { RawImage } from "../engine/types.js";
import { GLYPH_ADVANCE, GLYPH_HEIGHT, GLYPH_WIDTH, glyph } from "./font5x7.js";

export type Rgb = readonly [number, number, number];
export type ChannelOrder = "rgb" | "bgr";

export class Raster {
  readonly width: number;
  readonly height: number;
  /** row-major, 3 bytes per pixel, in `order` */
  readonly data: Uint8Array;
  readonly order: ChannelOrder;

  constructor(width: number, height: number, background: Rgb = [255, 255, 255], order: ChannelOrder = "rgb") {
    if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
      throw new RangeError(`raster ${width}×${height}, expected positive integer sizes`);
    }
    this.width = width;
    this.height = height;
    this.order = order;
    this.data = new Uint8Array(width * height * 3);
    if (background[0] === background[1] && background[1] === background[2]) this.data.fill(background[0]);
    else this.fillRect(0, 0, width, height, background);
  }

  /**
   * Copies interleaved 8-bit pixels in; `order` says where R, G, B sit in each pixel, `storage` how the
   * raster keeps them.
   */
  static fromPixels(width: number, height: number, pixels: Uint8Array, step: number, channels: number, order: ChannelOrder = "bgr", storage: ChannelOrder = "rgb"): Raster {
    const r = new Raster(width, height, [0, 0, 0], storage);
    const out = r.data;
    if (channels === 3 && order === storage) {
      for (let y = 0; y < height; y++) out.set(pixels.subarray(y * step, y * step + width * 3), y * width * 3);
      return r;
    }
    const [ri, gi, bi] = channels === 1 ? [0, 0, 0] : order === storage ? [0, 1, 2] : [2, 1, 0];
    for (let y = 0; y < height; y++) {
      for (let x = 0, s = y * step, d = y * width * 3; x < width; x++, s += channels, d += 3) {
        out[d] = pixels[s + ri]!;
        out[d + 1] = pixels[s + gi]!;
        out[d + 2] = pixels[s + bi]!;
      }
    }
    return r;
  }

  /** Any RawImage encoding (bgr8, rgb8, bgra8, rgba8, mono8; alpha dropped), any row stride. */
  static fromImage(image: RawImage, storage: ChannelOrder = "rgb"): Raster {
    const { width, height, data, step, encoding } = image;
    const channels = encoding === "mono8" ? 1 : encoding === "bgra8" || encoding === "rgba8" ? 4 : 3;
    return Raster.fromPixels(width, height, data, step, channels, encoding.startsWith("rgb") ? "rgb" : "bgr", storage);
  }

  /** The pixels packed as 3 bytes each, in `order` (e.g. "bgr" for a bgr8 sensor_msgs/Image); a copy. */
  toPixels(order: ChannelOrder): Uint8Array {
    if (order === this.order) return this.data.slice();
    const out = new Uint8Array(this.data.length);
    for (let i = 0; i < out.length; i += 3) {
      out[i] = this.data[i + 2]!;
      out[i + 1] = this.data[i + 1]!;
      out[i + 2] = this.data[i]!;
    }
    return out;
  }

  /** `c` (RGB) in the order the bytes are stored. */
  #stored(c: Rgb): Rgb {
    return this.order === "rgb" ? c : [c[2], c[1], c[0]];
  }

  setPixel(x: number, y: number, rgb: Rgb, alpha = 1): void {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    const c = this.#stored(rgb);
    const i = (Math.floor(y) * this.width + Math.floor(x)) * 3;
    for (let k = 0; k < 3; k++) this.data[i + k] = alpha >= 1 ? c[k]! : Math.round(this.data[i + k]! * (1 - alpha) + c[k]! * alpha);
  }

  fillRect(x: number, y: number, w: number, h: number, c: Rgb, alpha = 1): void {
    const x0 = Math.max(0, Math.round(x));
    const y0 = Math.max(0, Math.round(y));
    const x1 = Math.min(this.width, Math.round(x + w));
    const y1 = Math.min(this.height, Math.round(y + h));
    if (alpha < 1) {
      for (let yy = y0; yy < y1; yy++) for (let xx = x0; xx < x1; xx++) this.setPixel(xx, yy, c, alpha);
      return;
    }
    const [r, g, b] = this.#stored(c);
    for (let yy = y0; yy < y1; yy++) {
      for (let i = (yy * this.width + x0) * 3, end = (yy * this.width + x1) * 3; i < end; i += 3) {
        this.data[i] = r;
        this.data[i + 1] = g;
        this.data[i + 2] = b;
      }
    }
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
    // Runs per frame on the node's debug image: the blend of every byte value with every class colour is
    // tabulated once (256 per channel per class), and the column map computed once.
    const classes = Math.min(256, colors.length);
    const blend = new Uint8Array(classes * 3 * 256);
    const has = new Uint8Array(256);
    for (let id = 0; id < classes; id++) {
      const color = colors[id];
      if (!color) continue;
      const c = this.#stored(color);
      has[id] = 1;
      for (let k = 0; k < 3; k++) {
        for (let v = 0; v < 256; v++) blend[(id * 3 + k) * 256 + v] = alpha >= 1 ? c[k]! : Math.round(v * (1 - alpha) + c[k]! * alpha);
      }
    }
    const xmap = new Int32Array(this.width);
    for (let x = 0; x < this.width; x++) xmap[x] = Math.min(mask.width - 1, Math.floor((x * mask.width) / this.width));
    const d = this.data;
    for (let y = 0; y < this.height; y++) {
      const row = Math.min(mask.height - 1, Math.floor((y * mask.height) / this.height)) * mask.width;
      for (let x = 0, i = y * this.width * 3; x < this.width; x++, i += 3) {
        const id = mask.data[row + xmap[x]!]!;
        if (has[id] === 0) continue;
        const t = id * 768;
        d[i] = blend[t + d[i]!]!;
        d[i + 1] = blend[t + 256 + d[i + 1]!]!;
        d[i + 2] = blend[t + 512 + d[i + 2]!]!;
      }
    }
  }

  toPng(): Buffer {
    const png = new PNG({ width: this.width, height: this.height, colorType: 2, inputColorType: 2, inputHasAlpha: false });
    const rgb = this.order === "rgb" ? this.data : this.toPixels("rgb");
    png.data = Buffer.from(rgb.buffer, rgb.byteOffset, rgb.byteLength);
    return PNG.sync.write(png, { colorType: 2, inputColorType: 2, inputHasAlpha: false });
  }
}
