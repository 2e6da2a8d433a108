/**
 * Latency percentiles and throughput of a run: the project's one definition of a percentile, used by
 * `eval`, the HTML report and `bench` (and mirrored by native/tools/lightnet-tool bench). A percentile is
 * numpy's default, linear interpolation between the closest ranks, so p50 is the usual median (the mean
 * of the middle two for an even count) and figures can be checked with numpy.percentile.
 */

export interface LatencyStats {
  frames: number;
  meanMs: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  minMs: number;
  maxMs: number;
  /** frames per second of wall time, when the run's wall time is known */
  throughputFps: number | null;
}

/** Percentile with linear interpolation between closest ranks (numpy's default), p in [0, 100]. */
export function percentile(sorted: readonly number[], p: number): number {
  if (!sorted.length) throw new RangeError("percentile of an empty list");
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (rank - lo);
}

/** Summarises per-frame latencies; `wallSeconds` is the run's elapsed time for the throughput. */
export function latencyStats(latenciesMs: readonly number[], wallSeconds?: number): LatencyStats | null {
  if (!latenciesMs.length) return null;
  const sorted = [...latenciesMs].sort((a, b) => a - b);
  return {
    frames: sorted.length,
    meanMs: sorted.reduce((a, b) => a + b, 0) / sorted.length,
    p50Ms: percentile(sorted, 50),
    p90Ms: percentile(sorted, 90),
    p99Ms: percentile(sorted, 99),
    minMs: sorted[0]!,
    maxMs: sorted[sorted.length - 1]!,
    throughputFps: wallSeconds && wallSeconds > 0 ? sorted.length / wallSeconds : null,
  };
}
