import type { Box } from "./types.js";

function intersection(a: Box, b: Box): number {
  const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  return w > 0 && h > 0 ? w * h : 0;
}

/** Intersection over union; 0 when either box is empty. */
export function boxIou(a: Box, b: Box): number {
  const inter = intersection(a, b);
  const union = a.width * a.height + b.width * b.height - inter;
  return union > 0 ? inter / union : 0;
}

/**
 * COCO's overlap with a crowd region: intersection over the detection's own area, so a detection lying
 * inside a crowd counts as covered however large the crowd is.
 */
export function crowdOverlap(detection: Box, crowd: Box): number {
  const area = detection.width * detection.height;
  return area > 0 ? intersection(detection, crowd) / area : 0;
}
