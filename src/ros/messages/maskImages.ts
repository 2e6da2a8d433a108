/**
 * Segmentation masks → sensor_msgs/Image: the class-id mask (mono8, raw or Autoware's run-length form)
 * and the colour mask (bgr8 from the cfg's colormap). Header and size as Autoware's tensorrt_yolox
 * publishes them: the input image's header, head resolution, step = width, little-endian.
 */
import type { SegmentationMask } from "../../engine/types.js";
import { encodeRle } from "./rle.js";
import type { Header, Image } from "./types.js";

export type MaskEncoding = "raw" | "rle";
export const MASK_ENCODINGS: readonly MaskEncoding[] = ["raw", "rle"];

/**
 * The class-id mask. With "rle", `data` holds 5-byte run records instead of pixels while height,
 * width, step and encoding still describe the decoded mono8 image (as Autoware does).
 */
export function buildMaskImage(header: Header, mask: SegmentationMask, encoding: MaskEncoding): Image {
  return {
    header,
    height: mask.height,
    width: mask.width,
    encoding: "mono8",
    is_bigendian: 0,
    step: mask.width,
    data: encoding === "rle" ? encodeRle(mask.classIds) : mask.classIds,
  };
}

/** The colour mask: each class id → its colormap entry, written in the cfg's (BGR) order; black if none. */
export function buildColorMaskImage(header: Header, mask: SegmentationMask, colormap: readonly [number, number, number][]): Image {
  const lut = new Uint8Array(256 * 3);
  colormap.slice(0, 256).forEach((c, i) => lut.set(c, i * 3));
  const pixels = mask.width * mask.height;
  const data = new Uint8Array(pixels * 3);
  for (let i = 0; i < pixels; i++) {
    const k = (mask.classIds[i] as number) * 3;
    data[i * 3] = lut[k] as number;
    data[i * 3 + 1] = lut[k + 1] as number;
    data[i * 3 + 2] = lut[k + 2] as number;
  }
  return { header, height: mask.height, width: mask.width, encoding: "bgr8", is_bigendian: 0, step: mask.width * 3, data };
}

/**
 * Autoware's is_roi_overlap_segment refinement: paint each confident box (scaled to mask resolution)
 * with the segmentation class of its label. Returns a new mask; the input is not modified.
 */
export function overlayRoisOnMask(
  mask: SegmentationMask,
  boxes: readonly { x: number; y: number; width: number; height: number; segmentationClass: number }[],
  imageWidth: number,
  imageHeight: number,
): SegmentationMask {
  const classIds = Uint8Array.from(mask.classIds);
  const sx = mask.width / imageWidth;
  const sy = mask.height / imageHeight;
  for (const b of boxes) {
    const x0 = Math.max(0, Math.trunc(b.x * sx));
    const y0 = Math.max(0, Math.trunc(b.y * sy));
    const x1 = Math.min(mask.width, x0 + Math.trunc(b.width * sx));
    const y1 = Math.min(mask.height, y0 + Math.trunc(b.height * sy));
    for (let y = y0; y < y1; y++) classIds.fill(b.segmentationClass, y * mask.width + x0, y * mask.width + Math.max(x0, x1));
  }
  return { ...mask, classIds };
}
