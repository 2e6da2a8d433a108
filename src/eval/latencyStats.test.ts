import { describe, expect, it } from "vitest";
import { latencyStats, percentile } from "./latencyStats.js";

describe("latencyStats", () => {
  it("interpolates percentiles like numpy", () => {
    // numpy.percentile([1,2,3,4,10], 90) = 4 + 0.6·6 = 7.6; p50 = 3; p99 = 4 + 0.96·6 = 9.76
    const s = latencyStats([10, 1, 3, 2, 4], 2)!;
    expect(s.p50Ms).toBe(3);
    expect(s.p90Ms).toBeCloseTo(7.6, 12);
    expect(s.p99Ms).toBeCloseTo(9.76, 12);
    expect(s.meanMs).toBe(4);
    expect(s.throughputFps).toBe(2.5);
    expect(percentile([5], 99)).toBe(5);
    expect(latencyStats([])).toBeNull();
  });

  it("gives bench's median (mean of the middle two for an even count), p90 and min", () => {
    // numpy.percentile: [1,3,5] → p90 4.6; [1,2,3,4] → p50 2.5, p90 3.7; 1..10 → p50 5.5, p90 9.1
    const pick = (v: number[]) => {
      const s = latencyStats(v)!;
      return [s.p50Ms, s.p90Ms, s.minMs];
    };
    expect(pick([5, 1, 3])).toEqual([3, 4.6, 1]);
    expect(pick([4, 1, 3, 2])).toEqual([2.5, 3.7, 1]);
    expect(pick([10, 9, 8, 7, 6, 5, 4, 3, 2, 1])).toEqual([5.5, 9.1, 1]);
  });
});
