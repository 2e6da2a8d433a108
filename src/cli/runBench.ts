import { Engine } from "../engine/Engine.js";
import type { BackendName, Precision, RawImage } from "../engine/types.js";
import { latencyStats } from "../eval/latencyStats.js";
import { type QuantizationFlags, quantizationEngineOptions, reportQuantizationProgress } from "./quantizationOptions.js";

export interface BenchOptions extends QuantizationFlags {
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

/** The engine a bench times: the options' cfg, weights, backend, precision, batch, threads and INT8 settings. */
export function buildBenchEngine(options: BenchOptions): Promise<Engine> {
  return Engine.build({
    cfg: options.cfg,
    ...(options.weights !== undefined && { weights: options.weights }),
    ...(options.threads !== undefined && { threads: options.threads }),
    backend: options.backend,
    precision: options.precision,
    batch: options.batch,
    ...quantizationEngineOptions(options),
  }, reportQuantizationProgress);
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
 * `lightnet-trt bench`: the network's time only, `iters` timed runs after `warmup` untimed ones; seeded random
 * weights when none are given. Each run is one batch through `detect()`, timed by the engine itself
 * (`timing.inferenceMs`: the forward pass on the CPU, CUDA events around the graph on the GPU), so neither
 * image conversion nor host↔device copies of tensors count, as in the C++ tool's bench and the PyTorch peer.
 */
export async function runBench(options: BenchOptions): Promise<BenchResult> {
  const engine = await buildBenchEngine(options);
  try {
    const { height, width } = engine.info.input;
    const frames = Array.from({ length: options.batch }, () => pseudoRandomImage(width, height));
    // A score threshold of 1 leaves post-processing empty: random weights would otherwise flood NMS.
    const networkMs = async (): Promise<number> =>
      (await engine.detect(frames, { scoreThreshold: 1 })).reduce((sum, r) => sum + r.timing.inferenceMs, 0);
    for (let i = 0; i < options.warmup; i++) await networkMs();
    const samples: number[] = [];
    for (let i = 0; i < options.iters; i++) samples.push(await networkMs());
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

/** A bgr8 image of the network's size (no resize work), reproducible run to run (xorshift32). */
function pseudoRandomImage(width: number, height: number): RawImage {
  const data = new Uint8Array(width * height * 3);
  let s = 0x9e3779b9;
  for (let i = 0; i < data.length; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    data[i] = s >>> 24;
  }
  return { width, height, encoding: "bgr8", step: width * 3, data };
}
