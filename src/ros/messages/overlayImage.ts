/**
 * The debug overlay (~/out/image, and `bag`'s debug image): the input frame as bgr8 with the detections
 * drawn as 3-pixel red rectangles (as Autoware's tensorrt_yolox draws them) with "label score" tags, and
 * the first segmentation mask blended in at half strength with its colormap (BGR, as the cfg writes it).
 * Drawn by src/draw/annotate.ts, the renderer the CLI and the report use. Built only while someone subscribes.
 */
import { annotate, bgrToRgb } from "../../draw/annotate.js";
import { Raster } from "../../draw/Raster.js";
import type { Detection, RawImage, SegmentationMask } from "../../engine/types.js";
import type { Header, Image } from "./types.js";

export interface OverlayOptions {
  /** "label score" tags on the boxes (default true) */
  labels?: boolean;
}

export function buildOverlayImage(
  header: Header,
  image: RawImage,
  detections: readonly Detection[],
  mask?: { mask: SegmentationMask; colormap: readonly [number, number, number][] },
  options: OverlayOptions = {},
): Image {
  const { width, height } = image;
  const raster = Raster.fromImage(image, "bgr"); // drawn on in bgr8, the message's encoding
  annotate(raster, detections, mask === undefined ? [] : [mask.mask], {
    maskColors: mask?.colormap.map(bgrToRgb) ?? [],
    maskAlpha: 0.5,
    boxColor: [255, 0, 0],
    thickness: 3,
    labels: options.labels ?? true,
  });
  return { header, height, width, encoding: "bgr8", is_bigendian: 0, step: width * 3, data: raster.data };
}
