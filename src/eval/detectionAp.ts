/**
 * COCO-style detection average precision (the algorithm of pycocotools' COCOeval for bbox, area "all"):
 * per class and IoU threshold, detections are matched greedily in score order to the best still unmatched
 * ground truth; crowd regions absorb detections without counting them; precision is made monotone and
 * sampled at 101 recall points. A class without ground truth has no AP and is left out of the mean.
 */
import { boxIou, crowdOverlap } from "./boxIou.js";
import type { GroundTruthImage, GroundTruthObject, PredictedImage, PredictedObject } from "./types.js";

/** numpy.linspace(start, stop, n) bit for bit (i × step + start, the last point exactly stop). */
function linspace(start: number, stop: number, n: number): number[] {
  const step = (stop - start) / (n - 1);
  return Array.from({ length: n }, (_, i) => (i === n - 1 ? stop : i * step + start));
}

/**
 * COCO's IoU thresholds 0.50, 0.55 … 0.95 and recall points 0, 0.01 … 1, computed as COCOeval does: a
 * recall of exactly 7/100 must fall on the same side of "0.07" as in pycocotools.
 */
export const COCO_IOU_THRESHOLDS: readonly number[] = linspace(0.5, 0.95, 10);
const RECALL_LEVELS: readonly number[] = linspace(0, 1, 101);
const RECALL_POINTS = RECALL_LEVELS.length;

export interface DetectionEvalOptions {
  /** class names by id, for the report */
  labels: readonly string[];
  /** most detections per image and class considered, highest scores first (COCO: 100) */
  maxDetections?: number;
}

export interface ClassAp {
  classId: number;
  label: string;
  /** non-crowd ground-truth objects */
  groundTruth: number;
  detections: number;
  /** AP at IoU 0.5; null without ground truth */
  ap50: number | null;
  /** AP averaged over IoU 0.50:0.95; null without ground truth */
  ap: number | null;
}

export interface DetectionReport {
  classes: ClassAp[];
  /** mean of ap50 over classes with ground truth; null when there are none */
  map50: number | null;
  map50to95: number | null;
  images: number;
}

interface ScoredMatch {
  score: number;
  /** per IoU threshold: 1 true positive, 0 false positive, -1 ignored (matched a crowd) */
  outcome: Int8Array;
}

/** Matches one image's detections of one class against its ground truth of that class. */
function matchImage(gts: GroundTruthObject[], dets: PredictedObject[], thresholds: readonly number[]): ScoredMatch[] {
  // Non-crowd ground truth first, so a crowd is only taken when no real object is left (as COCOeval).
  const ordered = [...gts.filter((g) => !g.crowd), ...gts.filter((g) => g.crowd)];
  const taken = thresholds.map(() => new Uint8Array(ordered.length));
  return dets.map((det) => {
    const outcome = new Int8Array(thresholds.length);
    const overlaps = ordered.map((g) => (g.crowd ? crowdOverlap(det, g) : boxIou(det, g)));
    thresholds.forEach((t, ti) => {
      let best = Math.min(t, 1 - 1e-10);
      let match = -1;
      for (let g = 0; g < ordered.length; g++) {
        if (taken[ti]![g] && !ordered[g]!.crowd) continue;
        // once a real object matched, stop at the crowds
        if (match > -1 && !ordered[match]!.crowd && ordered[g]!.crowd) break;
        if (overlaps[g]! < best) continue;
        best = overlaps[g]!;
        match = g;
      }
      if (match === -1) {
        outcome[ti] = 0;
      } else {
        taken[ti]![match] = 1;
        outcome[ti] = ordered[match]!.crowd ? -1 : 1;
      }
    });
    return { score: det.score, outcome };
  });
}

/** Area under the interpolated precision/recall curve, sampled at 101 recall points. */
function interpolatedAp(matches: ScoredMatch[], ti: number, groundTruth: number): number {
  // stable sort by score, highest first (COCO uses mergesort)
  const sorted = matches.map((m, i) => ({ m, i })).sort((a, b) => b.m.score - a.m.score || a.i - b.i);
  const recall: number[] = [];
  const precision: number[] = [];
  let tp = 0;
  let fp = 0;
  for (const { m } of sorted) {
    const o = m.outcome[ti]!;
    if (o === -1) continue;
    if (o === 1) tp++;
    else fp++;
    recall.push(tp / groundTruth);
    precision.push(tp / (tp + fp));
  }
  for (let i = precision.length - 1; i > 0; i--) {
    if (precision[i]! > precision[i - 1]!) precision[i - 1] = precision[i]!;
  }
  let sum = 0;
  let k = 0;
  for (let r = 0; r < RECALL_POINTS; r++) {
    const level = RECALL_LEVELS[r]!;
    while (k < recall.length && recall[k]! < level) k++; // searchsorted(side="left")
    if (k < recall.length) sum += precision[k]!;
  }
  return sum / RECALL_POINTS;
}

function mean(values: (number | null)[]): number | null {
  const present = values.filter((v): v is number => v !== null);
  return present.length ? present.reduce((a, b) => a + b, 0) / present.length : null;
}

/**
 * Evaluates predictions against ground truth. Images present in only one of the two still count: ground
 * truth without predictions is all misses, predictions without ground truth all false positives.
 */
export function evaluateDetections(
  groundTruth: readonly GroundTruthImage[],
  predictions: readonly PredictedImage[],
  options: DetectionEvalOptions,
): DetectionReport {
  const maxDetections = options.maxDetections ?? 100;
  const thresholds = COCO_IOU_THRESHOLDS;
  const gtByKey = new Map(groundTruth.map((g) => [g.key, g.objects]));
  const predByKey = new Map(predictions.map((p) => [p.key, p.objects]));
  const keys = new Set([...gtByKey.keys(), ...predByKey.keys()]);

  let classCount = options.labels.length;
  for (const objs of [...gtByKey.values(), ...predByKey.values()]) {
    for (const o of objs) classCount = Math.max(classCount, o.classId + 1);
  }
  const matches: ScoredMatch[][] = Array.from({ length: classCount }, () => []);
  const gtCounts = new Array<number>(classCount).fill(0);
  const detCounts = new Array<number>(classCount).fill(0);

  for (const key of keys) {
    const gts = gtByKey.get(key) ?? [];
    const dets = predByKey.get(key) ?? [];
    for (let c = 0; c < classCount; c++) {
      const g = gts.filter((o) => o.classId === c);
      const d = dets
        .filter((o) => o.classId === c)
        .sort((a, b) => b.score - a.score)
        .slice(0, maxDetections);
      if (!g.length && !d.length) continue;
      gtCounts[c]! += g.filter((o) => !o.crowd).length;
      detCounts[c]! += d.length;
      for (const m of matchImage(g, d, thresholds)) matches[c]!.push(m);
    }
  }

  const classes: ClassAp[] = matches.map((m, c) => {
    const n = gtCounts[c]!;
    const perThreshold = n > 0 ? thresholds.map((_, ti) => interpolatedAp(m, ti, n)) : null;
    return {
      classId: c,
      label: options.labels[c] ?? String(c),
      groundTruth: n,
      detections: detCounts[c]!,
      ap50: perThreshold ? perThreshold[0]! : null,
      ap: perThreshold ? perThreshold.reduce((a, b) => a + b, 0) / perThreshold.length : null,
    };
  });
  return {
    classes,
    map50: mean(classes.map((c) => c.ap50)),
    map50to95: mean(classes.map((c) => c.ap)),
    images: keys.size,
  };
}
