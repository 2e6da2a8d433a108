import { describe, expect, it } from "vitest";
import type { FrameResult, ModelInfo } from "../engine/types.js";
import { frameToJson } from "./frameToJson.js";

const info = {
  heads: [{ kind: "segmentation", layer: 7, source: 6, classes: 4, colormap: [] }],
} as unknown as ModelInfo;

describe("frameToJson", () => {
  it("maps a frame to the contract's keys and counts mask pixels per class", () => {
    const frame: FrameResult = {
      detections: [{ classId: 2, label: "person", score: 0.9, x: 1, y: 2, width: 3, height: 4 }],
      masks: [{ headLayer: 7, width: 3, height: 2, classIds: Uint8Array.from([0, 0, 3, 1, 0, 3]) }],
      timing: { preprocessMs: 1, inferenceMs: 2, postprocessMs: 3 },
    };
    expect(frameToJson("a.jpg", 640, 480, frame, info)).toEqual({
      source: "a.jpg",
      width: 640,
      height: 480,
      detections: [{ class_id: 2, label: "person", score: 0.9, x: 1, y: 2, width: 3, height: 4 }],
      mask: { width: 3, height: 2, class_pixels: [3, 1, 0, 2] },
      timing_ms: { preprocess: 1, inference: 2, postprocess: 3 },
    });
  });
  it("gives mask: null without a segmentation head", () => {
    const frame: FrameResult = { detections: [], masks: [], timing: { preprocessMs: 0, inferenceMs: 0, postprocessMs: 0 } };
    expect(frameToJson("b.png", 1, 1, frame, info).mask).toBeNull();
  });
});
