/**
 * Reads a recorded run: `lightnet-trt infer --json` lines (issue 2's contract:
 * `{"source","width","height","detections":[{"class_id","label","score","x","y","width","height"}],
 *   "mask":…|null,"timing_ms":{"preprocess","inference","postprocess"}}`), or the JSON that darknet
 * (AlexeyAB) writes with `detector test … -out result.json` (boxes relative to the image, whose size is
 * looked up by the caller).
 */
import { expectArray, expectNumber, expectObject, expectString } from "./groundTruth/jsonFields.js";
import type { PredictedImage } from "./types.js";
import { imageKey } from "./types.js";

export interface PredictionRun {
  frames: PredictedImage[];
  /** class labels by id as the run named them */
  labels: string[];
}

/** Image size by frame key and source path, for formats that give boxes relative to the image. */
export type ImageSizeLookup = (key: string, source: string) => Promise<{ width: number; height: number }>;

/** darknet's `-out` JSON: `[{"frame_id","filename","objects":[{"class_id","name","relative_coordinates":{"center_x","center_y","width","height"},"confidence"}]}]`. */
export async function parseDarknetJson(json: unknown[], file: string, sizeOf: ImageSizeLookup): Promise<PredictionRun> {
  const labels: string[] = [];
  const frames: PredictedImage[] = [];
  for (const [i, entry] of json.entries()) {
    const where = `${file}: [${i}]`;
    const o = expectObject(entry, where);
    const source = expectString(o.filename, `${where}.filename`);
    const key = imageKey(source);
    const { width, height } = await sizeOf(key, source);
    const objects = expectArray(o.objects, `${where}.objects`).map((d, j) => {
      const at = `${where}.objects[${j}]`;
      const det = expectObject(d, at);
      const classId = expectNumber(det.class_id, `${at}.class_id`);
      if (typeof det.name === "string" && labels[classId] === undefined) labels[classId] = det.name;
      const r = expectObject(det.relative_coordinates, `${at}.relative_coordinates`);
      const w = expectNumber(r.width, `${at}.relative_coordinates.width`) * width;
      const h = expectNumber(r.height, `${at}.relative_coordinates.height`) * height;
      return {
        classId,
        score: expectNumber(det.confidence, `${at}.confidence`),
        x: expectNumber(r.center_x, `${at}.relative_coordinates.center_x`) * width - w / 2,
        y: expectNumber(r.center_y, `${at}.relative_coordinates.center_y`) * height - h / 2,
        width: w,
        height: h,
      };
    });
    frames.push({ key, source, width, height, objects });
  }
  return { frames, labels: Array.from(labels, (l, i) => l ?? String(i)) };
}

/** Either format, told apart by the first character: a JSON array is darknet's, objects per line are ours. */
export async function parsePredictions(text: string, file: string, sizeOf: ImageSizeLookup): Promise<PredictionRun> {
  if (text.trimStart().startsWith("[")) {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (e) {
      throw new Error(`${file}: not valid JSON (${(e as Error).message}), expected darknet's -out JSON array or \`infer --json\` lines`);
    }
    return parseDarknetJson(json as unknown[], file, sizeOf);
  }
  return parsePredictionLines(text, file);
}

export function parsePredictionLines(text: string, file: string): PredictionRun {
  const labels: string[] = [];
  const frames: PredictedImage[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line) return;
    const where = `${file}:${i + 1}`;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch (e) {
      throw new Error(`${where}: not valid JSON (${(e as Error).message}), expected one \`infer --json\` object per line`);
    }
    const o = expectObject(json, where);
    const source = expectString(o.source, `${where}: source`);
    const objects = expectArray(o.detections, `${where}: detections`).map((d, j) => {
      const at = `${where}: detections[${j}]`;
      const det = expectObject(d, at);
      const classId = expectNumber(det.class_id, `${at}.class_id`);
      if (typeof det.label === "string" && labels[classId] === undefined) labels[classId] = det.label;
      return {
        classId,
        score: expectNumber(det.score, `${at}.score`),
        x: expectNumber(det.x, `${at}.x`),
        y: expectNumber(det.y, `${at}.y`),
        width: expectNumber(det.width, `${at}.width`),
        height: expectNumber(det.height, `${at}.height`),
      };
    });
    const frame: PredictedImage = {
      key: imageKey(source),
      source,
      width: expectNumber(o.width, `${where}: width`),
      height: expectNumber(o.height, `${where}: height`),
      objects,
    };
    if (typeof o.timing_ms === "object" && o.timing_ms !== null) {
      const t = o.timing_ms as Record<string, unknown>;
      frame.latencyMs = ["preprocess", "inference", "postprocess"].reduce((sum, k) => sum + (typeof t[k] === "number" ? (t[k] as number) : 0), 0);
    }
    frames.push(frame);
  });
  return { frames, labels: Array.from(labels, (l, i) => l ?? String(i)) };
}
