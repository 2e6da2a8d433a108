/**
 * TypeScript shapes of the ROS 2 messages the node reads and publishes, field for field as in
 * ../shared/interfaces (plain data, the form rclnodejs and the CDR codec both take).
 */

export interface Time {
  sec: number;
  nanosec: number;
}

export interface Header {
  stamp: Time;
  frame_id: string;
}

export interface Image {
  header: Header;
  height: number;
  width: number;
  encoding: string;
  is_bigendian: number;
  step: number;
  data: Uint8Array;
}

export interface CompressedImage {
  header: Header;
  format: string;
  data: Uint8Array;
}

export interface RegionOfInterest {
  x_offset: number;
  y_offset: number;
  height: number;
  width: number;
  do_rectify: boolean;
}

export interface Point32 {
  x: number;
  y: number;
  z: number;
}

export interface Vector3 {
  x: number;
  y: number;
  z: number;
}

export interface PointField {
  name: string;
  offset: number;
  datatype: number;
  count: number;
}

export interface PointCloud2 {
  header: Header;
  height: number;
  width: number;
  fields: PointField[];
  is_bigendian: boolean;
  point_step: number;
  row_step: number;
  data: Uint8Array;
  is_dense: boolean;
}

export interface Pose {
  position: { x: number; y: number; z: number };
  orientation: { x: number; y: number; z: number; w: number };
}

export interface PoseWithCovariance {
  pose: Pose;
  covariance: Float64Array | number[];
}

export interface Twist {
  linear: Vector3;
  angular: Vector3;
}

export interface TwistWithCovariance {
  twist: Twist;
  covariance: Float64Array | number[];
}

/** autoware_perception_msgs/ObjectClassification label values. */
export const ObjectLabel = {
  UNKNOWN: 0,
  CAR: 1,
  TRUCK: 2,
  BUS: 3,
  TRAILER: 4,
  MOTORCYCLE: 5,
  BICYCLE: 6,
  PEDESTRIAN: 7,
  ANIMAL: 8,
  HAZARD: 9,
  OVER_DRIVABLE: 10,
  UNDER_DRIVABLE: 11,
} as const;
export type ObjectLabelName = keyof typeof ObjectLabel;

export interface ObjectClassification {
  label: number;
  probability: number;
}

export interface DetectedObjectKinematics {
  pose_with_covariance: PoseWithCovariance;
  has_position_covariance: boolean;
  orientation_availability: number;
  twist_with_covariance: TwistWithCovariance;
  has_twist: boolean;
  has_twist_covariance: boolean;
}

export interface Shape {
  type: number;
  footprint: { points: Point32[] };
  dimensions: Vector3;
}

export interface DetectedObject {
  existence_probability: number;
  classification: ObjectClassification[];
  kinematics: DetectedObjectKinematics;
  shape: Shape;
}

export interface Feature {
  cluster: PointCloud2;
  roi: RegionOfInterest;
}

export interface DetectedObjectWithFeature {
  object: DetectedObject;
  feature: Feature;
}

export interface DetectedObjectsWithFeature {
  header: Header;
  feature_objects: DetectedObjectWithFeature[];
}

export interface Float64Stamped {
  stamp: Time;
  data: number;
}

/** lightnet_trt/EngineStatus state values (msg/EngineStatus.msg). */
export const EngineState = { BUILDING: 0, READY: 1, FAILED: 2 } as const;
export type EngineStateName = keyof typeof EngineState;

export interface EngineStatus {
  header: Header;
  state: number;
  rebuilding: boolean;
  backend: string;
  precision: string;
  model_cfg: string;
  build_progress: number;
  build_message: string;
  last_error: string;
}

/** Full ROS 2 type names of the messages the node uses (as rclnodejs and rosbag2 name them). */
export const MessageType = {
  Image: "sensor_msgs/msg/Image",
  CompressedImage: "sensor_msgs/msg/CompressedImage",
  DetectedObjectsWithFeature: "tier4_perception_msgs/msg/DetectedObjectsWithFeature",
  Float64Stamped: "autoware_internal_debug_msgs/msg/Float64Stamped",
  EngineStatus: "lightnet_trt/msg/EngineStatus",
} as const;
