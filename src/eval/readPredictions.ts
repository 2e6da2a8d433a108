/**
 * Reads a run written by `lightnet-trt infer --json` (one JSON object per line, issue 2's contract):
 * `{"source","width","height","detections":[{"class_id","label","score","x","y","width","height"}],
 *   "mask":…|null,"timing_ms":{"preprocess","inference","postprocess"}}`.
 */
import { expectArray, expectNumber, expectObject, expectString } from "./groundTruth/jsonFields.js";
import type { PredictedImage } from "./types.js";
import { imageKey } from "./types.js";

export interface PredictionRun {
  frames: PredictedImage[];
  /** class labels by id as the run named them */
  labels: string[];
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
