import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Engine } from "../engine/Engine.js";
import { preprocess } from "../engine/preprocess.js";
import type { BackendName, Precision, Tensor } from "../engine/types.js";
import { readImage } from "../image/readImage.js";
import { encodeNpy } from "../npy/encodeNpy.js";
import { expandInputs } from "./expandInputs.js";
import { formatFrame } from "./formatFrame.js";
import { frameToJson } from "./frameToJson.js";
import { type QuantizationFlags, quantizationEngineOptions, reportQuantizationProgress } from "./quantizationOptions.js";

export interface InferOptions extends QuantizationFlags {
  cfg: string;
  weights: string;
  names?: string;
  input: string[];
  backend: BackendName;
  precision: Precision;
  scoreThreshold: number;
  nmsThreshold: number;
  json?: boolean;
  dumpOutputs?: string;
}

/**
 * `lightnet-trt infer`: detections (and mask statistics) per image. An image that cannot be read is reported
 * on stderr and skipped; the exit code is then 1 but the other images are still processed.
 * --dump-outputs DIR writes each head-feeding conv's raw output as DIR/<layer>.npy, float32 NCHW with N = the
 * images read, in order.
 */
export async function runInfer(options: InferOptions, reportError: (err: unknown) => void): Promise<number> {
  const engine = await Engine.build({
    cfg: options.cfg,
    weights: options.weights,
    ...(options.names !== undefined && { names: options.names }),
    backend: options.backend,
    precision: options.precision,
    ...quantizationEngineOptions(options),
  }, reportQuantizationProgress);
  const thresholds = { scoreThreshold: options.scoreThreshold, nmsThreshold: options.nmsThreshold };
  const dumped = new Map<number, Tensor[]>();
  let failures = 0;
  try {
    for (const source of expandInputs(options.input)) {
      try {
        const image = await readImage(source);
        const [frame] = await engine.detect([image], thresholds);
        const line = frameToJson(source, image.width, image.height, frame!, engine.info);
        process.stdout.write(options.json ? JSON.stringify(line) + "\n" : formatFrame(line, (k) => String(k)));
        if (options.dumpOutputs !== undefined) {
          for (const t of await engine.forward(preprocess(image, engine.info.input), 1)) {
            dumped.set(t.layer, [...(dumped.get(t.layer) ?? []), t]);
          }
        }
      } catch (err) {
        failures += 1;
        reportError(err);
      }
    }
  } finally {
    engine.close();
  }
  if (options.dumpOutputs !== undefined && dumped.size > 0) writeDump(options.dumpOutputs, dumped);
  return failures === 0 ? 0 : 1;
}

/** Stacks each layer's per-image tensors along N and writes DIR/<layer>.npy. */
function writeDump(dir: string, dumped: Map<number, Tensor[]>): void {
  mkdirSync(dir, { recursive: true });
  for (const [layer, tensors] of dumped) {
    const [, c, h, w] = tensors[0]!.shape;
    const data = new Float32Array(tensors.length * c * h * w);
    tensors.forEach((t, i) => data.set(t.data, i * c * h * w));
    writeFileSync(path.join(dir, `${layer}.npy`), encodeNpy(data, [tensors.length, c, h, w]));
  }
}
