/**
 * End to end without ROS: LightnetNode on the real Engine (CPU backend, trained Yolo-Fastest VOC
 * weights) fed a street photo through the FakeRosNode seam. The reference boxes come from OpenCV's
 * DNN module (cv2.dnn.readNetFromDarknet via /usr/bin/python3), an independent implementation; the
 * assertions are coarse (same labels, IoU > 0.7) because the two differ in float rounding only.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { boxIou } from "../eval/boxIou.js";
import type { DetectorFactory } from "./detector.js";
import { FakeRosNode } from "./FakeRosNode.testutil.js";
import { LightnetNode } from "./LightnetNode.js";
import { cdrRoundTrip } from "./messages/sharedCodec.testutil.js";
import { EngineState, MessageType, ObjectLabel, type DetectedObjectsWithFeature, type EngineStatus, type Image } from "./messages/types.js";
import { testPaths } from "../../test/support/testPaths.js";

const model = path.join(testPaths.shared, "models/yolo-fastest");
// Where src/native.ts looks for the addon: $LIGHTNET_ADDON, else the cmake-js build.
const addonBuilt = existsSync(process.env.LIGHTNET_ADDON ?? path.join(testPaths.repoRoot, "native/build/Release/lightnet_addon.node"));
const skipReason = addonBuilt ? "" : "the native addon is not built (npm run build:native)";

/** dog.jpg as raw BGR bytes plus OpenCV DNN's detections (x, y, w, h in pixels). */
function referenceFrame(dir: string) {
  const script = `
import cv2, json, sys
img = cv2.imread(sys.argv[1])
open(sys.argv[2], "wb").write(img.tobytes())
net = cv2.dnn.readNetFromDarknet(sys.argv[3], sys.argv[4])
m = cv2.dnn_DetectionModel(net); m.setInputParams(size=(320, 320), scale=1/255, swapRB=True)
c, s, b = m.detect(img, 0.35, 0.45)
print(json.dumps({"width": img.shape[1], "height": img.shape[0],
  "boxes": [{"classId": int(i), "score": float(x), "box": [int(v) for v in bb]} for i, x, bb in zip(c.flatten(), s.flatten(), b)]}))
`;
  const raw = path.join(dir, "frame.bgr");
  const out = execFileSync("/usr/bin/python3", ["-c", script, path.join(testPaths.shared, "images/dog.jpg"), raw,
    path.join(model, "yolo-fastest-xl-voc.cfg"), path.join(model, "yolo-fastest-xl-voc.weights")], { encoding: "utf8" });
  const ref = JSON.parse(out) as { width: number; height: number; boxes: { classId: number; score: number; box: number[] }[] };
  return { ...ref, data: new Uint8Array(readFileSync(raw)) };
}

/** IoU of [x, y, width, height] arrays. */
function iou(a: number[], b: number[]): number {
  const box = ([x = 0, y = 0, width = 0, height = 0]: number[]) => ({ x, y, width, height });
  return boxIou(box(a), box(b));
}

describe.skipIf(skipReason !== "")(`LightnetNode on the real engine${skipReason ? ` (skipped: ${skipReason})` : ""}`, () => {
  const dir = mkdtempSync(path.join(tmpdir(), "lightnet-node-e2e-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  /** Yolo-Fastest VOC on the CPU at the thresholds OpenCV's reference uses. */
  const yoloFastestParameters = () => ({
    model_cfg: path.join(model, "yolo-fastest-xl-voc.cfg"),
    model_weights: path.join(model, "yolo-fastest-xl-voc.weights"),
    names: path.join(model, "voc.names"),
    backend: "cpu", precision: "fp32", score_threshold: 0.35, nms_threshold: 0.45,
    engine_cache_dir: path.join(dir, "cache"),
  });

  it("publishes Yolo-Fastest VOC detections of dog.jpg as Autoware objects matching OpenCV DNN", async () => {
    const { Engine } = await import("../engine/Engine.js");
    const ros = new FakeRosNode(yoloFastestParameters());
    const node = LightnetNode.start(ros, { createDetector: (o, p) => Engine.build(o, p), configDir: path.join(testPaths.repoRoot, "config") });
    await node.whenIdle();
    const status = ros.publisher<EngineStatus>("~/out/status").last;
    expect(status?.last_error).toBe("");
    expect(status?.state).toBe(EngineState.READY);

    const ref = referenceFrame(dir);
    const image: Image = {
      header: { stamp: { sec: 1700000000, nanosec: 5 }, frame_id: "camera0/camera_optical_link" },
      height: ref.height, width: ref.width, encoding: "bgr8", is_bigendian: 0, step: ref.width * 3, data: ref.data,
    };
    ros.deliver("~/in/image", image);
    await node.whenIdle();
    await node.close();

    const objects = ros.publisher<DetectedObjectsWithFeature>("~/out/objects").last as DetectedObjectsWithFeature;
    expect(objects.header).toEqual(image.header);
    // VOC ids → labels through config/label_map/voc.csv: bicycle 1, car 6, dog 11.
    const expectedLabel: Record<number, number> = { 1: ObjectLabel.BICYCLE, 6: ObjectLabel.CAR, 11: ObjectLabel.ANIMAL };
    expect(ref.boxes.map((b) => b.classId).sort((a, b) => a - b)).toEqual([1, 6, 11]);
    expect(objects.feature_objects).toHaveLength(ref.boxes.length);
    for (const r of ref.boxes) {
      const match = objects.feature_objects.find((o) => o.object.classification[0]?.label === expectedLabel[r.classId]);
      expect(match, `class ${r.classId}`).toBeDefined();
      const roi = match?.feature.roi;
      expect(iou([roi?.x_offset ?? 0, roi?.y_offset ?? 0, roi?.width ?? 0, roi?.height ?? 0], r.box)).toBeGreaterThan(0.7);
      expect(Math.abs((match?.object.existence_probability ?? 0) - r.score)).toBeLessThan(0.05);
    }
    expect(cdrRoundTrip(MessageType.DetectedObjectsWithFeature, objects).decoded).toEqual(objects);
  });

  // input_transport=compressed on the real engine: the JPEG's bytes are decoded natively into the engine's input
  // buffer inside the detect task; the objects equal those of the same frame sent raw (decoded by readImage),
  // and the overlay, asked for, is drawn on the decoded pixels.
  it("a CompressedImage of dog.jpg gives exactly the objects of its raw frame", async () => {
    const { Engine } = await import("../engine/Engine.js");
    const { readImage } = await import("../image/readImage.js");
    const jpegPath = path.join(testPaths.shared, "images/dog.jpg");
    const raw = await readImage(jpegPath);
    const header = { stamp: { sec: 1700000000, nanosec: 5 }, frame_id: "camera0/camera_optical_link" };
    const objectsFor = async (transport: string, deliver: (ros: FakeRosNode) => void) => {
      const ros = new FakeRosNode({ ...yoloFastestParameters(), input_transport: transport });
      const node = LightnetNode.start(ros, { createDetector: (o, p) => Engine.build(o, p), configDir: path.join(testPaths.repoRoot, "config") });
      await node.whenIdle();
      ros.publisher("~/out/image").subscribers = 1;
      deliver(ros);
      await node.whenIdle();
      await node.close();
      return { objects: ros.publisher<DetectedObjectsWithFeature>("~/out/objects").last, overlay: ros.publisher<Image>("~/out/image").last };
    };
    const fromRaw = await objectsFor("raw", (ros) =>
      ros.deliver("~/in/image", { header, height: raw.height, width: raw.width, encoding: "bgr8", is_bigendian: 0, step: raw.step, data: raw.data }));
    const fromJpeg = await objectsFor("compressed", (ros) =>
      ros.deliver("~/in/image", { header, format: "jpeg", data: new Uint8Array(readFileSync(jpegPath)) }));
    expect(fromRaw.objects?.feature_objects).toHaveLength(3);
    expect(fromJpeg.objects).toEqual(fromRaw.objects);
    expect(fromJpeg.overlay).toEqual(fromRaw.overlay);
  });

  it("two cameras share one batch-2 engine and get the same objects for the same frame", async () => {
    const { Engine } = await import("../engine/Engine.js");
    const ros = new FakeRosNode({ ...yoloFastestParameters(), input_topics: ["/camera0/image", "/camera1/image"] });
    const batchSizes: number[] = [];
    const createDetector: DetectorFactory = async (o, p) => {
      const engine = await Engine.build(o, p);
      const detect = engine.detect.bind(engine);
      engine.detect = (images, options) => {
        batchSizes.push(images.length);
        return detect(images, options);
      };
      return engine;
    };
    const node = LightnetNode.start(ros, { createDetector, configDir: path.join(testPaths.repoRoot, "config") });
    await node.whenIdle();
    expect(ros.publisher<EngineStatus>("~/out/status").last?.state).toBe(EngineState.READY);
    const ref = referenceFrame(dir);
    const frame = (camera: number, sec: number): Image => ({
      header: { stamp: { sec, nanosec: 0 }, frame_id: `camera${camera}` },
      height: ref.height, width: ref.width, encoding: "bgr8", is_bigendian: 0, step: ref.width * 3, data: ref.data,
    });
    ros.deliver("/camera0/image", frame(0, 1)); // runs alone at once
    ros.deliver("/camera0/image", frame(0, 2)); // these two wait and go together
    ros.deliver("/camera1/image", frame(1, 2));
    await node.whenIdle();
    await node.close();
    expect(batchSizes).toEqual([1, 2]);
    const cam0 = ros.publisher<DetectedObjectsWithFeature>("~/out/objects0").messages;
    const cam1 = ros.publisher<DetectedObjectsWithFeature>("~/out/objects1").messages;
    expect(cam0.map((m) => m.header.stamp.sec)).toEqual([1, 2]);
    expect(cam1.map((m) => m.header.frame_id)).toEqual(["camera1"]);
    expect(cam1[0]?.feature_objects).toEqual(cam0[1]?.feature_objects);
    expect(cam0[1]?.feature_objects).toEqual(cam0[0]?.feature_objects); // batched = single
    expect(cam0[0]?.feature_objects).toHaveLength(ref.boxes.length);
  });
});
