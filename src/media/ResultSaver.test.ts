/**
 * --save-dir output for a frame with a segmentation mask: the class-id PNG holds the ids, the colour PNG
 * the cfg's colours (written BGR in the cfg, stored RGB in the PNG), the annotated JPEG the frame's size.
 */
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { PNG } from "pngjs";
import { describe, expect, it } from "vitest";
import type { FrameResult, HeadInfo } from "../engine/types.js";
import { readImage } from "../image/readImage.js";
import { ResultSaver } from "./ResultSaver.js";
import type { FrameSource } from "./frameSources.js";

describe("ResultSaver", () => {
  it("writes annotated stills and class-id / colour masks", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "save-"));
    const heads: HeadInfo[] = [{ kind: "segmentation", layer: 40, source: 39, classes: 2, colormap: [[255, 0, 0], [0, 0, 255]] }];
    const saver = new ResultSaver(dir, heads);
    const image = { width: 4, height: 2, encoding: "bgr8" as const, step: 12, data: new Uint8Array(24).fill(100) };
    const result: FrameResult = {
      detections: [{ classId: 0, label: "car", score: 0.5, x: 0, y: 0, width: 2, height: 2 }],
      masks: [{ headLayer: 40, width: 2, height: 1, classIds: Uint8Array.from([0, 1]) }],
      timing: { preprocessMs: 0, inferenceMs: 0, postprocessMs: 0 },
    };
    const source = { kind: "images", name: "x" } as unknown as FrameSource;
    await saver.save(source, "frame", image, result);
    saver.finish();
    expect(readdirSync(dir).sort()).toEqual(["frame_annotated.jpg", "frame_color_mask.png", "frame_mask.png"]);
    const ids = PNG.sync.read(readFileSync(path.join(dir, "frame_mask.png")));
    expect([ids.width, ids.height, ids.data[0], ids.data[4]]).toEqual([2, 1, 0, 1]);
    const color = PNG.sync.read(readFileSync(path.join(dir, "frame_color_mask.png")));
    expect(Array.from(color.data.subarray(0, 8))).toEqual([0, 0, 255, 255, 255, 0, 0, 255]); // BGR (255,0,0) → RGB blue
    const annotated = await readImage(path.join(dir, "frame_annotated.jpg"));
    expect([annotated.width, annotated.height]).toEqual([4, 2]);
  });
});
