import { readFileSync } from "node:fs";
import type { DetectInput, RawImage } from "../engine/types.js";
import { latencyStats } from "../eval/latencyStats.js";
import { type BenchOptions, buildBenchEngine } from "./runBench.js";

export interface FullFrameBenchOptions extends BenchOptions {
  /** "WxH" of the synthetic bgr8 frame (default 1920x1080) */
  frame?: string;
  /** leave frames in the addon's memory (the engine stages the upload) instead of its input buffers */
  pageableInput?: boolean;
  /** an image file whose bytes every frame is: decoded inside the detect task (the ROS compressed path) */
  encoded?: string;
}

/** `bench --full-frame --json`: medians in milliseconds; the engine's split is per batch (per-frame shares × batch). */
export interface FullFrameBenchResult {
  full_frame_ms: number;
  p90_ms: number;
  min_ms: number;
  preprocess_ms: number;
  dnn_ms: number;
  postprocess_ms: number;
  iters: number;
  backend: string;
  precision: string;
  batch: number;
  /** where the frames come from: "engine buffers" | "pageable" | "encoded" */
  input: string;
  width: number;
  height: number;
}

function parseFrameSize(text: string): { width: number; height: number } {
  const m = /^(\d+)x(\d+)$/.exec(text);
  if (!m || Number(m[1]) < 1 || Number(m[2]) < 1) throw new Error(`--frame ${text}: expected WIDTHxHEIGHT, e.g. 1920x1080`);
  return { width: Number(m[1]), height: Number(m[2]) };
}

/** A smooth gradient with noise (xorshift32), as the C++ tool's full-frame bench uses: a plausible image. */
function gradientFrame(width: number, height: number): RawImage {
  const data = new Uint8Array(width * height * 3);
  let s = 3;
  for (let i = 0; i < data.length; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    data[i] = (Math.floor(((Math.floor(i / 3) % width) * 200) / width) + ((s >>> 0) & 31)) & 255;
  }
  return { width, height, encoding: "bgr8", step: width * 3, data };
}

/**
 * `lightnet-trt bench --full-frame`: wall clock of Engine.detect() from the caller's frame to results in JS,
 * batch × one frame per call, after `warmup` untimed calls: the addon's copy of the pixels (into the engine's
 * input buffers, page-locked on the GPU; or into its own memory with --pageable-input), upload, pre-processing,
 * network, decode + NMS + argmax. With --encoded FILE every frame is that JPEG/PNG's bytes, decoded natively
 * straight into the input buffer inside the same task (as the ROS node does for CompressedImage).
 */
export async function runFullFrameBench(options: FullFrameBenchOptions): Promise<FullFrameBenchResult> {
  const size = parseFrameSize(options.frame ?? "1920x1080");
  if (options.encoded !== undefined && options.frame !== undefined) throw new Error("--frame and --encoded: give one (an encoded frame has its own size)");
  if (options.encoded !== undefined && options.pageableInput) throw new Error("--pageable-input and --encoded: an encoded frame is always decoded into the engine's input buffer when it is free");
  const bytes = options.encoded !== undefined ? new Uint8Array(readFileSync(options.encoded)) : undefined;
  const engine = await buildBenchEngine(options);
  try {
    const frame: DetectInput = bytes !== undefined ? { encoded: bytes, what: options.encoded } : gradientFrame(size.width, size.height);
    const frames = Array.from({ length: options.batch }, () => frame);
    const placement = { pinnedInput: !options.pageableInput };
    let width = size.width, height = size.height;
    const once = async () => {
      const t0 = performance.now();
      const results = await engine.detect(frames, {}, placement);
      const wall = performance.now() - t0;
      const first = results[0]!;
      if (first.decoded) ({ width, height } = first.decoded);
      const b = options.batch;
      return { wall, pre: first.timing.preprocessMs * b, dnn: first.timing.inferenceMs * b, post: first.timing.postprocessMs * b };
    };
    for (let i = 0; i < options.warmup; i++) await once();
    const samples = [];
    for (let i = 0; i < options.iters; i++) samples.push(await once());
    const wall = latencyStats(samples.map((s) => s.wall));
    if (wall === null) throw new RangeError(`bench: --iters ${options.iters}, expected at least 1 timed run`);
    const median = (xs: number[]) => latencyStats(xs)!.p50Ms;
    const result: FullFrameBenchResult = {
      full_frame_ms: wall.p50Ms,
      p90_ms: wall.p90Ms,
      min_ms: wall.minMs,
      preprocess_ms: median(samples.map((s) => s.pre)),
      dnn_ms: median(samples.map((s) => s.dnn)),
      postprocess_ms: median(samples.map((s) => s.post)),
      iters: options.iters,
      backend: engine.backend,
      precision: engine.precision,
      batch: options.batch,
      input: bytes !== undefined ? "encoded" : options.pageableInput ? "pageable" : "engine buffers",
      width,
      height,
    };
    process.stdout.write(
      options.json
        ? JSON.stringify(result) + "\n"
        : `${options.cfg}: ${result.backend} ${result.precision} batch ${result.batch}, full frame ${width}x${height} ` +
            `(${result.input}), ${result.iters} iters: median ${result.full_frame_ms.toFixed(3)} ms ` +
            `(${((1000 * result.batch) / result.full_frame_ms).toFixed(1)} images/s), p90 ${result.p90_ms.toFixed(3)} ms | ` +
            `engine split, medians: pre-process ${result.preprocess_ms.toFixed(3)} ms, DNN ${result.dnn_ms.toFixed(3)} ms, ` +
            `post-process ${result.postprocess_ms.toFixed(3)} ms\n`,
    );
    return result;
  } finally {
    engine.close();
  }
}
