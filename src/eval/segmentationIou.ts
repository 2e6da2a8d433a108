/**
 * Semantic segmentation scores from a confusion matrix accumulated over frames: per-class IoU
 * TP / (TP + FP + FN), mean over the classes that occur in ground truth or prediction, and pixel accuracy.
 */
import type { ClassIdImage } from "./types.js";

/** Label value that marks unlabelled pixels (BDD100K, Cityscapes train ids). */
export const IGNORE_LABEL = 255;

export interface ClassIou {
  classId: number;
  label: string;
  /** null when the class appears in neither ground truth nor prediction */
  iou: number | null;
  groundTruthPixels: number;
}

export interface SegmentationReport {
  classes: ClassIou[];
  miou: number | null;
  pixelAccuracy: number | null;
  frames: number;
}

/**
 * Nearest-neighbour resize of a class-id image (what resizing a label map must be: classes are not
 * interpolated). Pixel centres map as OpenCV's INTER_NEAREST does: src = floor(dst × src_size / dst_size).
 */
export function resizeNearest(image: ClassIdImage, width: number, height: number): ClassIdImage {
  if (image.width === width && image.height === height) return image;
  const data = new Uint8Array(width * height);
  const xs = new Int32Array(width);
  for (let x = 0; x < width; x++) xs[x] = Math.min(image.width - 1, Math.floor((x * image.width) / width));
  for (let y = 0; y < height; y++) {
    const row = Math.min(image.height - 1, Math.floor((y * image.height) / height)) * image.width;
    for (let x = 0; x < width; x++) data[y * width + x] = image.data[row + xs[x]!]!;
  }
  return { width, height, data };
}

export class ConfusionMatrix {
  readonly classes: number;
  /** counts[truth * classes + predicted] */
  readonly #counts: Float64Array;
  #frames = 0;

  constructor(classes: number) {
    if (!Number.isInteger(classes) || classes < 1 || classes > 255) {
      throw new RangeError(`segmentation classes=${classes}, expected an integer in 1..255`);
    }
    this.classes = classes;
    this.#counts = new Float64Array(classes * classes);
  }

  /**
   * Adds one frame. The prediction is resized (nearest) to the label's size, since the head runs at its own
   * resolution. Label pixels equal to `ignore` or ≥ classes are skipped; a predicted id ≥ classes is an error.
   */
  add(truth: ClassIdImage, predicted: ClassIdImage, ignore = IGNORE_LABEL): void {
    const pred = resizeNearest(predicted, truth.width, truth.height);
    const n = this.classes;
    for (let i = 0; i < truth.data.length; i++) {
      const t = truth.data[i]!;
      if (t === ignore || t >= n) continue;
      const p = pred.data[i]!;
      if (p >= n) throw new RangeError(`predicted class id ${p} at pixel ${i}, expected < ${n}`);
      this.#counts[t * n + p]!++;
    }
    this.#frames++;
  }

  report(labels: readonly string[]): SegmentationReport {
    const n = this.classes;
    const counts = this.#counts;
    let correct = 0;
    let total = 0;
    const classes: ClassIou[] = [];
    for (let c = 0; c < n; c++) {
      let truthPixels = 0;
      let predPixels = 0;
      for (let k = 0; k < n; k++) {
        truthPixels += counts[c * n + k]!;
        predPixels += counts[k * n + c]!;
      }
      const tp = counts[c * n + c]!;
      const union = truthPixels + predPixels - tp;
      correct += tp;
      total += truthPixels;
      classes.push({ classId: c, label: labels[c] ?? String(c), iou: union > 0 ? tp / union : null, groundTruthPixels: truthPixels });
    }
    const present = classes.map((c) => c.iou).filter((v): v is number => v !== null);
    return {
      classes,
      miou: present.length ? present.reduce((a, b) => a + b, 0) / present.length : null,
      pixelAccuracy: total > 0 ? correct / total : null,
      frames: this.#frames,
    };
  }
}
