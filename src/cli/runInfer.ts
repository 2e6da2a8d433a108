import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Engine } from "../engine/Engine.js";
import { inferredImage } from "../engine/inferredImage.js";
import { preprocess } from "../engine/preprocess.js";
import type { BackendName, Precision, Tensor } from "../engine/types.js";
import { openFrameSource } from "../media/frameSources.js";
import { ResultSaver } from "../media/ResultSaver.js";
import { encodeNpy } from "../npy/encodeNpy.js";
import { formatFrame } from "./formatFrame.js";
import { frameToJson } from "./frameToJson.js";
import { ProgressBar } from "./ProgressBar.js";
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
  /** annotated images / video and mask PNGs go here */
  saveDir?: string;
  /** image topics of rosbag2 inputs (default: every image topic) */
  imageTopic?: string[];
  /** requested camera capture size "WxH" */
  cameraSize?: string;
  batch?: number;
  dlaCore?: number;
  /** print mean per-layer times at the end */
  profile?: boolean;
}

function parseCameraSize(text: string | undefined): { width: number; height: number } | undefined {
  if (text === undefined) return undefined;
  const m = /^(\d+)x(\d+)$/.exec(text);
  if (!m || Number(m[1]) < 1 || Number(m[2]) < 1) throw new Error(`--camera-size ${text}: expected WIDTHxHEIGHT, e.g. 1280x960`);
  return { width: Number(m[1]), height: Number(m[2]) };
}

/**
 * `lightnet-trt infer`: detections (and mask statistics) per frame of each input: image files or directories,
 * video files, camera indices, rosbag2 image topics. A frame that cannot be read is reported on stderr and
 * skipped; the exit code is then 1 but the other frames are still processed. --save-dir writes annotated
 * frames (one video per video/camera input) and class-id / colour mask PNGs. A progress bar runs on stderr
 * when it is a terminal.
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
    ...(options.batch !== undefined && { batch: options.batch }),
    ...(options.dlaCore !== undefined && { dlaCore: options.dlaCore }),
    ...(options.profile && { profile: true }),
    ...quantizationEngineOptions(options),
  }, reportQuantizationProgress);
  const cameraSize = parseCameraSize(options.cameraSize);
  const saver = options.saveDir !== undefined ? new ResultSaver(options.saveDir, engine.info.heads) : undefined;
  const thresholds = { scoreThreshold: options.scoreThreshold, nmsThreshold: options.nmsThreshold };
  const dumped = new Map<number, Tensor[]>();
  const needPixels = saver !== undefined || options.dumpOutputs !== undefined;
  let failures = 0;
  try {
    for (const input of options.input) {
      let source;
      try {
        source = await openFrameSource(input, options.imageTopic ?? [], cameraSize);
      } catch (err) {
        failures += 1;
        reportError(err);
        continue;
      }
      const progress = new ProgressBar(source.total);
      const onError = (err: unknown) => {
        failures += 1;
        progress.clear();
        reportError(err);
      };
      try {
        for await (const { source: name, input, stem } of source.frames(onError)) {
          try {
            // an image file or CompressedImage is decoded inside detect(); its pixels come back only when needed
            const [frame] = await engine.detect([input], thresholds, { returnDecoded: needPixels });
            const image = inferredImage(input, frame!);
            const line = frameToJson(name, image.width, image.height, frame!, engine.info);
            progress.clear();
            process.stdout.write(options.json ? JSON.stringify(line) + "\n" : formatFrame(line, (k) => String(k)));
            if (saver) await saver.save(source, stem, image.pixels!, frame!);
            if (options.dumpOutputs !== undefined) {
              for (const t of await engine.forward(preprocess(image.pixels!, engine.info.input), 1)) {
                dumped.set(t.layer, [...(dumped.get(t.layer) ?? []), t]);
              }
            }
          } catch (err) {
            onError(err);
          }
          progress.tick();
        }
      } catch (err) {
        onError(err); // the input broke off part-way: what was written stays
      } finally {
        progress.finish();
        saver?.finish(source);
        await source.close();
      }
    }
    if (options.profile) writeProfile(engine);
  } finally {
    engine.close();
  }
  if (options.dumpOutputs !== undefined && dumped.size > 0) writeDump(options.dumpOutputs, dumped);
  return failures === 0 ? 0 : 1;
}

/** Mean per-layer milliseconds, slowest first, on stderr (the original tool's --prof). */
function writeProfile(engine: Engine): void {
  const rows = engine.takeProfile().sort((a, b) => b.ms - a.ms);
  const total = rows.reduce((sum, r) => sum + r.ms, 0);
  process.stderr.write(`per-layer time (mean ms per forward, total ${total.toFixed(3)} ms):\n`);
  for (const r of rows) process.stderr.write(`  ${String(r.layer).padStart(4)} ${r.name.padEnd(28)} ${r.ms.toFixed(3)}\n`);
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
