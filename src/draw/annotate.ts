/**
 * Draws a frame's results onto a raster: the class masks as a translucent overlay, then each box with a
 * "label score" tag. The one overlay renderer: `infer --save-dir`, the evaluation report, and the node's
 * and `bag`'s debug image (~/out/image, through src/ros/messages/overlayImage.ts).
 */
import type { Detection, SegmentationMask } from "../engine/types.js";
import { Raster, type Rgb } from "./Raster.js";

/** A distinct, stable colour per class id (golden-angle hues), for boxes. */
export function classColor(classId: number): Rgb {
  const h = (classId * 137.508) % 360;
  const f = (n: number) => {
    const k = (n + h / 60) % 6;
    return Math.round(255 * (1 - 0.85 * Math.max(0, Math.min(k, 4 - k, 1))));
  };
  return [f(5), f(3), f(1)];
}

export interface AnnotateOptions {
  /** mask colours by class id, RGB */
  maskColors?: readonly Rgb[];
  maskAlpha?: number;
  /** one colour for every box (default: a colour per class) */
  boxColor?: Rgb;
  /** box line width in pixels (default: grows with the image, 1 px per 360 px) */
  thickness?: number;
  /** "label score" tags (default true) */
  labels?: boolean;
}

/** Colours as the cfgs and the node's colormaps write them (B, G, R) → the raster's R, G, B. */
export function bgrToRgb([b, g, r]: readonly [number, number, number]): Rgb {
  return [r, g, b];
}

export function annotate(raster: Raster, detections: readonly Detection[], masks: readonly SegmentationMask[], options: AnnotateOptions = {}): Raster {
  for (const m of masks) {
    raster.overlayMask({ width: m.width, height: m.height, data: m.classIds }, options.maskColors ?? [], options.maskAlpha ?? 0.45);
  }
  const scale = Math.max(1, Math.round(Math.min(raster.width, raster.height) / 360));
  const thickness = options.thickness ?? Math.max(1, scale);
  for (const d of detections) {
    const c = options.boxColor ?? classColor(d.classId);
    raster.strokeRect(d.x, d.y, d.width, d.height, c, thickness);
    if (options.labels === false) continue;
    const tag = `${d.label} ${d.score.toFixed(2)}`;
    const tw = Raster.textWidth(tag, scale) + 2 * scale;
    const th = Raster.textHeight(scale) + 2 * scale;
    const ty = d.y - th >= 0 ? d.y - th : d.y;
    raster.fillRect(d.x, ty, tw, th, c);
    const dark = c[0] * 0.299 + c[1] * 0.587 + c[2] * 0.114 > 150;
    raster.text(d.x + scale, ty + scale, tag, dark ? [0, 0, 0] : [255, 255, 255], scale);
  }
  return raster;
}
