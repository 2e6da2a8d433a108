/** The `lightnet-trt` command-line contract (issue 2, item 6) that tests and other tools rely on. */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { writeRandomWeights } from "../src/engine/writeRandomWeights.js";
import { runCli } from "./support/runCli.js";
import { testPaths } from "./support/testPaths.js";

const dog = path.join(testPaths.images, "dog.jpg");
const voc = testPaths.yoloFastest.voc;

describe("info", () => {
  it("--json has top-level gflops and params (a count), layers and heads: LightNet detection", () => {
    const run = runCli(["info", "--cfg", testPaths.lightnetDet, "--json"]);
    expect(run.status).toBe(0);
    const info = JSON.parse(run.stdout);
    // The original project's model table: 58.01 GFLOPs, 9.0 M parameters.
    expect(info.gflops.toFixed(2)).toBe("58.01");
    expect(Number.isInteger(info.params)).toBe(true);
    expect((info.params / 1e6).toFixed(1)).toBe("9.0");
    expect(info.input).toEqual({ channels: 3, height: 960, width: 1280 });
    expect(info.heads.map((h: { kind: string }) => h.kind)).toEqual(["yolo", "yolo", "yolo"]);
    expect(info.layers[0]).toMatchObject({ index: 0, type: "convolutional", inputs: [-1], output: [32, 480, 640] });
    expect(info.names).toEqual(["car", "bus", "person", "bike", "truck", "motor", "train", "rider", "traffic_sign", "traffic_light"]);
  });

  it("--json: LightNet detection + segmentation (76.61 GFLOPs, 9.7 M)", () => {
    const info = JSON.parse(runCli(["info", "--cfg", testPaths.lightnetSeg, "--json"]).stdout);
    expect(info.gflops.toFixed(2)).toBe("76.61");
    expect((info.params / 1e6).toFixed(1)).toBe("9.7");
    expect(info.heads.at(-1)).toMatchObject({ kind: "segmentation", classes: 20 });
  });

  it("prints a readable summary and per-layer table, and checks weights when given", () => {
    const run = runCli(["info", "--cfg", voc.cfg, "--weights", voc.weights]);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^.*yolo-fastest-xl-voc\.cfg\ninput 3x320x320, [\d.]+ GFLOPs/);
    expect(run.stdout).toContain("yolo layer 115 (fed by conv 114), 20 classes");
    expect(run.stdout).toContain(`weights ${voc.weights}: size matches the cfg`);
  });
});

describe("infer", () => {
  it("--json prints exactly the contract's keys, one line per image", () => {
    const run = runCli(["infer", "--cfg", voc.cfg, "--weights", voc.weights, "--names", voc.names, "--input", dog, dog, "--json"]);
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    expect(run.lines).toHaveLength(2);
    const line = JSON.parse(run.lines[0]!);
    expect(Object.keys(line)).toEqual(["source", "width", "height", "detections", "mask", "timing_ms"]);
    expect(line).toMatchObject({ source: dog, width: 768, height: 576, mask: null });
    expect(Object.keys(line.timing_ms)).toEqual(["preprocess", "inference", "postprocess"]);
    expect(line.detections.length).toBeGreaterThan(0);
    for (const d of line.detections) {
      expect(Object.keys(d)).toEqual(["class_id", "label", "score", "x", "y", "width", "height"]);
    }
    // dog.jpg: VOC's darknet demo picture (a dog, a bicycle and a car).
    expect(new Set(line.detections.map((d: { label: string }) => d.label))).toEqual(new Set(["dog", "bicycle", "car"]));
  });

  it("labels are the cfg's names= or numbers when no --names is given", () => {
    const run = runCli(["infer", "--cfg", voc.cfg, "--weights", voc.weights, "--input", dog, "--json"]);
    const line = JSON.parse(run.lines[0]!);
    for (const d of line.detections) expect(d.label).toBe(String(d.class_id));
  });

  it("prints a readable table without --json", () => {
    const run = runCli(["infer", "--cfg", voc.cfg, "--weights", voc.weights, "--names", voc.names, "--input", dog]);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/dog\.jpg \(768x576\): \d+ detections; preprocess [\d.]+ ms, inference [\d.]+ ms/);
    expect(run.stdout).toMatch(/\n {2}bicycle +0\.\d{3} /);
  });

  describe("with a segmentation head (seeded random weights)", () => {
    let weights = "";
    beforeAll(async () => {
      weights = path.join(mkdtempSync(path.join(tmpdir(), "lightnet-seg-")), "seg.weights");
      await writeRandomWeights(testPaths.lightnetSeg, weights, 1);
    });

    it("reports the mask size and a pixel count per class", () => {
      // Random weights make ~1e5 boxes; threshold 1 keeps this test about the mask.
      const run = runCli(["infer", "--cfg", testPaths.lightnetSeg, "--weights", weights, "--input", dog, "--json", "--score-threshold", "1"]);
      expect(run.stderr).toBe("");
      const line = JSON.parse(run.lines[0]!);
      const info = JSON.parse(runCli(["info", "--cfg", testPaths.lightnetSeg, "--json"]).stdout);
      const head = info.layers[info.heads.at(-1).source];
      expect(line.mask.width).toBe(head.output[2]);
      expect(line.mask.height).toBe(head.output[1]);
      expect(line.mask.class_pixels).toHaveLength(20);
      expect(line.mask.class_pixels.reduce((a: number, b: number) => a + b, 0)).toBe(line.mask.width * line.mask.height);
    });
  });
});

describe("bench", () => {
  it("--json prints one line with the contract's keys", () => {
    const run = runCli(["bench", "--cfg", voc.cfg, "--iters", "3", "--warmup", "0", "--batch", "2", "--json"]);
    expect(run.status).toBe(0);
    const r = JSON.parse(run.stdout);
    expect(Object.keys(r)).toEqual(["median_ms", "p90_ms", "min_ms", "iters", "backend", "precision", "batch"]);
    expect(r).toMatchObject({ iters: 3, backend: "cpu", precision: "fp32", batch: 2 });
    expect(r.min_ms).toBeLessThanOrEqual(r.median_ms);
    expect(r.median_ms).toBeLessThanOrEqual(r.p90_ms);
  });

  it("--full-frame times detect() on a frame in the engine's buffers, the addon's memory, or decoded from a file", () => {
    const common = ["bench", "--cfg", voc.cfg, "--weights", voc.weights, "--iters", "2", "--warmup", "0", "--full-frame", "--json"];
    const inBuffers = JSON.parse(runCli([...common, "--frame", "64x48", "--batch", "2"]).stdout);
    expect(Object.keys(inBuffers)).toEqual([
      "full_frame_ms", "p90_ms", "min_ms", "preprocess_ms", "dnn_ms", "postprocess_ms", "iters", "backend", "precision", "batch",
      "input", "width", "height",
    ]);
    expect(inBuffers).toMatchObject({ iters: 2, backend: "cpu", batch: 2, input: "engine buffers", width: 64, height: 48 });
    expect(JSON.parse(runCli([...common, "--pageable-input"]).stdout)).toMatchObject({ input: "pageable", width: 1920, height: 1080 });
    const dog = JSON.parse(runCli([...common, "--encoded", path.join(testPaths.images, "dog.jpg")]).stdout);
    expect(dog).toMatchObject({ input: "encoded", width: 768, height: 576 });
    const misuse = runCli(["bench", "--cfg", voc.cfg, "--pageable-input"]);
    expect(misuse.status).toBe(1);
    expect(misuse.stderr).toContain("--frame, --pageable-input and --encoded need --full-frame");
  });
});
