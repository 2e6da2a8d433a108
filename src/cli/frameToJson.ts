import type { FrameResult, ModelInfo } from "../engine/types.js";

/** One line of `infer --json` (the CLI contract of issue 2: snake_case keys, x/y the top-left corner). */
export interface InferJsonLine {
  source: string;
  width: number;
  height: number;
  detections: { class_id: number; label: string; score: number; x: number; y: number; width: number; height: number }[];
  mask: { width: number; height: number; class_pixels: number[] } | null;
  timing_ms: { preprocess: number; inference: number; postprocess: number };
}

/** The frame of one image as a JSON line; `class_pixels[k]` counts mask pixels of class k (first segmentation head). */
export function frameToJson(source: string, width: number, height: number, frame: FrameResult, info: ModelInfo): InferJsonLine {
  const mask = frame.masks[0];
  let maskJson: InferJsonLine["mask"] = null;
  if (mask) {
    const head = info.heads.find((h) => h.layer === mask.headLayer);
    const classPixels = new Array<number>(head?.classes ?? 0).fill(0);
    for (const id of mask.classIds) classPixels[id] = (classPixels[id] ?? 0) + 1;
    maskJson = { width: mask.width, height: mask.height, class_pixels: classPixels };
  }
  return {
    source,
    width,
    height,
    detections: frame.detections.map((d) => ({
      class_id: d.classId,
      label: d.label,
      score: d.score,
      x: d.x,
      y: d.y,
      width: d.width,
      height: d.height,
    })),
    mask: maskJson,
    timing_ms: {
      preprocess: frame.timing.preprocessMs,
      inference: frame.timing.inferenceMs,
      postprocess: frame.timing.postprocessMs,
    },
  };
}
