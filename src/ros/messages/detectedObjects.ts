/**
 * Engine detections → tier4_perception_msgs/DetectedObjectsWithFeature, as Autoware's camera 2D
 * detectors (tensorrt_yolox) fill it: roi in input-image pixels, existence_probability = score, one
 * classification with probability 1, every other field default-constructed (zero, identity quaternion).
 */
import type { Detection } from "../../engine/types.js";
import type { ClassMapping } from "../labelMap.js";
import type {
  DetectedObjectsWithFeature, DetectedObjectWithFeature, Header, PointCloud2, RegionOfInterest,
} from "./types.js";

/** A box in input-image pixels, clamped to the image and rounded to whole pixels; null when empty. */
export function clampedRoi(d: Detection, imageWidth: number, imageHeight: number): RegionOfInterest | null {
  const clamp = (v: number, hi: number) => Math.min(Math.max(Math.round(v), 0), hi);
  const left = clamp(d.x, imageWidth);
  const top = clamp(d.y, imageHeight);
  const right = clamp(d.x + d.width, imageWidth);
  const bottom = clamp(d.y + d.height, imageHeight);
  if (right <= left || bottom <= top) return null;
  return { x_offset: left, y_offset: top, width: right - left, height: bottom - top, do_rectify: false };
}

/** A default-constructed sensor_msgs/PointCloud2 (the camera detector sends no cluster). */
export function emptyPointCloud2(): PointCloud2 {
  return {
    header: { stamp: { sec: 0, nanosec: 0 }, frame_id: "" },
    height: 0, width: 0, fields: [], is_bigendian: false, point_step: 0, row_step: 0,
    data: new Uint8Array(0), is_dense: false,
  };
}

function objectWithFeature(score: number, label: number, roi: RegionOfInterest): DetectedObjectWithFeature {
  const zero3 = () => ({ x: 0, y: 0, z: 0 });
  return {
    object: {
      existence_probability: Math.fround(score), // float32 on the wire
      classification: [{ label, probability: 1.0 }],
      kinematics: {
        pose_with_covariance: {
          pose: { position: zero3(), orientation: { x: 0, y: 0, z: 0, w: 1 } },
          covariance: new Float64Array(36),
        },
        has_position_covariance: false,
        orientation_availability: 0,
        twist_with_covariance: { twist: { linear: zero3(), angular: zero3() }, covariance: new Float64Array(36) },
        has_twist: false,
        has_twist_covariance: false,
      },
      shape: { type: 0, footprint: { points: [] }, dimensions: zero3() },
    },
    feature: { cluster: emptyPointCloud2(), roi },
  };
}

/**
 * The objects message of one frame. Classes the label map drops and boxes that lie wholly outside
 * the image are left out; `mapping` is indexed by the engine's class id.
 */
export function buildDetectedObjects(
  header: Header,
  detections: readonly Detection[],
  mapping: readonly ClassMapping[],
  imageWidth: number,
  imageHeight: number,
): DetectedObjectsWithFeature {
  const featureObjects: DetectedObjectWithFeature[] = [];
  for (const d of detections) {
    const label = mapping[d.classId]?.label ?? null;
    if (label === null) continue;
    const roi = clampedRoi(d, imageWidth, imageHeight);
    if (roi === null) continue;
    featureObjects.push(objectWithFeature(d.score, label, roi));
  }
  return { header, feature_objects: featureObjects };
}
