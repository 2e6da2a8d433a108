import { describe, expect, it } from "vitest";
import { parsePredictionLines } from "./readPredictions.js";

describe("parsePredictionLines", () => {
  it("reads infer --json lines", () => {
    const text = [
      JSON.stringify({ source: "/data/img/0001.jpg", width: 640, height: 480, detections: [{ class_id: 2, label: "person", score: 0.5, x: 1, y: 2, width: 3, height: 4 }], mask: null, timing_ms: { preprocess: 1, inference: 5, postprocess: 0.5 } }),
      "",
      JSON.stringify({ source: "0002.png", width: 10, height: 10, detections: [], mask: null }),
    ].join("\n");
    const run = parsePredictionLines(text, "run.jsonl");
    expect(run.frames).toEqual([
      { key: "0001", source: "/data/img/0001.jpg", width: 640, height: 480, objects: [{ classId: 2, score: 0.5, x: 1, y: 2, width: 3, height: 4 }], latencyMs: 6.5 },
      { key: "0002", source: "0002.png", width: 10, height: 10, objects: [] },
    ]);
    expect(run.labels).toEqual(["0", "1", "person"]);
  });

  it("names line and field of bad input", () => {
    expect(() => parsePredictionLines("{}\n{", "r.jsonl")).toThrow("r.jsonl:1: source: expected a string, found undefined");
    expect(() => parsePredictionLines('{"source":"a","width":1,"height":1,"detections":[]}\n{', "r.jsonl")).toThrow("r.jsonl:2: not valid JSON");
  });
});
