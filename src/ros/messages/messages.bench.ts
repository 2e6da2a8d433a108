/**
 * Host-side cost of the node's per-frame messages, at LightNet BDD100K sizes: a 1280×960 bgr8 input,
 * a 640×480 segmentation mask (the cfg's softmax groups=307200), 20 boxes.
 * Run: `npx vitest bench --run src/ros/messages/messages.bench.ts`
 */
import { bench, describe } from "vitest";
import type { Detection, RawImage, SegmentationMask } from "../../engine/types.js";
import { CdrCodec } from "./cdr.js";
import { buildDetectedObjects } from "./detectedObjects.js";
import { buildColorMaskImage, buildMaskImage } from "./maskImages.js";
import { buildOverlayImage } from "./overlayImage.js";
import { encodeRle } from "./rle.js";
import { MessageType } from "./types.js";

const header = { stamp: { sec: 1, nanosec: 0 }, frame_id: "camera0" };
const input: RawImage = { width: 1280, height: 960, encoding: "bgr8", step: 3840, data: new Uint8Array(1280 * 960 * 3).fill(90) };
// A street-like mask: horizontal bands of classes with ragged edges (runs of ~10–200 px).
const classIds = new Uint8Array(640 * 480);
for (let y = 0; y < 480; y++) for (let x = 0; x < 640; x++) classIds[y * 640 + x] = (Math.floor(y / 40) + Math.floor((x + ((y * 7) % 13)) / 64)) % 20;
const mask: SegmentationMask = { headLayer: 1, width: 640, height: 480, classIds };
const colormap = Array.from({ length: 20 }, (_, i) => [i * 10, 255 - i * 10, (i * 37) % 256] as [number, number, number]);
const detections: Detection[] = Array.from({ length: 20 }, (_, i) => ({ classId: i % 10, label: "c", score: 0.5, x: i * 50, y: i * 30, width: 120, height: 90 }));
const mapping = Array.from({ length: 10 }, () => ({ label: 1, segmentationClass: null }));

describe("per-frame messages", () => {
  bench("objects (20 boxes)", () => {
    buildDetectedObjects(header, detections, mapping, 1280, 960);
  });
  bench("mask rle 640x480", () => {
    buildMaskImage(header, mask, "rle");
  });
  bench("encodeRle 640x480", () => {
    encodeRle(classIds);
  });
  bench("colour mask 640x480", () => {
    buildColorMaskImage(header, mask, colormap);
  });
  bench("debug overlay 1280x960 (boxes + mask blend)", () => {
    buildOverlayImage(header, input, detections, { mask, colormap });
  });
  const raw = buildMaskImage(header, mask, "raw");
  bench("CDR serialize raw mask 640x480", () => {
    CdrCodec.for(MessageType.Image).serialize(raw);
  });
});
