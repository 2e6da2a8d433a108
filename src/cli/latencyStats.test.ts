import { describe, expect, it } from "vitest";
import { latencyStats } from "./latencyStats.js";

describe("latencyStats", () => {
  it("computes median, nearest-rank p90 and min", () => {
    expect(latencyStats([5, 1, 3])).toEqual({ median_ms: 3, p90_ms: 5, min_ms: 1 });
    expect(latencyStats([4, 1, 3, 2])).toEqual({ median_ms: 2.5, p90_ms: 4, min_ms: 1 });
    const ten = [10, 9, 8, 7, 6, 5, 4, 3, 2, 1];
    expect(latencyStats(ten)).toEqual({ median_ms: 5.5, p90_ms: 9, min_ms: 1 });
  });
  it("rejects an empty run", () => {
    expect(() => latencyStats([])).toThrow("no samples");
  });
});
