/**
 * Plain data shared by the evaluation modules: ground truth, predictions and the reports built from them.
 * Images are keyed by file name without directory and extension ("b1c66a42-6f7d68ca"), so ground truth
 * written with one path layout matches predictions made from another.
 */

/** An axis-aligned box in image pixels; (x, y) is the top-left corner. */
export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface GroundTruthObject extends Box {
  /** the model's class id this object maps to */
  classId: number;
  /** COCO iscrowd / BDD100K crowd regions: neither a hit nor a miss */
  crowd: boolean;
}

export interface GroundTruthImage {
  key: string;
  objects: GroundTruthObject[];
}

export interface PredictedObject extends Box {
  classId: number;
  score: number;
}

export interface PredictedImage {
  key: string;
  /** the path the prediction was made from, as written by `infer` */
  source: string;
  width: number;
  height: number;
  objects: PredictedObject[];
  /** total engine time of the frame in milliseconds, when known */
  latencyMs?: number;
}

/** A class-id image (one byte per pixel, row-major). */
export interface ClassIdImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/** The key of an image path: its base name without the last extension. */
export function imageKey(path: string): string {
  const base = path.split(/[\\/]/).pop() ?? path;
  const dot = base.lastIndexOf(".");
  return dot > 0 ? base.slice(0, dot) : base;
}
