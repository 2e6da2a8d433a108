/**
 * What the node publishes for one camera frame, as (topic, type, message) triples, built with the node's
 * own message builders and parameters: objects always; per segmentation head the class-id mask (raw or
 * run-length, optionally with confident boxes painted in); the colour mask when is_publish_color_mask; the
 * debug overlay when asked for. Topic names follow the node: ~/out/objects, or ~/out/objects<i> with
 * several cameras, under the node's namespace.
 */
import type { InferredImage } from "../engine/inferredImage.js";
import type { FrameResult, HeadInfo } from "../engine/types.js";
import type { ClassMapping } from "../ros/labelMap.js";
import { buildDetectedObjects } from "../ros/messages/detectedObjects.js";
import { buildColorMaskImage, buildMaskImage, overlayRoisOnMask } from "../ros/messages/maskImages.js";
import { buildOverlayImage } from "../ros/messages/overlayImage.js";
import { MessageType, ObjectLabel, type Header } from "../ros/messages/types.js";
import type { NodeParameters } from "../ros/parameters.js";

export interface OutputMessage {
  topic: string;
  type: string;
  message: unknown;
}

export interface NodeOutputSettings {
  /** the node's private namespace, e.g. "/lightnet_trt" */
  nodeName: string;
  cameraIndex: number;
  cameraCount: number;
  params: Pick<NodeParameters, "isPublishColorMask" | "maskEncoding" | "isRoiOverlapSegment" | "overlapRoiScoreThreshold" | "roiOverlaySegmentLabels">;
  mapping: readonly ClassMapping[];
  /** the segmentation heads of the model (colormaps) */
  heads: readonly HeadInfo[];
  debugImage: boolean;
}

/** `~/out/<name>` resolved under the node, with the camera index when there are several cameras. */
export function outputTopic(settings: Pick<NodeOutputSettings, "nodeName" | "cameraIndex" | "cameraCount">, name: string): string {
  const suffix = settings.cameraCount > 1 ? String(settings.cameraIndex) : "";
  return `${settings.nodeName.replace(/\/$/, "")}/out/${name}${suffix}`;
}

const LABEL_NAMES = new Map(Object.entries(ObjectLabel).map(([k, v]) => [v as number, k]));

/** `image`: the frame's size, and its pixels (needed for the debug image only). */
export function nodeOutputs(settings: NodeOutputSettings, header: Header, image: InferredImage, frame: FrameResult): OutputMessage[] {
  const out: OutputMessage[] = [
    {
      topic: outputTopic(settings, "objects"),
      type: MessageType.DetectedObjectsWithFeature,
      message: buildDetectedObjects(header, frame.detections, settings.mapping, image.width, image.height),
    },
  ];
  const p = settings.params;
  frame.masks.forEach((raw, k) => {
    let mask = raw;
    if (p.isRoiOverlapSegment) {
      const boxes = frame.detections.flatMap((d) => {
        const m = settings.mapping[d.classId];
        const label = m?.label;
        if (!m || label === null || label === undefined || m.segmentationClass === null || d.score < p.overlapRoiScoreThreshold) return [];
        if (!p.roiOverlaySegmentLabels.has(LABEL_NAMES.get(label) ?? "")) return [];
        return [{ x: d.x, y: d.y, width: d.width, height: d.height, segmentationClass: m.segmentationClass }];
      });
      mask = overlayRoisOnMask(raw, boxes, image.width, image.height);
    }
    const headSuffix = k > 0 ? `_${k}` : "";
    out.push({ topic: outputTopic(settings, `mask${headSuffix}`), type: MessageType.Image, message: buildMaskImage(header, mask, p.maskEncoding) });
    if (p.isPublishColorMask) {
      const colormap = settings.heads.find((h) => h.layer === raw.headLayer)?.colormap ?? [];
      out.push({ topic: outputTopic(settings, `color_mask${headSuffix}`), type: MessageType.Image, message: buildColorMaskImage(header, mask, colormap) });
    }
  });
  if (settings.debugImage) {
    if (image.pixels === undefined) throw new Error("nodeOutputs: the debug image needs the frame's pixels");
    const first = frame.masks[0];
    const colormap = first ? (settings.heads.find((h) => h.layer === first.headLayer)?.colormap ?? []) : [];
    out.push({
      topic: outputTopic(settings, "image"),
      type: MessageType.Image,
      message: buildOverlayImage(header, image.pixels, frame.detections, first ? { mask: first, colormap } : undefined),
    });
  }
  return out;
}
