export interface LatencyStats {
  median_ms: number;
  p90_ms: number;
  min_ms: number;
}

/** Median (mean of the middle two for an even count), nearest-rank 90th percentile and minimum. */
export function latencyStats(samplesMs: readonly number[]): LatencyStats {
  if (samplesMs.length === 0) throw new RangeError("latencyStats: no samples");
  const s = [...samplesMs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  const p90 = s[Math.ceil(0.9 * s.length) - 1]!;
  return { median_ms: median, p90_ms: p90, min_ms: s[0]! };
}
