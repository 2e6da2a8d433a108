import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pngjs from "pngjs";
import { describe, expect, it, vi } from "vitest";
import { ControlledFactory, flush, type GatedDetector } from "./fakeDetector.testutil.js";
import { FakeRosNode } from "./FakeRosNode.testutil.js";
import { LightnetNode } from "./LightnetNode.js";
import { decodeRle } from "./messages/rle.js";
import { cdrRoundTrip } from "./messages/sharedCodec.testutil.js";
import { EngineState, ObjectLabel, type DetectedObjectsWithFeature, type EngineStatus, type Float64Stamped, type Image } from "./messages/types.js";
import type { ParameterValue } from "./rosInterface.js";
import type { EncodedImage, RawImage } from "../engine/types.js";
import { testPaths } from "../../test/support/testPaths.js";

const cfg = path.join(testPaths.shared, "models/yolo-fastest/yolo-fastest-xl-voc.cfg");
const configDir = path.join(testPaths.repoRoot, "config");

function frame(sec: number, width = 8, height = 4, encoding = "bgr8"): Image {
  const ch = encoding === "mono8" ? 1 : 3;
  return {
    header: { stamp: { sec, nanosec: 0 }, frame_id: "camera0/optical" },
    height, width, encoding, is_bigendian: 0, step: width * ch, data: new Uint8Array(width * height * ch).fill(sec % 256),
  };
}

async function startNode(overrides: Record<string, ParameterValue> = {}, opts: { auto?: boolean } = {}) {
  const ros = new FakeRosNode({ model_cfg: cfg, backend: "cpu", precision: "fp32", ...overrides });
  const factory = new ControlledFactory();
  factory.auto = opts.auto ?? true;
  let t = 0;
  const node = LightnetNode.start(ros, { createDetector: factory.create, configDir, monotonicMs: () => (t += 5), warnPeriodMs: 1e9 });
  await flush();
  return { ros, factory, node };
}

/** A flat grey RGBA PNG. */
function pngBytes(width: number, height: number, level: number): Uint8Array {
  const png = new pngjs.PNG({ width, height });
  png.data = Buffer.alloc(width * height * 4, level);
  return new Uint8Array(pngjs.PNG.sync.write(png));
}

const statusOf = (ros: FakeRosNode) => ros.publisher<EngineStatus>("~/out/status").last;

describe("LightnetNode wiring", () => {
  it("declares every parameter with its descriptor and creates Autoware's topics", async () => {
    const { ros } = await startNode();
    expect(ros.descriptors.get("score_threshold")).toMatchObject({ type: "double", readOnly: false, range: { from: 0, to: 1 } });
    expect(ros.descriptors.get("build_only")?.readOnly).toBe(true);
    expect(ros.subscriptions.get("~/in/image")).toMatchObject({ type: "sensor_msgs/msg/Image", qos: "sensor_data" });
    expect([...ros.publishers.keys()].sort()).toEqual([
      "~/debug/cyclic_time_ms", "~/debug/pipeline_latency_ms", "~/debug/processing_time_ms",
      "~/out/color_mask", "~/out/image", "~/out/mask", "~/out/objects", "~/out/status",
    ]);
    expect(ros.publisher("~/out/objects").type).toBe("tier4_perception_msgs/msg/DetectedObjectsWithFeature");
    expect(ros.publisher("~/out/status").qos).toBe("latched");
  });

  it("publishes objects, mask and latencies for a frame; every message passes CDR against ../shared/interfaces", async () => {
    const { ros, node } = await startNode({ is_publish_color_mask: true });
    ros.nowNs = 12_000_000_000n + 25_000_000n; // 25 ms after the stamp below
    ros.publisher("~/out/image").subscribers = 1;
    ros.deliver("~/in/image", frame(12));
    await node.whenIdle();

    const objects = ros.publisher<DetectedObjectsWithFeature>("~/out/objects").last;
    expect(objects?.header).toEqual({ stamp: { sec: 12, nanosec: 0 }, frame_id: "camera0/optical" });
    expect(objects?.feature_objects).toHaveLength(1);
    expect(objects?.feature_objects[0]?.feature.roi).toEqual({ x_offset: 0, y_offset: 0, width: 4, height: 4, do_rectify: false });
    expect(objects?.feature_objects[0]?.object.classification).toEqual([{ label: ObjectLabel.CAR, probability: 1 }]);
    expect(objects?.feature_objects[0]?.object.existence_probability).toBe(0.875);

    const mask = ros.publisher<Image>("~/out/mask").last as Image;
    expect(mask).toMatchObject({ encoding: "mono8", width: 4, height: 2, step: 4, header: objects?.header });
    expect([...decodeRle(mask.data, 8)]).toEqual([0, 1, 1, 2, 2, 2, 0, 0]); // default mask_encoding rle
    const color = ros.publisher<Image>("~/out/color_mask").last as Image;
    expect([...color.data.subarray(3, 6)]).toEqual([255, 0, 0]);
    expect(ros.publisher<Image>("~/out/image").last).toMatchObject({ encoding: "bgr8", width: 8, height: 4 });
    expect(ros.publisher<Float64Stamped>("~/debug/pipeline_latency_ms").last?.data).toBe(25);
    expect(ros.publisher<Float64Stamped>("~/debug/processing_time_ms").last?.data).toBe(5);

    const types: Record<string, string> = {};
    for (const [topic, pub] of ros.publishers) {
      types[topic] = pub.type;
      for (const m of pub.messages) expect(cdrRoundTrip(pub.type, m).decoded, topic).toEqual(m);
    }
    expect(Object.values(types)).toContain("lightnet_trt/msg/EngineStatus");
  });

  it("builds the debug overlay only while someone subscribes", async () => {
    const { ros, node } = await startNode();
    ros.deliver("~/in/image", frame(1));
    await node.whenIdle();
    expect(ros.publisher("~/out/image").messages).toHaveLength(0);
    expect(ros.publisher("~/out/color_mask").messages).toHaveLength(0); // is_publish_color_mask false
  });

  it("under load keeps only the newest frame", async () => {
    const { ros, node, factory } = await startNode();
    const detector = factory.newest;
    detector.gated = true;
    for (let s = 1; s <= 5; s++) ros.deliver("~/in/image", frame(s));
    expect(detector.calls).toHaveLength(1);
    detector.calls[0]?.finish();
    await flush();
    expect(detector.calls).toHaveLength(2);
    detector.calls[1]?.finish();
    await node.whenIdle();
    const stamps = ros.publisher<DetectedObjectsWithFeature>("~/out/objects").messages.map((m) => m.header.stamp.sec);
    expect(stamps).toEqual([1, 5]);
    expect(node.droppedFrames).toEqual([3]);
  });

  it("input_transport=compressed decodes PNG/JPEG frames; undecodable data is skipped with a warning", async () => {
    const { ros, node } = await startNode({ input_transport: "compressed" });
    expect(ros.subscriptions.get("~/in/image")).toMatchObject({ type: "sensor_msgs/msg/CompressedImage", qos: "sensor_data" });
    const png = new pngjs.PNG({ width: 6, height: 2 });
    png.data = Buffer.alloc(6 * 2 * 4, 90);
    const header = { stamp: { sec: 7, nanosec: 0 }, frame_id: "cam" };
    ros.deliver("~/in/image", { header, format: "png", data: new Uint8Array(pngjs.PNG.sync.write(png)) });
    ros.deliver("~/in/image", { header, format: "bmp", data: Uint8Array.from([0x42, 0x4d, 0, 0]) });
    await node.whenIdle();
    const objects = ros.publisher<DetectedObjectsWithFeature>("~/out/objects").messages;
    expect(objects.map((o) => o.feature_objects[0]?.feature.roi.width)).toEqual([3]); // left half of 6 px
    expect(ros.messagesAt("warn")).toEqual(['~/in/image: cannot decode (format "bmp": expected JPEG or PNG data, found bytes 42 4d 00 00); frame skipped']);
  });

  it("input_transport=compressed hands the bytes to the detector, which decodes them in its own task", async () => {
    const { ros, node, factory } = await startNode({ input_transport: "compressed" });
    const header = { stamp: { sec: 7, nanosec: 0 }, frame_id: "cam" };
    const data = pngBytes(6, 2, 90);
    ros.deliver("~/in/image", { header, format: "png", data });
    await node.whenIdle();
    const call = factory.newest.calls[0];
    expect(call?.images).toEqual([{ encoded: data, what: 'format "png"' }]);
    expect(call?.input).toEqual({}); // no overlay subscriber: the decoded pixels are not asked for
    expect(ros.publisher<DetectedObjectsWithFeature>("~/out/objects").last?.feature_objects[0]?.feature.roi.width).toBe(3);
    expect(ros.publisher("~/out/image").messages).toHaveLength(0);

    ros.publisher("~/out/image").subscribers = 1; // the overlay draws on the decoded frame
    ros.deliver("~/in/image", { header, format: "png", data });
    await node.whenIdle();
    expect(factory.newest.calls[1]?.input).toEqual({ returnDecoded: true });
    const overlay = ros.publisher<Image>("~/out/image").last;
    expect([overlay?.width, overlay?.height, overlay?.encoding]).toEqual([6, 2, "bgr8"]);
  });

  it("a CompressedImage that cannot be decoded costs only its own camera's frame", async () => {
    const { ros, node, factory } = await startNode({ input_transport: "compressed", input_topics: ["/cam0/image", "/cam1/image"] });
    const det = factory.newest;
    det.gated = true;
    const header = { stamp: { sec: 3, nanosec: 0 }, frame_id: "cam" };
    ros.deliver("/cam0/image", { header, format: "png", data: pngBytes(4, 2, 10) }); // runs alone at once
    ros.deliver("/cam0/image", { header, format: "jpeg", data: Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 1, 2]) });
    ros.deliver("/cam1/image", { header, format: "png", data: pngBytes(10, 2, 20) });
    det.calls[0]?.finish();
    await vi.waitFor(() => expect(det.calls[1]?.images).toHaveLength(2)); // the corrupt frame and cam1's, batched
    det.gated = false;
    det.calls[1]?.finish();
    await node.whenIdle();
    expect(ros.publisher<DetectedObjectsWithFeature>("~/out/objects0").messages).toHaveLength(1);
    expect(ros.publisher<DetectedObjectsWithFeature>("~/out/objects1").last?.feature_objects[0]?.feature.roi.width).toBe(5);
    expect(ros.messagesAt("warn")).toEqual([
      '/cam0/image: cannot decode (format "jpeg": cannot decode image (6 bytes, not a JPEG/PNG/… OpenCV reads)); frame skipped',
    ]);
  });

  it("with a decodeCompressed option, frames are decoded before inference and reach the detector as pixels", async () => {
    const ros = new FakeRosNode({ model_cfg: cfg, backend: "cpu", precision: "fp32", input_transport: "compressed" });
    const factory = new ControlledFactory();
    factory.auto = true;
    const decoded: RawImage = { width: 2, height: 1, encoding: "mono8", step: 2, data: Uint8Array.from([1, 2]) };
    const node = LightnetNode.start(ros, { createDetector: factory.create, configDir, decodeCompressed: async () => decoded });
    await flush();
    ros.deliver("~/in/image", { header: { stamp: { sec: 1, nanosec: 0 }, frame_id: "cam" }, format: "png", data: pngBytes(6, 2, 90) });
    await node.whenIdle();
    expect(factory.newest.calls[0]?.images).toEqual([decoded]);
    expect((factory.newest.calls[0]?.images[0] as EncodedImage).encoded).toBeUndefined();
  });

  it("an inference error is reported (throttled) and later frames still publish", async () => {
    const { ros, node, factory } = await startNode();
    factory.newest.failWith = "CUDA error: out of memory";
    ros.deliver("~/in/image", frame(1));
    await node.whenIdle();
    ros.deliver("~/in/image", frame(2));
    await node.whenIdle();
    factory.newest.failWith = null;
    ros.deliver("~/in/image", frame(3));
    await node.whenIdle();
    expect(ros.messagesAt("warn")).toEqual(["inference failed: CUDA error: out of memory"]);
    expect(ros.publisher<DetectedObjectsWithFeature>("~/out/objects").messages.map((m) => m.header.stamp.sec)).toEqual([3]);
  });

  it("skips an unsupported encoding with one throttled warning", async () => {
    const { ros, node } = await startNode();
    for (let i = 0; i < 3; i++) ros.deliver("~/in/image", { ...frame(1), encoding: "16UC1" });
    await node.whenIdle();
    expect(ros.publisher("~/out/objects").messages).toHaveLength(0);
    expect(ros.messagesAt("warn")).toEqual(['~/in/image: encoding "16UC1" is not supported (expected one of bgr8, rgb8, bgra8, rgba8, mono8); frame skipped']);
  });
});


describe("LightnetNode parameters and engine lifecycle", () => {
  it("thresholds change at once, without a rebuild", async () => {
    const { ros, node, factory } = await startNode();
    expect(ros.setParameters({ score_threshold: 0.6, nms_threshold: 0.3 })).toEqual({ successful: true, reason: "" });
    ros.deliver("~/in/image", frame(1));
    await node.whenIdle();
    expect(factory.newest.calls[0]?.options).toEqual({ scoreThreshold: 0.6, nmsThreshold: 0.3 });
    expect(factory.builds).toHaveLength(1);
  });

  it("mask_encoding switches live between rle and raw", async () => {
    const { ros, node } = await startNode();
    ros.setParameters({ mask_encoding: "raw" });
    ros.deliver("~/in/image", frame(1));
    await node.whenIdle();
    expect([...(ros.publisher<Image>("~/out/mask").last as Image).data]).toEqual([0, 1, 1, 2, 2, 2, 0, 0]);
  });

  it("rejects invalid and read-only values with a reason", async () => {
    const { ros, node } = await startNode();
    expect(ros.setParameters({ score_threshold: 2 })).toEqual({ successful: false, reason: "score_threshold: expected 0..1, found 2" });
    expect(ros.setParameters({ precision: "fp64", nms_threshold: 0.5 })).toEqual({ successful: false, reason: 'precision: expected one of fp32|fp16|int8, found "fp64"' });
    expect(node.parameters.nmsThreshold).toBe(0.7); // the set is atomic
    expect(ros.setParameters({ build_only: true }).successful).toBe(false);
    expect(ros.setParameters({ model_cfg: "/nonexistent.cfg" }).reason).toBe('model_cfg: file "/nonexistent.cfg" does not exist');
  });

  it("a precision change rebuilds in the background while the old engine serves, then swaps", async () => {
    const { ros, node, factory } = await startNode();
    factory.auto = false;
    const old = factory.newest;
    expect(ros.setParameters({ precision: "fp16" }).successful).toBe(true);
    expect(factory.last.options.precision).toBe("fp16");
    expect(statusOf(ros)).toMatchObject({ state: EngineState.READY, rebuilding: true, precision: "fp32" });
    ros.deliver("~/in/image", frame(1));
    await flush();
    expect(old.calls).toHaveLength(1); // served by the old engine during the build
    factory.last.progress(0.5, "layer 40/80");
    expect(statusOf(ros)).toMatchObject({ build_progress: 0.5, build_message: "layer 40/80", rebuilding: true });
    const fresh = factory.last.succeed();
    await node.whenIdle();
    expect(old.closed).toBe(true);
    expect(statusOf(ros)).toMatchObject({ state: EngineState.READY, rebuilding: false, precision: "fp16", last_error: "" });
    ros.deliver("~/in/image", frame(2));
    await node.whenIdle();
    expect(fresh.calls).toHaveLength(1);
    expect(ros.messagesAt("info").some((m) => m.includes("engine build 50%: layer 40/80"))).toBe(true);
  });

  it("a failed build leaves the node alive and reporting why; a fixed parameter recovers", async () => {
    const { ros, node, factory } = await startNode({}, { auto: false });
    factory.last.fail("yolo-fastest-xl-voc.cfg:12: [convolutional] filters=0, expected > 0");
    await node.whenIdle();
    expect(statusOf(ros)).toMatchObject({ state: EngineState.FAILED, last_error: "yolo-fastest-xl-voc.cfg:12: [convolutional] filters=0, expected > 0" });
    expect(ros.messagesAt("error")).toEqual(["engine build failed: yolo-fastest-xl-voc.cfg:12: [convolutional] filters=0, expected > 0"]);
    ros.deliver("~/in/image", frame(1));
    expect(ros.messagesAt("warn")[0]).toMatch(/^engine not ready \(build failed: .*filters=0/);
    expect(ros.exitCode).toBeNull();
    factory.auto = true;
    ros.setParameters({ backend: "auto" });
    await node.whenIdle();
    expect(statusOf(ros)?.state).toBe(EngineState.READY);
  });

  it("invalid startup parameters: no build, status says why; setting a valid value starts the build", async () => {
    const { ros, node, factory } = await startNode({ model_cfg: "", score_threshold: 3 });
    expect(factory.builds).toHaveLength(0);
    expect(statusOf(ros)).toMatchObject({ state: EngineState.FAILED, last_error: 'model_cfg: expected a file path, found ""; score_threshold: expected 0..1, found 3' });
    ros.setParameters({ model_cfg: cfg });
    expect(factory.builds).toHaveLength(0); // score_threshold still invalid
    expect(statusOf(ros)?.last_error).toBe("score_threshold: expected 0..1, found 3");
    ros.setParameters({ score_threshold: 0.5 });
    await node.whenIdle();
    expect(factory.builds).toHaveLength(1);
    expect(statusOf(ros)?.state).toBe(EngineState.READY);
  });

  it("build_only exits 0 after a build and 1 when the build fails", async () => {
    const ok = await startNode({ build_only: true });
    await ok.node.whenIdle();
    expect(ok.ros.exitCode).toBe(0);
    const bad = await startNode({ build_only: true }, { auto: false });
    bad.factory.last.fail("no such backend: tensorrt");
    await bad.node.whenIdle();
    await flush();
    expect(bad.ros.exitCode).toBe(1);
    const invalid = await startNode({ build_only: true, model_cfg: "" });
    expect(invalid.ros.exitCode).toBe(1);
  });

  it("label_map changes live; a map lacking the model's classes is rejected", async () => {
    const { ros, node } = await startNode();
    const dir = mkdtempSync(path.join(tmpdir(), "label-map-"));
    const carsOnly = path.join(dir, "cars.csv");
    writeFileSync(carsOnly, "car,CAR\n");
    expect(ros.setParameters({ label_map: carsOnly })).toEqual({ successful: false, reason: `${carsOnly}: no row for model classes "person" (add them or a "*,LABEL" default)` });
    const dropCars = path.join(dir, "drop_cars.csv");
    writeFileSync(dropCars, "car,DROP\nperson,PEDESTRIAN\n");
    expect(ros.setParameters({ label_map: dropCars }).successful).toBe(true);
    ros.deliver("~/in/image", frame(1));
    await node.whenIdle();
    expect(ros.publisher<DetectedObjectsWithFeature>("~/out/objects").last?.feature_objects).toHaveLength(0);
    rmSync(dir, { recursive: true });
  });

  it("is_roi_overlap_segment paints confident boxes with their label's segmentation class", async () => {
    const { ros, node } = await startNode({ is_roi_overlap_segment: true, mask_encoding: "raw" });
    ros.deliver("~/in/image", frame(1)); // box covers the left half; bdd100k map: car → segmentation class 13
    await node.whenIdle();
    expect([...(ros.publisher<Image>("~/out/mask").last as Image).data]).toEqual([13, 13, 1, 2, 13, 13, 0, 0]);
    ros.setParameters({ "roi_overlay_segment_label.CAR": false });
    ros.deliver("~/in/image", frame(2));
    await node.whenIdle();
    expect([...(ros.publisher<Image>("~/out/mask").last as Image).data]).toEqual([0, 1, 1, 2, 2, 2, 0, 0]);
  });

  it("several cameras share one batched engine and publish per camera", async () => {
    const { ros, node, factory } = await startNode({ input_topics: ["/cam0/image", "/cam1/image"] });
    expect(factory.last.options.batch).toBe(2);
    expect(ros.publishers.has("~/out/objects0") && ros.publishers.has("~/out/mask1") && ros.publishers.has("~/debug/pipeline_latency_ms1")).toBe(true);
    const det = factory.newest;
    det.gated = true;
    ros.deliver("/cam0/image", frame(1, 8, 4));
    ros.deliver("/cam0/image", frame(2, 8, 4));
    ros.deliver("/cam1/image", frame(3, 16, 8));
    det.calls[0]?.finish();
    await flush();
    expect(det.calls[1]?.images.map((i) => (i as RawImage).width)).toEqual([8, 16]); // one batch, both cameras
    det.calls[1]?.finish();
    await node.whenIdle();
    expect(ros.publisher<DetectedObjectsWithFeature>("~/out/objects0").messages.map((m) => m.header.stamp.sec)).toEqual([1, 2]);
    const cam1 = ros.publisher<DetectedObjectsWithFeature>("~/out/objects1").last;
    expect(cam1?.header.stamp.sec).toBe(3);
    expect(cam1?.feature_objects[0]?.feature.roi.width).toBe(8);
  });
});
