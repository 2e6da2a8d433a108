/**
 * Bag round trip through the real engine: images are written into an MCAP bag (raw Image on one camera,
 * CompressedImage on another), `bag` runs them, and every output message is read back and checked
 * against the engine's own results for the same pixels, with the input's timestamps and exact schemas.
 */
import { mkdtempSync, readFileSync, truncateSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { McapIndexedReader } from "@mcap/core";
import { loadDecompressHandlers } from "@mcap/support";
import { beforeAll, describe, expect, it } from "vitest";
import { Engine } from "../engine/Engine.js";
import type { RawImage } from "../engine/types.js";
import { readImage } from "../image/readImage.js";
import { loadNative } from "../native.js";
import { CdrCodec } from "../ros/messages/cdr.js";
import { clampedRoi } from "../ros/messages/detectedObjects.js";
import { ros2msgSchema } from "../ros/messages/schema.js";
import { MessageType, type DetectedObjectsWithFeature, type Image } from "../ros/messages/types.js";
import { toNodeParameters } from "../ros/parameters.js";
import { testPaths } from "../../test/support/testPaths.js";
import { runBag } from "../cli/runBag.js";
import { FileReadable } from "./FileReadable.js";
import { McapBagWriter } from "./McapBagWriter.js";
import { openBag } from "./openBag.js";

const yolo = path.join(testPaths.shared, "models", "yolo-fastest");
const cfg = path.join(yolo, "yolo-fastest-1.1-xl.cfg");
const weights = path.join(yolo, "yolo-fastest-1.1-xl.weights");
const names = path.join(yolo, "coco.names");
const imageFiles = ["dog.jpg", "pexels_double_decker_bus.jpg"].map((f) => path.join(testPaths.shared, "images", f));
const dir = mkdtempSync(path.join(tmpdir(), "bag-"));

const stamp = (sec: number, nanosec: number) => ({ sec, nanosec });
const ns = (t: { sec: number; nanosec: number }) => BigInt(t.sec) * 1_000_000_000n + BigInt(t.nanosec);

function imageMessage(image: RawImage, sec: number, nanosec: number, frame: string): Image {
  return { header: { stamp: stamp(sec, nanosec), frame_id: frame }, height: image.height, width: image.width, encoding: image.encoding, is_bigendian: 0, step: image.step, data: image.data };
}

interface Input {
  topic: string;
  type: string;
  message: unknown;
  image: RawImage;
  logTime: bigint;
}

async function writeInputBag(file: string, inputs: readonly Input[], extra: (w: McapBagWriter) => Promise<void> = async () => {}): Promise<void> {
  const w = await McapBagWriter.create(file);
  for (const i of inputs) await w.write(i.topic, i.type, i.message, i.logTime);
  await extra(w);
  await w.close();
}

async function readAll(file: string) {
  const readable = await FileReadable.open(file);
  const reader = await McapIndexedReader.Initialize({ readable, decompressHandlers: await loadDecompressHandlers() });
  const out = [];
  for await (const m of reader.readMessages()) {
    const ch = reader.channelsById.get(m.channelId)!;
    const schema = reader.schemasById.get(ch.schemaId)!;
    out.push({ topic: ch.topic, type: schema.name, schema, channel: ch, logTime: m.logTime, message: CdrCodec.for(schema.name).deserialize(m.data) });
  }
  await readable.close();
  return { header: reader.header, out, metadata: reader.metadataIndexes.map((m) => m.name) };
}

const params = (over: Record<string, string | number | boolean> = {}) =>
  toNodeParameters(new Map<string, string | number | boolean>(Object.entries({ model_cfg: cfg, model_weights: weights, names, backend: "cpu", precision: "fp32", ...over })));

describe("bag round trip", () => {
  let images: RawImage[];
  let inputs: Input[];
  let engine: Engine;
  const errors: string[] = [];
  const report = (e: unknown) => errors.push((e as Error).message);

  beforeAll(async () => {
    images = await Promise.all(imageFiles.map((f) => readImage(f)));
    const jpeg = await loadNative().encodeImage!(images[1]!, ".png"); // lossless, so pixels equal images[1]
    inputs = [
      { topic: "/cam_front/image_raw", type: MessageType.Image, message: imageMessage(images[0]!, 1700000000, 5, "front"), image: images[0]!, logTime: 1700000000_000000100n },
      { topic: "/cam_rear/image/compressed", type: MessageType.CompressedImage, message: { header: { stamp: stamp(1700000000, 500), frame_id: "rear" }, format: "png", data: jpeg }, image: images[1]!, logTime: 1700000000_000000600n },
      { topic: "/cam_front/image_raw", type: MessageType.Image, message: imageMessage(images[1]!, 1700000001, 7, "front"), image: images[1]!, logTime: 1700000001_000000100n },
    ];
    engine = await Engine.build({ cfg, weights, names, backend: "cpu", precision: "fp32" });
  });

  it("writes the node's outputs for two cameras with input timestamps and exact schemas", async () => {
    const input = path.join(dir, "in.mcap");
    const output = path.join(dir, "out.mcap");
    await writeInputBag(input, inputs);
    const p = params({ score_threshold: 0.3, nms_threshold: 0.45 });
    const code = await runBag({ input, output, imageTopics: ["/cam_front/image_raw", "/cam_rear/image/compressed"], params: p, nodeName: "/lightnet_trt", debugImage: true, compression: "zstd" }, report);
    expect(errors).toEqual([]);
    expect(code).toBe(0);

    const { header, out, metadata } = await readAll(output);
    expect(header.profile).toBe("ros2");
    expect(metadata).toContain("rosbag2");
    // yolo-fastest has no segmentation head: objects + debug image per frame, camera index in the topic
    expect(out.map((m) => m.topic)).toEqual([
      "/lightnet_trt/out/objects0", "/lightnet_trt/out/image0",
      "/lightnet_trt/out/objects1", "/lightnet_trt/out/image1",
      "/lightnet_trt/out/objects0", "/lightnet_trt/out/image0",
    ]);
    for (const m of out) {
      expect(m.schema.encoding).toBe("ros2msg");
      expect(new TextDecoder().decode(m.schema.data)).toBe(ros2msgSchema(m.type));
      expect(m.channel.messageEncoding).toBe("cdr");
    }
    const objects = out.filter((m) => m.type === MessageType.DetectedObjectsWithFeature);
    const order = [inputs[0]!, inputs[1]!, inputs[2]!];
    for (const [k, m] of objects.entries()) {
      const src = order[k]!;
      const msg = m.message as DetectedObjectsWithFeature;
      expect(m.logTime).toBe(src.logTime);
      expect(msg.header).toEqual((src.message as { header: unknown }).header);
      const [frame] = await engine.detect([src.image], { scoreThreshold: 0.3, nmsThreshold: 0.45 });
      const expected = frame!.detections.map((d) => clampedRoi(d, src.image.width, src.image.height));
      expect(msg.feature_objects.map((o) => o.feature.roi)).toEqual(expected);
      expect(msg.feature_objects.map((o) => o.object.existence_probability)).toEqual(frame!.detections.map((d) => Math.fround(d.score)));
      expect(msg.feature_objects.length).toBeGreaterThan(0);
    }
    const debug = out.filter((m) => m.topic.includes("/image"))[0]!.message as Image;
    expect([debug.width, debug.height, debug.encoding]).toEqual([images[0]!.width, images[0]!.height, "bgr8"]);
  });

  it("writes masks and colour masks for a segmentation model", async () => {
    const segCfg = path.join(testPaths.shared, "models", "lightnet", "lightNet-BDD100K-chPruning-det-semaseg-1280x960.cfg");
    const input = path.join(dir, "seg-in.mcap");
    const output = path.join(dir, "seg-out.mcap");
    await writeInputBag(input, [inputs[0]!]);
    const p = toNodeParameters(new Map<string, string | number | boolean>([["model_cfg", segCfg], ["backend", "cpu"], ["precision", "fp32"], ["is_publish_color_mask", true], ["mask_encoding", "raw"]]));
    expect(await runBag({ input, output, imageTopics: [], params: p, nodeName: "/seg", debugImage: false, compression: "none" }, report)).toBe(0);
    const { out } = await readAll(output);
    expect(out.map((m) => m.topic)).toEqual(["/seg/out/objects", "/seg/out/mask", "/seg/out/color_mask"]);
    const mask = out[1]!.message as Image;
    const color = out[2]!.message as Image;
    expect([mask.encoding, mask.width, mask.height, mask.step]).toEqual(["mono8", 640, 480, 640]);
    expect([color.encoding, color.width, color.height]).toEqual(["bgr8", 640, 480]);
    for (const m of out) expect(m.logTime).toBe(inputs[0]!.logTime);
  });

  it("names a missing topic and lists the bag's topics", async () => {
    const input = path.join(dir, "in.mcap");
    await expect(runBag({ input, output: path.join(dir, "x.mcap"), imageTopics: ["/nope"], params: params(), nodeName: "/n", debugImage: false, compression: "none" }, report))
      .rejects.toThrow(`${input}: no topic /nope; topics: /cam_front/image_raw (sensor_msgs/msg/Image), /cam_rear/image/compressed (sensor_msgs/msg/CompressedImage)`);
  });

  it("skips a frame with an unknown encoding and keeps the others", async () => {
    const input = path.join(dir, "enc-in.mcap");
    const output = path.join(dir, "enc-out.mcap");
    const bad = { ...inputs[0]!, message: { ...(inputs[0]!.message as Image), encoding: "yuv422" }, logTime: 1699999999_000000000n };
    await writeInputBag(input, [bad, inputs[0]!]);
    const seen: string[] = [];
    expect(await runBag({ input, output, imageTopics: [], params: params(), nodeName: "/n", debugImage: false, compression: "none" }, (e) => seen.push((e as Error).message))).toBe(1);
    expect(seen).toEqual([`/cam_front/image_raw @ 1699999999.000000000: encoding "yuv422" is not supported (expected one of bgr8, rgb8, bgra8, rgba8, mono8)`]);
    const { out } = await readAll(output);
    expect(out.map((m) => m.logTime)).toEqual([inputs[0]!.logTime]);
  });

  it("keeps the output written before the input turns corrupt", async () => {
    const input = path.join(dir, "cut-in.mcap");
    const output = path.join(dir, "cut-out.mcap");
    // Three frames, one chunk each; cut the file inside the third chunk: no summary, a torn record.
    const w = await McapBagWriter.create(input, "none", 1);
    for (const i of [inputs[0]!, inputs[2]!]) await w.write(i.topic, i.type, i.message, i.logTime);
    await w.write(inputs[0]!.topic, inputs[0]!.type, inputs[0]!.message, 1700000002_000000000n);
    await w.close();
    const size = statSync(input).size;
    const frameBytes = images[0]!.data.length;
    truncateSync(input, size - Math.floor(frameBytes / 2) - 2000);
    const seen: string[] = [];
    expect(await runBag({ input, output, imageTopics: [], params: params(), nodeName: "/n", debugImage: false, compression: "none" }, (e) => seen.push((e as Error).message))).toBe(1);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatch(new RegExp(`^${input}: `));
    const { out } = await readAll(output); // a complete, indexed file
    expect(out.map((m) => m.logTime)).toEqual([inputs[0]!.logTime, inputs[2]!.logTime]);
  });

  it("rejects files that are not bags, and corrupt sqlite3 bags, with their name", async () => {
    const junk = path.join(dir, "junk.mcap");
    writeFileSync(junk, "not a bag at all");
    await expect(openBag(junk)).rejects.toThrow(`${junk}: not a rosbag2 file (expected MCAP or SQLite 3 data, optionally zstd-compressed)`);
    const db3 = path.join(dir, "broken.db3");
    writeFileSync(db3, Buffer.concat([Buffer.from("SQLite format 3\0", "latin1"), Buffer.alloc(200, 7)]));
    await expect(openBag(db3)).rejects.toThrow(`${db3}: not a readable rosbag2 sqlite3 file`);
    await expect(openBag(path.join(dir, "absent"))).rejects.toThrow("no such bag file or directory");
    expect(readFileSync(junk, "utf8")).toBe("not a bag at all");
  });
});
