import { describe, expect, it } from "vitest";
import { evaluateDetections } from "./detectionAp.js";
import type { GroundTruthImage, PredictedImage } from "./types.js";

const box = (x: number, y: number, width: number, height: number) => ({ x, y, width, height });
const gt = (classId: number, b: ReturnType<typeof box>, crowd = false) => ({ ...b, classId, crowd });
const det = (classId: number, score: number, b: ReturnType<typeof box>) => ({ ...b, classId, score });
const pred = (key: string, objects: ReturnType<typeof det>[]): PredictedImage => ({
  key, source: `${key}.jpg`, width: 640, height: 480, objects,
});

describe("evaluateDetections", () => {
  it("computes 101-point interpolated AP by hand", () => {
    // Two objects, three detections: hit (0.9), miss (0.8), hit (0.7).
    // cumulative recall    0.5, 0.5, 1.0; precision 1, 1/2, 2/3 → monotone 1, 2/3, 2/3.
    // recall points 0.00…0.50 (51 of them) read precision 1, points 0.51…1.00 (50) read 2/3:
    // AP = (51·1 + 50·2/3) / 101 = 0.834983…
    const truth: GroundTruthImage[] = [{ key: "a", objects: [gt(0, box(0, 0, 10, 10)), gt(0, box(100, 100, 10, 10))] }];
    const preds = [pred("a", [det(0, 0.9, box(0, 0, 10, 10)), det(0, 0.8, box(300, 300, 10, 10)), det(0, 0.7, box(100, 100, 10, 10))])];
    const r = evaluateDetections(truth, preds, { labels: ["car"] });
    const expected = (51 + (50 * 2) / 3) / 101;
    expect(r.classes[0]!.ap50).toBeCloseTo(expected, 12);
    expect(r.classes[0]!.ap).toBeCloseTo(expected, 12); // exact boxes: the same at every threshold
    expect(r.map50).toBeCloseTo(expected, 12);
  });

  it("averages over IoU 0.50:0.95", () => {
    // IoU = 100·72 / 100·100 = 0.72: a hit at 0.50 … 0.70 (5 thresholds), a miss at 0.75 … 0.95 (5).
    const truth = [{ key: "a", objects: [gt(0, box(0, 0, 100, 100))] }];
    const r = evaluateDetections(truth, [pred("a", [det(0, 0.5, box(0, 0, 100, 72))])], { labels: ["car"] });
    expect(r.classes[0]!.ap50).toBe(1);
    expect(r.classes[0]!.ap).toBeCloseTo(0.5, 12);
  });

  it("matches each object once and across images in global score order", () => {
    // image a: object + two detections on it (0.9 hit, 0.6 duplicate → false positive)
    // image b: object + one detection (0.8 hit). Global order 0.9 T, 0.8 T, 0.6 F:
    // recall 1/2, 1, 1; precision 1, 1, 2/3 → monotone 1, 1, 2/3 → every recall point reads 1 → AP 1.
    const truth = [
      { key: "a", objects: [gt(0, box(0, 0, 10, 10))] },
      { key: "b", objects: [gt(0, box(0, 0, 10, 10))] },
    ];
    const preds = [
      pred("a", [det(0, 0.9, box(0, 0, 10, 10)), det(0, 0.6, box(0, 0, 10, 10))]),
      pred("b", [det(0, 0.8, box(0, 0, 10, 10))]),
    ];
    expect(evaluateDetections(truth, preds, { labels: ["car"] }).classes[0]!.ap50).toBe(1);
    // Duplicate scored highest instead: order 0.95 T(a), 0.9 F(a), 0.8 T(b): recall .5,.5,1 precision 1,.5,2/3
    preds[0]!.objects[1]!.score = 0.95;
    expect(evaluateDetections(truth, preds, { labels: ["car"] }).classes[0]!.ap50).toBeCloseTo((51 + 100 / 3) / 101, 12);
  });

  it("ignores detections on crowd regions and leaves classes without ground truth out", () => {
    // class 0: one object hit, one detection inside a crowd (ignored, not a false positive) → AP 1.
    // class 1: detections but no ground truth → AP null, not in the mean.
    // class 2: ground truth but no detections → AP 0. mAP = (1 + 0) / 2.
    const truth = [{
      key: "a",
      objects: [gt(0, box(0, 0, 10, 10)), gt(0, box(200, 200, 100, 100), true), gt(2, box(50, 50, 10, 10))],
    }];
    const preds = [pred("a", [det(0, 0.5, box(0, 0, 10, 10)), det(0, 0.9, box(210, 210, 20, 20)), det(1, 0.9, box(0, 0, 5, 5))])];
    const r = evaluateDetections(truth, preds, { labels: ["car", "bus", "person"] });
    expect(r.classes.map((c) => c.ap50)).toEqual([1, null, 0]);
    expect(r.classes.map((c) => c.groundTruth)).toEqual([1, 0, 1]);
    expect(r.map50).toBe(0.5);
  });

  it("counts images that have ground truth but no prediction as misses", () => {
    const truth = [
      { key: "a", objects: [gt(0, box(0, 0, 10, 10))] },
      { key: "b", objects: [gt(0, box(0, 0, 10, 10))] },
    ];
    // recall reaches 1/2 with precision 1: points 0.00…0.50 → 51/101
    const r = evaluateDetections(truth, [pred("a", [det(0, 0.9, box(0, 0, 10, 10))])], { labels: ["car"] });
    expect(r.classes[0]!.ap50).toBeCloseTo(51 / 101, 12);
    expect(r.images).toBe(2);
  });

  it("does not match across classes", () => {
    const truth = [{ key: "a", objects: [gt(0, box(0, 0, 10, 10))] }];
    const r = evaluateDetections(truth, [pred("a", [det(1, 0.9, box(0, 0, 10, 10))])], { labels: ["car", "bus"] });
    expect(r.classes[0]!.ap50).toBe(0);
    expect(r.map50).toBe(0);
  });
});
