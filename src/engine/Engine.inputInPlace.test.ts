/**
 * Frames placed in the engine's input buffers (Engine::pinned_input; plain host memory on the CPU backend, so
 * the path runs without a GPU) give exactly the results of the plain path, and an EncodedImage decoded in the
 * native task gives exactly the results of readImage + detect. Detections, scores and masks are compared for
 * equality, not closeness: the pixels are the same bytes, so the arithmetic is the same.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testPaths } from "../../test/support/testPaths.js";
import { readImage } from "../image/readImage.js";
import { loadNative } from "../native.js";
import { Engine } from "./Engine.js";
import type { FrameResult, RawImage } from "./types.js";

const imagesDir = testPaths.images;
const jpegNames = ["dog.jpg", "pexels_double_decker_bus.jpg", "motion_original.jpg"];

/** The det + seg LightNet cfg at 160x128 (same layers, little work), so masks are compared too. */
function smallDetSemaseg(dir: string): string {
  let section = 0;
  const text = readFileSync(testPaths.lightnetSeg, "utf8")
    .split("\n")
    .map((line) => {
      if (line.startsWith("[")) section += 1;
      if (section === 1 && /^width\s*=/.test(line)) return "width=160";
      if (section === 1 && /^height\s*=/.test(line)) return "height=128";
      return line;
    })
    .join("\n");
  const cfg = path.join(dir, "det_semaseg_160x128.cfg");
  writeFileSync(cfg, text);
  return cfg;
}

/** A copy of `image` whose rows carry `pad` extra bytes (as a ROS Image may), padding filled with junk. */
function padded(image: RawImage, pad: number): RawImage {
  const row = image.width * 3;
  const step = row + pad;
  const data = new Uint8Array(step * image.height).fill(0xab);
  for (let y = 0; y < image.height; y++) data.set(image.data.subarray(y * image.step, y * image.step + row), y * step);
  return { ...image, step, data };
}

const strip = (frames: FrameResult[]) => frames.map(({ detections, masks }) => ({ detections, masks }));

describe("detect() with frames in the engine's input buffers", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "lightnet-input-in-place-"));
  let engine: Engine;
  let frames: RawImage[];
  let jpegs: Uint8Array[];

  beforeAll(async () => {
    engine = await Engine.build({ cfg: smallDetSemaseg(dir), seed: 5, backend: "cpu", batch: 2 });
    frames = await Promise.all(jpegNames.map((n) => readImage(path.join(imagesDir, n))));
    jpegs = jpegNames.map((n) => new Uint8Array(readFileSync(path.join(imagesDir, n))));
  });
  afterAll(() => {
    engine.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("gives the plain path's detections and masks, for more frames than maxBatch and padded rows", async () => {
    const thresholds = { scoreThreshold: 0.05 }; // random weights: many boxes to compare
    const inputs = [frames[0]!, padded(frames[1]!, 7), frames[2]!];
    const plain = await engine.detect(inputs, thresholds, { pinnedInput: false });
    const inPlace = await engine.detect(inputs, thresholds);
    expect(plain[0]!.detections.length).toBeGreaterThan(0);
    expect(plain[0]!.masks).toHaveLength(1);
    expect(strip(inPlace)).toEqual(strip(plain));
    // the padded frame is the same picture as the packed one
    expect(strip([inPlace[1]!])).toEqual(strip(await engine.detect([frames[1]!], thresholds)));
  });

  it("decodes EncodedImages natively (side by side) to readImage's pixels and the same results, mixed with RawImages", async () => {
    const thresholds = { scoreThreshold: 0.05 };
    const reference = await engine.detect(frames, thresholds, { pinnedInput: false });
    const mixed = [{ encoded: jpegs[0]! }, frames[1]!, { encoded: jpegs[2]!, what: jpegNames[2] }];
    const allEncoded = await engine.detect(jpegs.map((encoded) => ({ encoded })), thresholds);
    expect(strip(allEncoded)).toEqual(strip(reference));
    for (const pinnedInput of [true, false]) {
      const results = await engine.detect(mixed, thresholds, { pinnedInput, returnDecoded: true });
      expect(strip(results)).toEqual(strip(reference));
      expect(results[1]!.decoded).toBeUndefined();
      for (const i of [0, 2]) {
        const decoded = results[i]!.decoded!;
        expect([decoded.width, decoded.height]).toEqual([frames[i]!.width, frames[i]!.height]);
        expect(decoded.image!.encoding).toBe("bgr8");
        expect(Buffer.compare(decoded.image!.data, frames[i]!.data)).toBe(0);
      }
    }
    const [sizeOnly] = await engine.detect([{ encoded: jpegs[0]! }], thresholds);
    expect(sizeOnly!.decoded).toEqual({ width: frames[0]!.width, height: frames[0]!.height });
  });

  it("rejects undecodable data naming it, and keeps serving", async () => {
    const junk = { encoded: Uint8Array.from([0xff, 0xd8, 0xff, 0, 1, 2]), what: "/cam/compressed @ 5.0" };
    await expect(engine.detect([frames[0]!, junk])).rejects.toMatchObject({
      code: "LIGHTNET_MEDIA_ERROR",
      message: expect.stringContaining("/cam/compressed @ 5.0: cannot decode image"),
    });
    // decoded side by side with a good one (one thread each): still this image's error, and only it
    await expect(engine.detect([{ encoded: jpegs[1]! }, junk])).rejects.toMatchObject({
      code: "LIGHTNET_MEDIA_ERROR",
      message: expect.stringMatching(/^\/cam\/compressed @ 5\.0: cannot decode image/),
    });
    const [after] = await engine.detect([{ encoded: jpegs[0]! }], { scoreThreshold: 0.05 });
    const [plain] = await engine.detect([frames[0]!], { scoreThreshold: 0.05 }, { pinnedInput: false });
    expect(strip([after!])).toEqual(strip([plain!]));
  });

  it("checks EncodedImages and input options before any native work", async () => {
    await expect(engine.detect([{ encoded: new Uint8Array(0) }])).rejects.toThrow("Expected JPEG/PNG/… bytes for images[0].encoded but received '0 bytes'");
    await expect(engine.detect([{ encoded: [1, 2] as unknown as Uint8Array }])).rejects.toThrow("Expected a Uint8Array for images[0].encoded");
    await expect(engine.detect([frames[0]!], {}, { pinned: true } as never)).rejects.toThrow("Expected only pinnedInput, returnDecoded for input but received 'pinned'");
    await expect(engine.detect([frames[0]!], {}, { pinnedInput: 1 } as never)).rejects.toThrow("Expected a boolean for input.pinnedInput");
  });

  // Below the Engine's own queue: calls that overlap on the native handle. A call that finds the engine busy
  // copies into the addon's memory instead of the engine's buffers (which a running call may be reading); one
  // that finds it idle takes the buffers. Either way the pixels are copied when detect() returns, so the caller
  // may overwrite its buffer at once, and close() during a run frees nothing that run still uses.
  it("overlapping native calls, a caller that reuses its buffer, and close() mid-run keep every result exact", async () => {
    const native = loadNative();
    const handle = await native.buildEngine({ cfg: smallDetSemaseg(dir), seed: 5, backend: "cpu", batch: 2 });
    const options = { scoreThreshold: 0.05, nmsThreshold: 0.45 };
    const reference = await Promise.all(frames.map(async (f) => (await handle.detect([f], { ...options, pinnedInput: false }))[0]!));
    const scratch = frames.map((f) => ({ ...f, data: f.data.slice() }));
    const pending = [
      handle.detect([scratch[0]!], options),
      handle.detect([scratch[1]!, { encoded: jpegs[2]! }], options),
      handle.detect([{ encoded: jpegs[0]! }, scratch[2]!], options),
    ];
    for (const s of scratch) s.data.fill(0); // the addon copied the pixels already
    handle.close();
    const [a, b, c] = await Promise.all(pending);
    const same = (x: { detections: unknown; masks: unknown } | undefined, i: number) =>
      expect({ detections: x!.detections, masks: x!.masks }).toEqual({ detections: reference[i]!.detections, masks: reference[i]!.masks });
    same(a![0], 0);
    same(b![0], 1);
    same(b![1], 2);
    same(c![0], 0);
    same(c![1], 2);
    expect(() => handle.detect([frames[0]!], options)).toThrow("engine is closed");
  });

  // JS that runs while the addon reads the arguments (here a getter of the second image) detaches the first
  // image's buffer: the addon notices before copying, and rejects instead of reading freed memory.
  it("a buffer detached by JS during argument reading is an error, not a read of freed memory", async () => {
    const handle = await loadNative().buildEngine({ cfg: smallDetSemaseg(dir), seed: 5, backend: "cpu", batch: 2 });
    const first = { ...frames[0]!, data: frames[0]!.data.slice() };
    const second = {
      ...frames[1]!,
      get width() {
        structuredClone(first.data.buffer, { transfer: [first.data.buffer] }); // detaches first.data
        return frames[1]!.width;
      },
    };
    const needed = first.step * (first.height - 1) + first.width * 3;
    expect(() => handle.detect([first, second], { scoreThreshold: 0.5, nmsThreshold: 0.45 })).toThrow(
      `images[0].data: 0 bytes, expected at least ${needed}`,
    );
    expect((await handle.detect([frames[0]!], { scoreThreshold: 0.5, nmsThreshold: 0.45 }))[0]!.timing.inferenceMs).toBeGreaterThan(0);
    handle.close();
  });

  // The engine idle but its buffers taken by a call still waiting for a worker thread: libuv's pool (4 threads)
  // is kept busy by calls on another engine, so the first call below fills the buffers and waits; the second
  // finds the engine lock free and must still leave those buffers alone.
  it("a call never writes into buffers that a queued call has filled", async () => {
    const native = loadNative();
    const cfg = smallDetSemaseg(dir);
    const [blocker, handle] = await Promise.all([0, 1].map(() => native.buildEngine({ cfg, seed: 5, backend: "cpu", batch: 2 })));
    const options = { scoreThreshold: 0.05, nmsThreshold: 0.45 };
    const reference = await Promise.all(frames.map(async (f) => (await handle!.detect([f], { ...options, pinnedInput: false }))[0]!));
    const busy = Array.from({ length: 6 }, () => blocker!.detect([frames[2]!], options));
    const first = handle!.detect([frames[0]!, frames[2]!], options);
    const second = handle!.detect([frames[1]!, frames[0]!], options);
    const [a, b] = await Promise.all([first, second, ...busy]);
    blocker!.close();
    handle!.close();
    const pick = (x: { detections: unknown; masks: unknown }) => ({ detections: x.detections, masks: x.masks });
    expect(a!.map(pick)).toEqual([pick(reference[0]!), pick(reference[2]!)]);
    expect(b!.map(pick)).toEqual([pick(reference[1]!), pick(reference[0]!)]);
  });
});
