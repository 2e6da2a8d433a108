import { describe, expect, it } from "vitest";
import { ConfusionMatrix, resizeNearest } from "./segmentationIou.js";

const img = (width: number, height: number, values: number[]) => ({ width, height, data: Uint8Array.from(values) });

describe("ConfusionMatrix", () => {
  it("computes per-class IoU and mIoU by hand", () => {
    // truth      predicted
    // 0 0 1      0 1 1
    // 1 1 2      1 1 1
    // 2 2 255    2 0 0      (255 ignored)
    // class 0: TP 1 (px0), FN 1 (px1→1), FP 1 (px7: truth 2 → 0)             IoU 1/3
    // class 1: TP 3 (px2, px3, px4), FP 2 (px1, px5 truth 2 → 1), FN 0        IoU 3/5
    // class 2: TP 1 (px6), FN 2 (px5→1, px7→0), FP 0                         IoU 1/3
    // mIoU = (1/3 + 3/5 + 1/3) / 3 = 19/45; pixel accuracy 5/8
    const m = new ConfusionMatrix(3);
    m.add(img(3, 3, [0, 0, 1, 1, 1, 2, 2, 2, 255]), img(3, 3, [0, 1, 1, 1, 1, 1, 2, 0, 0]));
    const r = m.report(["road", "car", "sky"]);
    expect(r.classes.map((c) => c.iou)).toEqual([1 / 3, 3 / 5, 1 / 3]);
    expect(r.miou).toBeCloseTo(19 / 45, 14);
    expect(r.pixelAccuracy).toBe(5 / 8);
    expect(r.classes.map((c) => c.groundTruthPixels)).toEqual([2, 3, 3]);
  });

  it("accumulates frames before dividing, and skips classes absent from both", () => {
    // frame 1: all 0 right (2 px). frame 2: truth 0 0, predicted 0 1 → class 0 TP 3 FN 1 → 3/4;
    // class 1: FP 1, TP 0 → 0; class 2 absent → null. mIoU (3/4 + 0) / 2 = 3/8.
    const m = new ConfusionMatrix(3);
    m.add(img(2, 1, [0, 0]), img(2, 1, [0, 0]));
    m.add(img(2, 1, [0, 0]), img(2, 1, [0, 1]));
    const r = m.report([]);
    expect(r.classes.map((c) => c.iou)).toEqual([3 / 4, 0, null]);
    expect(r.miou).toBe(3 / 8);
    expect(r.frames).toBe(2);
  });

  it("resizes a low-resolution prediction to the label size by nearest neighbour", () => {
    // 2×1 prediction [0, 1] → 4×2: columns 0,1 read 0, columns 2,3 read 1
    expect(Array.from(resizeNearest(img(2, 1, [0, 1]), 4, 2).data)).toEqual([0, 0, 1, 1, 0, 0, 1, 1]);
    const m = new ConfusionMatrix(2);
    m.add(img(4, 2, [0, 0, 1, 1, 0, 0, 1, 1]), img(2, 1, [0, 1]));
    expect(m.report([]).miou).toBe(1);
  });

  it("rejects predicted ids outside the class range", () => {
    const m = new ConfusionMatrix(2);
    expect(() => m.add(img(1, 1, [0]), img(1, 1, [5]))).toThrow("predicted class id 5 at pixel 0, expected < 2");
    expect(() => new ConfusionMatrix(0)).toThrow("expected an integer in 1..255");
  });
});
