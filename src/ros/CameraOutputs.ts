/**
 * The publishers of one camera and how one frame's result becomes its messages: objects, class-id
 * mask (with the optional ROI refinement), colour mask, debug overlay (only while subscribed) and
 * pipeline latency. With several cameras every topic gets the camera index (~/out/objects0 ...).
 */
import type { InferredImage } from "../engine/inferredImage.js";
import type { DetectInput, FrameResult } from "../engine/types.js";
import type { Detector } from "./detector.js";
import type { ClassMapping } from "./labelMap.js";
import { float64Stamped, timeFromNanoseconds, timeToNanoseconds } from "./messages/debugMessages.js";
import { buildDetectedObjects } from "./messages/detectedObjects.js";
import { buildColorMaskImage, buildMaskImage, overlayRoisOnMask } from "./messages/maskImages.js";
import { buildOverlayImage } from "./messages/overlayImage.js";
import { MessageType, ObjectLabel, type DetectedObjectsWithFeature, type Float64Stamped, type Header, type Image } from "./messages/types.js";
import type { NodeParameters } from "./parameters.js";
import type { RosNodeHandle, RosPublisher } from "./rosInterface.js";

const LABEL_NAMES = Object.fromEntries(Object.entries(ObjectLabel).map(([name, value]) => [value, name])) as Record<number, string>;

/** A frame waiting for inference: raw pixels, or a CompressedImage's bytes that the engine decodes itself. */
export interface Frame {
  header: Header;
  input: DetectInput;
}

export class CameraOutputs {
  readonly input: string;
  readonly #ros: RosNodeHandle;
  readonly #objects: RosPublisher<DetectedObjectsWithFeature>;
  readonly #mask: RosPublisher<Image>;
  readonly #colorMask: RosPublisher<Image>;
  readonly #overlay: RosPublisher<Image>;
  readonly #pipelineLatency: RosPublisher<Float64Stamped>;

  /** `suffix` is "" for a single camera, else the camera index. */
  constructor(ros: RosNodeHandle, input: string, suffix: string) {
    this.input = input;
    this.#ros = ros;
    this.#objects = ros.createPublisher(MessageType.DetectedObjectsWithFeature, `~/out/objects${suffix}`, "default");
    this.#mask = ros.createPublisher(MessageType.Image, `~/out/mask${suffix}`, "default");
    this.#colorMask = ros.createPublisher(MessageType.Image, `~/out/color_mask${suffix}`, "default");
    this.#overlay = ros.createPublisher(MessageType.Image, `~/out/image${suffix}`, "default");
    this.#pipelineLatency = ros.createPublisher(MessageType.Float64Stamped, `~/debug/pipeline_latency_ms${suffix}`, "default");
  }

  /** Whether the debug overlay has a subscriber (it then needs the frame's pixels). */
  get wantsImage(): boolean {
    return this.#overlay.subscriptionCount() > 0;
  }

  /** `image`: the frame's size, and its pixels where known (the overlay is drawn only on pixels). */
  publish(header: Header, image: InferredImage, result: FrameResult, detector: Detector, mapping: readonly ClassMapping[], params: NodeParameters): void {
    const { width, height, pixels } = image;
    this.#objects.publish(buildDetectedObjects(header, result.detections, mapping, width, height));

    let mask = result.masks[0];
    const colormap = detector.info.heads.find((h) => h.kind === "segmentation" && h.layer === mask?.headLayer)?.colormap ?? [];
    if (mask !== undefined) {
      if (params.isRoiOverlapSegment) mask = overlayRoisOnMask(mask, overlapBoxes(result, mapping, params), width, height);
      this.#mask.publish(buildMaskImage(header, mask, params.maskEncoding));
      if (params.isPublishColorMask) this.#colorMask.publish(buildColorMaskImage(header, mask, colormap));
    }
    if (pixels !== undefined && this.wantsImage) {
      this.#overlay.publish(buildOverlayImage(header, pixels, result.detections, mask === undefined ? undefined : { mask, colormap }));
    }
    const now = this.#ros.nowNanoseconds();
    this.#pipelineLatency.publish(float64Stamped(timeFromNanoseconds(now), Number(now - timeToNanoseconds(header.stamp)) / 1e6));
  }
}

/** Boxes that is_roi_overlap_segment paints: confident, of an enabled label, with a segmentation class. */
function overlapBoxes(result: FrameResult, mapping: readonly ClassMapping[], params: NodeParameters) {
  return result.detections.flatMap((d) => {
    const m = mapping[d.classId];
    if (m === undefined || m.label === null || m.segmentationClass === null) return [];
    if (d.score < params.overlapRoiScoreThreshold || !params.roiOverlaySegmentLabels.has(LABEL_NAMES[m.label] ?? "")) return [];
    return [{ x: d.x, y: d.y, width: d.width, height: d.height, segmentationClass: m.segmentationClass }];
  });
}
