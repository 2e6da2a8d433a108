import { describe, expect, it } from "vitest";
import { parsePredictionLines, parsePredictions } from "./readPredictions.js";

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

describe("parsePredictions (darknet -out JSON)", () => {
  it("turns relative centre boxes into pixel boxes with the image size", async () => {
    const darknet = JSON.stringify([
      { frame_id: 1, filename: "data/dog.jpg", objects: [
        { class_id: 16, name: "dog", relative_coordinates: { center_x: 0.5, center_y: 0.25, width: 0.5, height: 0.5 }, confidence: 0.9 },
      ] },
    ]);
    const sizes: string[] = [];
    const run = await parsePredictions(darknet, "result.json", async (key, source) => {
      sizes.push(`${key} ${source}`);
      return { width: 800, height: 600 };
    });
    // centre (400, 150), size 400×300 → top-left (200, 0)
    expect(run.frames).toEqual([{ key: "dog", source: "data/dog.jpg", width: 800, height: 600, objects: [{ classId: 16, score: 0.9, x: 200, y: 0, width: 400, height: 300 }] }]);
    expect(run.labels[16]).toBe("dog");
    expect(sizes).toEqual(["dog data/dog.jpg"]);
    await expect(parsePredictions('[{"filename":"a.jpg","objects":[{"class_id":0}]}]', "r.json", async () => ({ width: 1, height: 1 })))
      .rejects.toThrow("r.json: [0].objects[0].relative_coordinates: expected an object, found undefined");
    // JSON lines still go to the infer parser
    expect((await parsePredictions('{"source":"a.jpg","width":1,"height":1,"detections":[]}', "x", async () => ({ width: 0, height: 0 }))).frames[0]!.key).toBe("a");
  });
});
