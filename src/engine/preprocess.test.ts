import { describe, expect, it } from "vitest";
import { preprocess } from "./preprocess.js";

describe("preprocess", () => {
  it("resizes, swaps BGR to RGB, scales by 1/255 and writes CHW (known answer: a uniform image)", () => {
    const image = { width: 3, height: 2, encoding: "bgr8" as const, step: 9, data: Uint8Array.from({ length: 18 }, (_, i) => [10, 20, 30][i % 3]!) };
    const out = preprocess(image, { channels: 3, height: 4, width: 5 });
    expect(out).toHaveLength(60);
    for (let c = 0; c < 3; c++) {
      for (const v of out.subarray(c * 20, c * 20 + 20)) expect(v).toBeCloseTo([30, 20, 10][c]! / 255, 7);
    }
  });
  it("replicates mono8 into three channels", () => {
    const out = preprocess({ width: 1, height: 1, encoding: "mono8", step: 1, data: Uint8Array.of(51) }, { channels: 3, height: 2, width: 2 });
    expect(out).toHaveLength(12);
    for (const v of out) expect(v).toBeCloseTo(51 / 255, 7);
  });
});
