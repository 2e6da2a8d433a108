/**
 * `lightnet-trt eval`: accuracy and latency of a model on a labelled image set, or of a recorded run.
 * Detections are scored COCO-style against BDD100K / COCO / darknet labels, masks by mIoU against label
 * PNGs, and a run can be compared with another (INT8 vs FP32, ours vs another tool's JSON lines). The
 * results go to stdout (text or --json) and, with --report, to one self-contained HTML file.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { annotate, bgrToRgb } from "../draw/annotate.js";
import { Raster, type Rgb } from "../draw/Raster.js";
import { Engine } from "../engine/Engine.js";
import type { HeadInfo, RawImage, SegmentationMask } from "../engine/types.js";
import { compareRuns, type AgreementReport } from "../eval/agreement.js";
import { evaluateDetections, type DetectionReport } from "../eval/detectionAp.js";
import { readGroundTruth } from "../eval/groundTruth/readGroundTruth.js";
import { decodeLabelPng, encodeClassIdPng } from "../eval/labelPng.js";
import { latencyStats, type LatencyStats } from "../eval/latencyStats.js";
import { parsePredictions, type ImageSizeLookup } from "../eval/readPredictions.js";
import { buildHtmlReport } from "../eval/report/htmlReport.js";
import { ConfusionMatrix, type SegmentationReport } from "../eval/segmentationIou.js";
import { imageKey, type ClassIdImage, type PredictedImage } from "../eval/types.js";
import { readImage } from "../image/readImage.js";
import type { NodeParameters } from "../ros/parameters.js";
import { engineOptionsOf } from "../ros/parameters.js";
import { expandInputs } from "./expandInputs.js";
import { frameToJson } from "./frameToJson.js";
import { ProgressBar } from "./ProgressBar.js";

export interface EvalOptions {
  /** images to run the model on (files or directories); empty with `predictions` */
  images: string[];
  /** an `infer --json` run to evaluate instead of running the model */
  predictions?: string;
  /** class-id mask PNGs (<key>.png) of the `predictions` run */
  predictionMasks?: string;
  params?: NodeParameters;
  groundTruth?: string;
  /** JSON object ground-truth name → model label */
  classMap?: string;
  segLabels?: string;
  /** decode colour label PNGs with the cfg's colormap */
  labelColormap?: boolean;
  against?: string;
  againstMasks?: string;
  iouThreshold: number;
  savePredictions?: string;
  saveMasks?: string;
  report?: string;
  samples: number;
  json?: boolean;
}

interface Run {
  frames: PredictedImage[];
  labels: string[];
  masks: Map<string, ClassIdImage>;
  heads: HeadInfo[];
  wallSeconds?: number;
  engine?: { backend: string; precision: string };
}


function readMaskDir(dir: string, keys: readonly string[]): Map<string, ClassIdImage> {
  const masks = new Map<string, ClassIdImage>();
  for (const key of keys) {
    const file = path.join(dir, `${key}.png`);
    if (existsSync(file)) masks.set(key, decodeLabelPng(readFileSync(file), file));
  }
  return masks;
}

/** Runs the engine over the images, keeping what evaluation needs (and writing predictions/masks if asked). */
async function runModel(options: EvalOptions, reportError: (e: unknown) => void): Promise<Run> {
  const params = options.params!;
  const engine = await Engine.build(engineOptionsOf({ ...params, inputTopics: ["~/in/image"] }));
  const files = expandInputs(options.images);
  const frames: PredictedImage[] = [];
  const masks = new Map<string, ClassIdImage>();
  const lines: string[] = [];
  if (options.saveMasks) mkdirSync(options.saveMasks, { recursive: true });
  const progress = new ProgressBar(files.length);
  const start = performance.now();
  try {
    for (const file of files) {
      try {
        const image = await readImage(file);
        const [frame] = await engine.detect([image], { scoreThreshold: params.scoreThreshold, nmsThreshold: params.nmsThreshold });
        const t = frame!.timing;
        const key = imageKey(file);
        frames.push({
          key,
          source: file,
          width: image.width,
          height: image.height,
          objects: frame!.detections.map((d) => ({ classId: d.classId, score: d.score, x: d.x, y: d.y, width: d.width, height: d.height })),
          latencyMs: t.preprocessMs + t.inferenceMs + t.postprocessMs,
        });
        const mask = frame!.masks[0];
        if (mask) {
          masks.set(key, { width: mask.width, height: mask.height, data: mask.classIds });
          if (options.saveMasks) writeFileSync(path.join(options.saveMasks, `${key}.png`), encodeClassIdPng({ width: mask.width, height: mask.height, data: mask.classIds }));
        }
        lines.push(JSON.stringify(frameToJson(file, image.width, image.height, frame!, engine.info)));
      } catch (err) {
        progress.clear();
        reportError(err);
      }
      progress.tick();
    }
  } finally {
    progress.finish();
    engine.close();
  }
  const wallSeconds = (performance.now() - start) / 1000;
  if (options.savePredictions) writeFileSync(options.savePredictions, lines.join("\n") + (lines.length ? "\n" : ""));
  return { frames, labels: engine.labels, masks, heads: engine.info.heads, wallSeconds, engine: { backend: engine.backend, precision: engine.precision } };
}

/** Sizes of `known` frames first (no decode needed); else the image file itself is read. */
function sizeLookup(known: readonly PredictedImage[]): ImageSizeLookup {
  const byKey = new Map(known.map((f) => [f.key, f]));
  return async (key, source) => {
    const frame = byKey.get(key);
    if (frame) return frame;
    try {
      return await readImage(source);
    } catch (err) {
      throw new Error(`${source}: its boxes are relative to the image, whose size is unknown (${(err as Error).message})`);
    }
  };
}

async function readRun(file: string, maskDir: string | undefined, sizesFrom: readonly PredictedImage[] = []): Promise<Run> {
  const run = await parsePredictions(readFileSync(file, "utf8"), file, sizeLookup(sizesFrom));
  return { frames: run.frames, labels: run.labels, masks: maskDir ? readMaskDir(maskDir, run.frames.map((f) => f.key)) : new Map(), heads: [] };
}

function segmentationReport(run: Run, labelDir: string, colormap: readonly (readonly [number, number, number])[] | undefined, notes: string[]): SegmentationReport | undefined {
  const head = run.heads.find((h) => h.kind === "segmentation");
  let classes = head?.classes ?? 0;
  if (!classes) for (const m of run.masks.values()) for (const v of m.data) classes = Math.max(classes, v + 1);
  if (!run.masks.size || !classes) {
    notes.push("segmentation labels given, but the run has no masks");
    return undefined;
  }
  const matrix = new ConfusionMatrix(classes);
  let missing = 0;
  for (const [key, mask] of run.masks) {
    const file = path.join(labelDir, `${key}.png`);
    if (!existsSync(file)) {
      missing++;
      continue;
    }
    matrix.add(decodeLabelPng(readFileSync(file), file, colormap), mask);
  }
  if (missing) notes.push(`${missing} masks had no label PNG in ${labelDir} and were left out`);
  return matrix.report([]);
}

async function sampleFrames(run: Run, count: number): Promise<{ name: string; png: Buffer }[]> {
  const head = run.heads.find((h) => h.kind === "segmentation");
  const colors = (head?.colormap ?? []).map(bgrToRgb);
  const out: { name: string; png: Buffer }[] = [];
  for (const f of run.frames.slice(0, count)) {
    let image: RawImage;
    try {
      image = await readImage(f.source);
    } catch {
      continue; // the run's images may live elsewhere: samples are optional
    }
    const raster = Raster.fromImage(image);
    const mask = run.masks.get(f.key);
    const masks: SegmentationMask[] = mask ? [{ headLayer: head?.layer ?? 0, width: mask.width, height: mask.height, classIds: mask.data }] : [];
    const detections = f.objects.map((o) => ({ ...o, label: run.labels[o.classId] ?? String(o.classId) }));
    out.push({ name: path.basename(f.source), png: annotate(raster, detections, masks, { maskColors: colors }).toPng() });
  }
  return out;
}

export interface EvalResult {
  detection?: DetectionReport;
  segmentation?: SegmentationReport;
  agreement?: AgreementReport;
  latency?: LatencyStats;
  notes: string[];
}

export async function runEval(options: EvalOptions, reportError: (e: unknown) => void): Promise<EvalResult> {
  const run = options.predictions ? await readRun(options.predictions, options.predictionMasks) : await runModel(options, reportError);
  const notes: string[] = [];
  const result: EvalResult = { notes };
  if (!run.frames.length) throw new Error("no frames to evaluate (no readable images or prediction lines)");

  if (options.groundTruth) {
    const classMap = options.classMap ? (JSON.parse(readFileSync(options.classMap, "utf8")) as Record<string, string>) : undefined;
    const gt = readGroundTruth(options.groundTruth, { labels: run.labels, imageSizes: run.frames, ...(classMap && { classMap }) });
    const keys = new Set(run.frames.map((f) => f.key));
    const images = gt.images.filter((g) => keys.has(g.key));
    const unlabelled = run.frames.filter((f) => !gt.images.some((g) => g.key === f.key)).length;
    if (gt.images.length > images.length) notes.push(`${gt.images.length - images.length} ground-truth images were not in the run and were left out`);
    if (gt.format !== "darknet" && unlabelled) notes.push(`${unlabelled} frames have no ground-truth entry: their detections count as false positives`);
    for (const [name, n] of gt.unmatchedClasses) notes.push(`ground-truth class "${name}" matches no model class: ${n} objects ignored (use --class-map)`);
    result.detection = evaluateDetections(images, run.frames, { labels: run.labels });
  }
  if (options.segLabels) {
    const head = run.heads.find((h) => h.kind === "segmentation");
    const colormap = options.labelColormap ? head?.colormap.map(bgrToRgb) : undefined;
    result.segmentation = segmentationReport(run, options.segLabels, colormap, notes);
  }
  if (options.against) {
    const other = await readRun(options.against, options.againstMasks, run.frames);
    result.agreement = compareRuns(other.frames, run.frames, other.masks, run.masks, { iouThreshold: options.iouThreshold });
  }
  const latencies = run.frames.map((f) => f.latencyMs).filter((v): v is number => v !== undefined);
  const stats = latencyStats(latencies, run.wallSeconds);
  if (stats) result.latency = stats;

  if (options.report) {
    const runInfo: Record<string, string> = {
      date: new Date().toISOString(),
      frames: String(run.frames.length),
      ...(options.predictions ? { predictions: options.predictions } : {}),
      ...(options.params && !options.predictions
        ? {
            cfg: options.params.modelCfg,
            weights: options.params.modelWeights || "(seeded random)",
            backend: run.engine?.backend ?? options.params.backend,
            precision: run.engine?.precision ?? options.params.precision,
            "score / NMS threshold": `${options.params.scoreThreshold} / ${options.params.nmsThreshold}`,
          }
        : {}),
      ...(options.groundTruth ? { "ground truth": options.groundTruth } : {}),
      ...(options.segLabels ? { "segmentation labels": options.segLabels } : {}),
      ...(options.against ? { "compared with (A)": options.against } : {}),
      command: ["lightnet-trt", ...process.argv.slice(2)].join(" "),
    };
    const html = buildHtmlReport({
      title: "lightnet-trt evaluation",
      run: runInfo,
      ...(result.detection && { detection: result.detection }),
      ...(result.segmentation && { segmentation: result.segmentation }),
      ...(result.agreement && { agreement: result.agreement }),
      ...(stats && { latency: { stats, samplesMs: latencies } }),
      samples: await sampleFrames(run, options.samples),
      notes,
    });
    writeFileSync(options.report, html);
  }
  return result;
}

const f4 = (v: number | null | undefined) => (v === null || v === undefined ? "n/a" : v.toFixed(4));

/** The human summary printed without --json. */
export function formatEvalResult(r: EvalResult): string {
  const lines: string[] = [];
  if (r.detection) {
    lines.push(`detection: mAP@0.5 ${f4(r.detection.map50)}  mAP@0.5:0.95 ${f4(r.detection.map50to95)}  (${r.detection.images} images)`);
    for (const c of r.detection.classes.filter((c) => c.groundTruth > 0 || c.detections > 0)) {
      lines.push(`  ${c.label.padEnd(16)} AP50 ${f4(c.ap50)}  AP ${f4(c.ap)}  gt ${c.groundTruth}  det ${c.detections}`);
    }
  }
  if (r.segmentation) lines.push(`segmentation: mIoU ${f4(r.segmentation.miou)}  pixel accuracy ${f4(r.segmentation.pixelAccuracy)}  (${r.segmentation.frames} frames)`);
  if (r.agreement) {
    const a = r.agreement;
    lines.push(`agreement: F1 ${f4(a.f1)} (IoU ≥ ${a.iouThreshold})  matched ${a.matched}, only reference ${a.onlyA}, only this run ${a.onlyB}  mask agreement ${f4(a.maskPixelAgreement)}  mask mIoU ${f4(a.maskMiou)}`);
  }
  if (r.latency) {
    const l = r.latency;
    lines.push(`latency: p50 ${l.p50Ms.toFixed(2)} ms  p90 ${l.p90Ms.toFixed(2)} ms  p99 ${l.p99Ms.toFixed(2)} ms  mean ${l.meanMs.toFixed(2)} ms${l.throughputFps !== null ? `  throughput ${l.throughputFps.toFixed(2)} fps` : ""}`);
  }
  for (const n of r.notes) lines.push(`note: ${n}`);
  return lines.join("\n") + "\n";
}
