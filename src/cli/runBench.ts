import { performance } from "node:perf_hooks";
import { Engine } from "../engine/Engine.js";
import type { BackendName, Precision } from "../engine/types.js";
import { latencyStats } from "../eval/latencyStats.js";

export interface BenchOptions {
  cfg: string;
  weights?: string;
  backend: BackendName;
  precision: Precision;
  batch: number;
  iters: number;
  warmup: number;
  threads?: number;
  json?: boolean;
}

/** bench's JSON contract: median (p50), p90 and minimum of the timed runs, in milliseconds. */
export interface BenchResult {
  median_ms: number;
  p90_ms: number;
  min_ms: number;
  iters: number;
  backend: string;
  precision: string;
  batch: number;
}

/**
 * `lightnet-trt bench`: network forward time only (no decode, no image I/O), `iters` timed runs after
 * `warmup` untimed ones, on a fixed pseudo-random input; seeded random weights when none are given.
 */
export async function runBench(options: BenchOptions): Promise<BenchResult> {
  const engine = await Engine.build({
    cfg: options.cfg,
    ...(options.weights !== undefined && { weights: options.weights }),
    ...(options.threads !== undefined && { threads: options.threads }),
    backend: options.backend,
    precision: options.precision,
    batch: options.batch,
  });
  try {
    const { channels, height, width } = engine.info.input;
    const input = pseudoRandomInput(options.batch * channels * height * width);
    for (let i = 0; i < options.warmup; i++) await engine.forward(input, options.batch);
    const samples: number[] = [];
    for (let i = 0; i < options.iters; i++) {
      const start = performance.now();
      await engine.forward(input, options.batch);
      samples.push(performance.now() - start);
    }
    const stats = latencyStats(samples);
    if (stats === null) throw new RangeError(`bench: --iters ${options.iters}, expected at least 1 timed run`);
    const result: BenchResult = {
      median_ms: stats.p50Ms,
      p90_ms: stats.p90Ms,
      min_ms: stats.minMs,
      iters: options.iters,
      backend: engine.backend,
      precision: engine.precision,
      batch: options.batch,
    };
    process.stdout.write(
      options.json
        ? JSON.stringify(result) + "\n"
        : `${options.cfg}: ${result.backend} ${result.precision} batch ${result.batch}, ${result.iters} iters: ` +
            `median ${result.median_ms.toFixed(2)} ms, p90 ${result.p90_ms.toFixed(2)} ms, min ${result.min_ms.toFixed(2)} ms\n`,
    );
    return result;
  } finally {
    engine.close();
  }
}

/** Values in [0, 1) like a normalised image, reproducible run to run (xorshift32). */
function pseudoRandomInput(length: number): Float32Array {
  const out = new Float32Array(length);
  let s = 0x9e3779b9;
  for (let i = 0; i < length; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = (s >>> 0) / 4294967296;
  }
  return out;
}
