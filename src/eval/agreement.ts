/**
 * Agreement between two runs of the same frames (INT8 vs FP32, ours vs another tool): detections are
 * matched one-to-one per frame and class at an IoU threshold, run A taken as the reference; masks are
 * compared pixel by pixel. High agreement says the two runs behave alike, not that either is right.
 */
import { boxIou } from "./boxIou.js";
import { ConfusionMatrix, resizeNearest } from "./segmentationIou.js";
import type { ClassIdImage, PredictedImage, PredictedObject } from "./types.js";

export interface AgreementOptions {
  iouThreshold?: number;
  /** classes of the masks; defaults to the largest id seen + 1 */
  maskClasses?: number;
}

export interface AgreementReport {
  iouThreshold: number;
  /** frames present in both runs */
  frames: number;
  /** frames present in only one run (not compared) */
  unmatchedFrames: string[];
  matched: number;
  onlyA: number;
  onlyB: number;
  /** matched / (matched + onlyB): B's boxes that A also has */
  precision: number | null;
  /** matched / (matched + onlyA): A's boxes that B also has */
  recall: number | null;
  f1: number | null;
  meanMatchedIou: number | null;
  meanAbsScoreDiff: number | null;
  /** equal pixels / compared pixels, B's mask resized to A's size; null without masks */
  maskPixelAgreement: number | null;
  /** mean IoU of B's mask against A's */
  maskMiou: number | null;
}

interface FrameMatch {
  matched: number;
  onlyA: number;
  onlyB: number;
  ious: number[];
  scoreDiffs: number[];
}

/** Greedy one-to-one matching: every pair of the same class above the threshold, best IoU first. */
function matchFrame(a: PredictedObject[], b: PredictedObject[], threshold: number): FrameMatch {
  const pairs: { i: number; j: number; iou: number }[] = [];
  const bByClass = new Map<number, number[]>();
  b.forEach((db, j) => {
    const list = bByClass.get(db.classId);
    if (list) list.push(j);
    else bByClass.set(db.classId, [j]);
  });
  a.forEach((da, i) => {
    for (const j of bByClass.get(da.classId) ?? []) {
      const iou = boxIou(da, b[j]!);
      if (iou >= threshold) pairs.push({ i, j, iou });
    }
  });
  pairs.sort((p, q) => q.iou - p.iou || p.i - q.i || p.j - q.j);
  const usedA = new Uint8Array(a.length);
  const usedB = new Uint8Array(b.length);
  const ious: number[] = [];
  const scoreDiffs: number[] = [];
  for (const p of pairs) {
    if (usedA[p.i] || usedB[p.j]) continue;
    usedA[p.i] = usedB[p.j] = 1;
    ious.push(p.iou);
    scoreDiffs.push(Math.abs(a[p.i]!.score - b[p.j]!.score));
  }
  return { matched: ious.length, onlyA: a.length - ious.length, onlyB: b.length - ious.length, ious, scoreDiffs };
}

const meanOf = (v: number[]) => (v.length ? v.reduce((x, y) => x + y, 0) / v.length : null);

export function compareRuns(
  runA: readonly PredictedImage[],
  runB: readonly PredictedImage[],
  masksA: ReadonlyMap<string, ClassIdImage> = new Map(),
  masksB: ReadonlyMap<string, ClassIdImage> = new Map(),
  options: AgreementOptions = {},
): AgreementReport {
  const threshold = options.iouThreshold ?? 0.5;
  const byKeyB = new Map(runB.map((p) => [p.key, p]));
  const keysA = new Set(runA.map((p) => p.key));
  const unmatchedFrames = [...runA.filter((p) => !byKeyB.has(p.key)), ...runB.filter((p) => !keysA.has(p.key))].map((p) => p.key);
  let matched = 0;
  let onlyA = 0;
  let onlyB = 0;
  const ious: number[] = [];
  const scoreDiffs: number[] = [];
  let frames = 0;
  for (const a of runA) {
    const b = byKeyB.get(a.key);
    if (!b) continue;
    frames++;
    const m = matchFrame(a.objects, b.objects, threshold);
    matched += m.matched;
    onlyA += m.onlyA;
    onlyB += m.onlyB;
    for (const v of m.ious) ious.push(v);
    for (const v of m.scoreDiffs) scoreDiffs.push(v);
  }
  const precision = matched + onlyB > 0 ? matched / (matched + onlyB) : null;
  const recall = matched + onlyA > 0 ? matched / (matched + onlyA) : null;
  const f1 = matched + onlyA + onlyB > 0 ? (2 * matched) / (2 * matched + onlyA + onlyB) : null;

  const maskPairs = [...masksA].filter(([k]) => masksB.has(k)).map(([k, m]) => [m, masksB.get(k)!] as const);
  let maskPixelAgreement: number | null = null;
  let maskMiou: number | null = null;
  if (maskPairs.length) {
    let classes = options.maskClasses ?? 0;
    if (!classes) for (const [ma, mb] of maskPairs) for (const m of [ma, mb]) for (const v of m.data) if (v + 1 > classes) classes = v + 1;
    const confusion = new ConfusionMatrix(Math.max(1, classes));
    let equal = 0;
    let total = 0;
    for (const [ma, mb] of maskPairs) {
      const rb = resizeNearest(mb, ma.width, ma.height);
      for (let i = 0; i < ma.data.length; i++) if (ma.data[i] === rb.data[i]) equal++;
      total += ma.data.length;
      confusion.add(ma, rb, -1);
    }
    maskPixelAgreement = total ? equal / total : null;
    maskMiou = confusion.report([]).miou;
  }
  return {
    iouThreshold: threshold,
    frames,
    unmatchedFrames,
    matched,
    onlyA,
    onlyB,
    precision,
    recall,
    f1,
    meanMatchedIou: meanOf(ious),
    meanAbsScoreDiff: meanOf(scoreDiffs),
    maskPixelAgreement,
    maskMiou,
  };
}
