import { describe, expect, it } from "vitest";
import { compareRuns } from "./agreement.js";
import type { PredictedImage } from "./types.js";

const run = (key: string, objects: [number, number, number, number, number, number][]): PredictedImage => ({
  key, source: key, width: 100, height: 100,
  objects: objects.map(([classId, score, x, y, width, height]) => ({ classId, score, x, y, width, height })),
});

describe("compareRuns", () => {
  it("counts one-to-one matches per class and frame", () => {
    // frame f: A has car@(0,0,10,10) 0.9, car@(50,50,10,10) 0.8, bus@(20,20,10,10) 0.7
    //          B has car@(0,0,10,8) 0.85 (IoU 0.8), bus@(50,50,10,10) 0.8 (class differs), car@(80,80,5,5)
    // matched 1, only A 2, only B 2 → precision 1/3, recall 1/3, F1 2/(2+4) = 1/3
    const a = [run("f", [[0, 0.9, 0, 0, 10, 10], [0, 0.8, 50, 50, 10, 10], [1, 0.7, 20, 20, 10, 10]]), run("g", [])];
    const b = [run("f", [[0, 0.85, 0, 0, 10, 8], [1, 0.8, 50, 50, 10, 10], [0, 0.5, 80, 80, 5, 5]]), run("h", [])];
    const r = compareRuns(a, b);
    expect([r.matched, r.onlyA, r.onlyB]).toEqual([1, 2, 2]);
    expect(r.f1).toBeCloseTo(1 / 3, 14);
    expect(r.meanMatchedIou).toBeCloseTo(0.8, 14);
    expect(r.meanAbsScoreDiff).toBeCloseTo(0.05, 14);
    expect(r.frames).toBe(1);
    expect(r.unmatchedFrames).toEqual(["g", "h"]);
    expect(r.maskPixelAgreement).toBeNull();
  });

  it("respects the IoU threshold", () => {
    const a = [run("f", [[0, 0.9, 0, 0, 10, 10]])];
    const b = [run("f", [[0, 0.9, 0, 0, 10, 6]])]; // IoU 0.6
    expect(compareRuns(a, b, undefined, undefined, { iouThreshold: 0.5 }).f1).toBe(1);
    expect(compareRuns(a, b, undefined, undefined, { iouThreshold: 0.7 }).f1).toBe(0);
  });

  it("compares masks pixel by pixel", () => {
    // A 2×2 [0,1,1,1]; B 1×1 [1] resized → [1,1,1,1]: 3 of 4 equal.
    // IoU class 0: TP 0 / union 1 = 0; class 1: 3/4 → mIoU 3/8
    const ma = new Map([["f", { width: 2, height: 2, data: Uint8Array.from([0, 1, 1, 1]) }]]);
    const mb = new Map([["f", { width: 1, height: 1, data: Uint8Array.from([1]) }]]);
    const r = compareRuns([run("f", [])], [run("f", [])], ma, mb);
    expect(r.maskPixelAgreement).toBe(0.75);
    expect(r.maskMiou).toBe(3 / 8);
    expect(r.f1).toBeNull();
  });
});
