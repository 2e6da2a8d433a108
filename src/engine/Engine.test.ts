import path from "node:path";
import { beforeAll, afterAll, describe, expect, it } from "vitest";
import { testPaths } from "../../test/support/testPaths.js";
import { readImage } from "../image/readImage.js";
import { Engine } from "./Engine.js";
import { preprocess } from "./preprocess.js";
import type { RawImage } from "./types.js";

const voc = testPaths.yoloFastest.voc;

describe("Engine (Yolo-Fastest VOC, trained weights)", () => {
  let engine: Engine;
  let dog: RawImage;
  const progress: [number, string][] = [];

  beforeAll(async () => {
    engine = await Engine.build({ ...voc, backend: "cpu", batch: 2, profile: true }, (f, m) => progress.push([f, m]));
    dog = await readImage(path.join(testPaths.images, "dog.jpg"));
  });
  afterAll(() => engine.close());

  it("reports what was built, and progress from 0 to 1", () => {
    expect(engine.backend).toBe("cpu");
    expect(engine.precision).toBe("fp32");
    expect(engine.maxBatch).toBe(2);
    expect(engine.info.input).toEqual({ channels: 3, height: 320, width: 320 });
    expect(engine.labels).toHaveLength(20);
    expect(engine.labels[11]).toBe("dog");
    expect(progress[0]![0]).toBe(0);
    expect(progress.at(-1)![0]).toBe(1);
  });

  it("detects the dog, the bicycle and the car, with labels from the names file", async () => {
    const [frame] = await engine.detect([dog]);
    expect(new Set(frame!.detections.map((d) => d.label))).toEqual(new Set(["dog", "bicycle", "car"]));
    for (const d of frame!.detections) {
      expect(d.score).toBeGreaterThanOrEqual(0.25);
      expect(engine.labels[d.classId]).toBe(d.label);
    }
    expect(frame!.masks).toEqual([]);
    expect(frame!.timing.inferenceMs).toBeGreaterThan(0);
  });

  it("gives each image of a batch the result it gets alone", async () => {
    const [alone] = await engine.detect([dog]);
    const batch = await engine.detect([dog, dog]);
    expect(batch).toHaveLength(2);
    for (const frame of batch) expect(frame.detections).toEqual(alone!.detections);
  });

  it("serves overlapping calls one at a time with unchanged results", async () => {
    const [a, b, c] = await Promise.all([engine.detect([dog]), engine.detect([dog]), engine.detect([dog], { scoreThreshold: 0.9 })]);
    expect(b![0]!.detections).toEqual(a![0]!.detections);
    expect(c![0]!.detections).toEqual(a![0]!.detections.filter((d) => d.score >= 0.9));
  });

  it("keeps the event loop running during inference", async () => {
    let ticks = 0;
    const timer = setInterval(() => (ticks += 1), 0);
    await engine.detect([dog, dog]);
    clearInterval(timer);
    expect(ticks).toBeGreaterThan(0);
  });

  it("forward returns the head tensors in NCHW", async () => {
    const input = preprocess(dog, engine.info.input);
    const tensors = await engine.forward(input, 1);
    expect(tensors.map((t) => [t.layer, t.shape])).toEqual([
      [114, [1, 75, 10, 10]],
      [124, [1, 75, 20, 20]],
    ]);
    expect(tensors[0]!.data).toBeInstanceOf(Float32Array);
    expect(tensors[0]!.data.length).toBe(75 * 10 * 10);
  });

  it("forward rejects a wrong input size or batch", async () => {
    await expect(engine.forward(new Float32Array(10), 1)).rejects.toThrow("Expected 307200 floats (1×3×320×320) for input but received '10 floats'");
    await expect(engine.forward(new Float32Array(3 * 320 * 320 * 3), 3)).rejects.toThrow("Expected an integer in 1..2 (maxBatch) for batch");
  });

  it("takeProfile returns per-layer timings (built with profile: true), then starts over", async () => {
    engine.takeProfile();
    await engine.detect([dog]);
    const profile = engine.takeProfile();
    expect(profile.length).toBeGreaterThan(100);
    expect(profile[0]).toMatchObject({ layer: 0 });
    expect(profile[0]!.name).toMatch(/^0 convolutional/);
    expect(engine.takeProfile()).toEqual([]);
  });

  it("rejects bad images and thresholds before any native work", async () => {
    await expect(engine.detect([{ ...dog, encoding: "yuv" as never }])).rejects.toThrow("images[0].encoding");
    await expect(engine.detect([dog], { scoreThreshold: 2 })).rejects.toThrow("options.scoreThreshold");
  });
});

describe("Engine.build", () => {
  it("rejects unknown and unsupported options", async () => {
    await expect(Engine.build({ cfg: voc.cfg, batchsize: 2 } as never)).rejects.toThrow("Expected only known keys");
    await expect(Engine.build({ cfg: voc.cfg, weights: voc.weights, precision: "fp16", backend: "cpu" })).rejects.toThrow(
      "precision: the CPU backend supports fp32 and int8, found fp16",
    );
    // INT8 without calibration images, a table or a clip value has no activation ranges.
    await expect(Engine.build({ cfg: voc.cfg, weights: voc.weights, precision: "int8", backend: "cpu" })).rejects.toThrow(
      "INT8 layers need activation ranges",
    );
  });

  it("native errors keep their message, code and file, with the caller's stack", async () => {
    const missing = path.join(testPaths.shared, "no-such.weights");
    async function buildWithMissingWeights() {
      return Engine.build({ cfg: voc.cfg, weights: missing });
    }
    const err = (await buildWithMissingWeights().catch((e: unknown) => e)) as Error & { code: string; file: string };
    expect(err.message).toContain(missing);
    expect(err.code).toBe("LIGHTNET_MODEL_ERROR");
    expect(err.file).toBe(missing);
    expect(err.stack).toContain("buildWithMissingWeights");
  });

  it("uses seeded random weights when none are given (same seed, same outputs)", async () => {
    const a = await Engine.build({ cfg: voc.cfg, seed: 7 });
    const b = await Engine.build({ cfg: voc.cfg, seed: 7 });
    const input = new Float32Array(3 * 320 * 320).fill(0.5);
    const [ta, tb] = [await a.forward(input, 1), await b.forward(input, 1)];
    expect(tb[0]!.data).toEqual(ta[0]!.data);
    expect(a.labels[0]).toBe("0");
    a.close();
    b.close();
  });

  it("a closed engine refuses further calls", async () => {
    const e = await Engine.build({ cfg: voc.cfg });
    e.close();
    expect(e.closed).toBe(true);
    await expect(e.detect([])).rejects.toThrow("Engine is closed");
    expect(() => e.takeProfile()).toThrow("Engine is closed");
    e.close(); // idempotent
  });
});
