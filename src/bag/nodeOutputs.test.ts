import { describe, expect, it } from "vitest";
import type { FrameResult } from "../engine/types.js";
import { decodeRle } from "../ros/messages/rle.js";
import { ObjectLabel, type Image } from "../ros/messages/types.js";
import { nodeOutputs, outputTopic, type NodeOutputSettings } from "./nodeOutputs.js";

const header = { stamp: { sec: 1, nanosec: 2 }, frame_id: "cam" };
const pixels = { width: 8, height: 4, encoding: "bgr8" as const, step: 24, data: new Uint8Array(96) };
const image = { width: 8, height: 4, pixels };
const frame: FrameResult = {
  detections: [
    { classId: 0, label: "car", score: 0.9, x: 0, y: 0, width: 4, height: 4 },
    { classId: 1, label: "person", score: 0.2, x: 4, y: 0, width: 4, height: 4 },
  ],
  masks: [{ headLayer: 9, width: 4, height: 2, classIds: new Uint8Array(8) }],
  timing: { preprocessMs: 0, inferenceMs: 0, postprocessMs: 0 },
};
const settings = (over: Partial<NodeOutputSettings["params"]> = {}, more: Partial<NodeOutputSettings> = {}): NodeOutputSettings => ({
  nodeName: "/lightnet_trt/",
  cameraIndex: 1,
  cameraCount: 1,
  params: { isPublishColorMask: false, maskEncoding: "raw", isRoiOverlapSegment: false, overlapRoiScoreThreshold: 0.3, roiOverlaySegmentLabels: new Set(["CAR", "PEDESTRIAN"]), ...over },
  mapping: [{ label: ObjectLabel.CAR, segmentationClass: 13 }, { label: ObjectLabel.PEDESTRIAN, segmentationClass: 11 }],
  heads: [{ kind: "segmentation", layer: 9, source: 8, classes: 20, colormap: [[1, 2, 3]] }],
  debugImage: false,
  ...more,
});

describe("nodeOutputs", () => {
  it("names topics as the node does, with the camera index only for several cameras", () => {
    expect(outputTopic({ nodeName: "/n", cameraIndex: 0, cameraCount: 1 }, "objects")).toBe("/n/out/objects");
    expect(outputTopic({ nodeName: "/n/", cameraIndex: 2, cameraCount: 3 }, "mask")).toBe("/n/out/mask2");
  });

  it("publishes objects and the mask, the colour mask and debug image only when asked", () => {
    expect(nodeOutputs(settings(), header, image, frame).map((o) => o.topic)).toEqual(["/lightnet_trt/out/objects", "/lightnet_trt/out/mask"]);
    const all = nodeOutputs(settings({ isPublishColorMask: true }, { debugImage: true, cameraCount: 2 }), header, image, frame);
    expect(all.map((o) => [o.topic, o.type])).toEqual([
      ["/lightnet_trt/out/objects1", "tier4_perception_msgs/msg/DetectedObjectsWithFeature"],
      ["/lightnet_trt/out/mask1", "sensor_msgs/msg/Image"],
      ["/lightnet_trt/out/color_mask1", "sensor_msgs/msg/Image"],
      ["/lightnet_trt/out/image1", "sensor_msgs/msg/Image"],
    ]);
    expect(Array.from((all[2]!.message as Image).data.subarray(0, 3))).toEqual([1, 2, 3]);
  });

  it("paints confident boxes of the chosen labels into the mask (is_roi_overlap_segment)", () => {
    // car (score 0.9 ≥ 0.3) covers the left half of the 4×2 mask with class 13; the person is below the threshold
    const [, mask] = nodeOutputs(settings({ isRoiOverlapSegment: true, maskEncoding: "rle" }), header, image, frame);
    const m = mask!.message as Image;
    expect(Array.from(decodeRle(m.data, 8))).toEqual([13, 13, 0, 0, 13, 13, 0, 0]);
    const none = nodeOutputs(settings({ isRoiOverlapSegment: true, roiOverlaySegmentLabels: new Set(["BUS"]) }), header, image, frame);
    expect(Array.from((none[1]!.message as Image).data)).toEqual(new Array(8).fill(0));
  });
});
