import { boxIou } from "../../src/eval/boxIou.js";

/** A box in input pixels with its class and score (ours and the reference share these fields). */
export interface ScoredBox {
  class_id: number;
  score: number;
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface MatchStats {
  ours: number;
  reference: number;
  /** pairs of the same class with IoU >= minIou (greedy, highest IoU first) */
  matched: number;
  /** matched pairs whose four coordinates agree within 1e-3 px and scores within 1e-6 */
  exact: number;
  minIou: number;
  maxScoreDiff: number;
  unmatchedOurs: ScoredBox[];
  unmatchedReference: ScoredBox[];
}

/** One-to-one matching of two detection lists by class and IoU >= minIou, with agreement statistics. */
export function matchDetections(ours: ScoredBox[], reference: ScoredBox[], minIou: number): MatchStats {
  const pairs: { i: number; j: number; iou: number }[] = [];
  ours.forEach((a, i) =>
    reference.forEach((b, j) => {
      if (a.class_id !== b.class_id) return;
      const v = boxIou(a, b);
      if (v >= minIou) pairs.push({ i, j, iou: v });
    }),
  );
  pairs.sort((p, q) => q.iou - p.iou);
  const usedOurs = new Set<number>();
  const usedRef = new Set<number>();
  const stats: MatchStats = {
    ours: ours.length, reference: reference.length, matched: 0, exact: 0, minIou: 1, maxScoreDiff: 0,
    unmatchedOurs: [], unmatchedReference: [],
  };
  for (const p of pairs) {
    if (usedOurs.has(p.i) || usedRef.has(p.j)) continue;
    usedOurs.add(p.i);
    usedRef.add(p.j);
    const a = ours[p.i]!;
    const b = reference[p.j]!;
    stats.matched += 1;
    stats.minIou = Math.min(stats.minIou, p.iou);
    const scoreDiff = Math.abs(a.score - b.score);
    stats.maxScoreDiff = Math.max(stats.maxScoreDiff, scoreDiff);
    const coords = [a.x - b.x, a.y - b.y, a.width - b.width, a.height - b.height].every((d) => Math.abs(d) <= 1e-3);
    if (coords && scoreDiff <= 1e-6) stats.exact += 1;
  }
  stats.unmatchedOurs = ours.filter((_, i) => !usedOurs.has(i));
  stats.unmatchedReference = reference.filter((_, j) => !usedRef.has(j));
  return stats;
}
