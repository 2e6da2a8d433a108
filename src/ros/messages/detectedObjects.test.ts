import { describe, expect, it } from "vitest";
import type { Detection } from "../../engine/types.js";
import { buildDetectedObjects, clampedRoi } from "./detectedObjects.js";
import { cdrRoundTrip } from "./sharedCodec.testutil.js";
import { MessageType, ObjectLabel, type DetectedObjectsWithFeature } from "./types.js";

const det = (classId: number, x: number, y: number, width: number, height: number, score = 0.9): Detection =>
  ({ classId, label: `c${classId}`, score, x, y, width, height });
const header = { stamp: { sec: 100, nanosec: 5 }, frame_id: "camera0/camera_optical_link" };
const mapping = [
  { label: ObjectLabel.CAR, segmentationClass: 13 },
  { label: null, segmentationClass: null },
  { label: ObjectLabel.PEDESTRIAN, segmentationClass: null },
];

describe("clampedRoi", () => {
  it("rounds to pixels and clamps to the image", () => {
    expect(clampedRoi(det(0, 10.4, 20.6, 30.2, 40.1), 640, 480)).toEqual({ x_offset: 10, y_offset: 21, width: 31, height: 40, do_rectify: false });
    expect(clampedRoi(det(0, -5, -7, 20, 17), 640, 480)).toEqual({ x_offset: 0, y_offset: 0, width: 15, height: 10, do_rectify: false });
    expect(clampedRoi(det(0, 600, 470, 100, 100), 640, 480)).toEqual({ x_offset: 600, y_offset: 470, width: 40, height: 10, do_rectify: false });
    expect(clampedRoi(det(0, 700, 10, 20, 20), 640, 480)).toBeNull();
  });
});

describe("buildDetectedObjects", () => {
  const msg = buildDetectedObjects(header, [det(0, 1, 2, 3, 4, 0.75), det(1, 5, 5, 5, 5), det(2, 10, 10, 10, 10, 0.5)], mapping, 640, 480);

  it("keeps mapped classes with the input header, score and label", () => {
    expect(msg.header).toBe(header);
    expect(msg.feature_objects).toHaveLength(2);
    const [car, person] = msg.feature_objects;
    expect(car?.object.existence_probability).toBe(0.75);
    expect(car?.object.classification).toEqual([{ label: ObjectLabel.CAR, probability: 1 }]);
    expect(car?.feature.roi).toEqual({ x_offset: 1, y_offset: 2, width: 3, height: 4, do_rectify: false });
    expect(person?.object.classification).toEqual([{ label: ObjectLabel.PEDESTRIAN, probability: 1 }]);
    expect(car?.object.kinematics.pose_with_covariance.pose.orientation).toEqual({ x: 0, y: 0, z: 0, w: 1 });
    expect(car?.object.shape.type).toBe(0);
  });

  it("stores the score as the float32 the wire carries", () => {
    const m = buildDetectedObjects(header, [det(0, 1, 2, 3, 4, 0.1)], mapping, 640, 480);
    expect(m.feature_objects[0]?.object.existence_probability).toBe(Math.fround(0.1));
  });

  it("serializes to CDR against ../shared/interfaces and reads back equal", () => {
    const { decoded } = cdrRoundTrip<DetectedObjectsWithFeature>(MessageType.DetectedObjectsWithFeature, msg);
    // float32 existence_probability: 0.75 and 0.5 are exact in float32.
    expect(decoded).toEqual(msg);
  });
});
