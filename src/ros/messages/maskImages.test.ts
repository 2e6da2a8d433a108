import { describe, expect, it } from "vitest";
import type { SegmentationMask } from "../../engine/types.js";
import { buildColorMaskImage, buildMaskImage, overlayRoisOnMask } from "./maskImages.js";
import { decodeRle } from "./rle.js";
import { cdrRoundTrip } from "./sharedCodec.testutil.js";
import { MessageType, type Image } from "./types.js";

const header = { stamp: { sec: 1, nanosec: 2 }, frame_id: "cam" };
// 3 wide × 2 high: [0 1 1]
//                  [2 2 0]
const mask: SegmentationMask = { headLayer: 7, width: 3, height: 2, classIds: Uint8Array.from([0, 1, 1, 2, 2, 0]) };

describe("mask images", () => {
  it("raw: mono8 class ids at head resolution", () => {
    const img = buildMaskImage(header, mask, "raw");
    expect(img).toMatchObject({ header, height: 2, width: 3, encoding: "mono8", is_bigendian: 0, step: 3 });
    expect([...img.data]).toEqual([0, 1, 1, 2, 2, 0]);
    expect(cdrRoundTrip<Image>(MessageType.Image, img).decoded).toEqual(img);
  });

  it("rle: Autoware's records, header fields as for raw", () => {
    const img = buildMaskImage(header, mask, "rle");
    expect(img).toMatchObject({ header, height: 2, width: 3, encoding: "mono8", step: 3 });
    expect([...img.data]).toEqual([0, 1, 0, 0, 0, 1, 2, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0, 0, 0]);
    expect(decodeRle(img.data, 6)).toEqual(mask.classIds);
    expect(cdrRoundTrip<Image>(MessageType.Image, img).decoded).toEqual(img);
  });

  it("colour: bgr8 from the colormap in cfg order, black beyond it", () => {
    const img = buildColorMaskImage(header, { ...mask, classIds: Uint8Array.from([0, 1, 1, 2, 2, 9]) }, [[10, 20, 30], [40, 50, 60], [70, 80, 90]]);
    expect(img).toMatchObject({ encoding: "bgr8", step: 9, width: 3, height: 2 });
    expect([...img.data]).toEqual([10, 20, 30, 40, 50, 60, 40, 50, 60, 70, 80, 90, 70, 80, 90, 0, 0, 0]);
    expect(cdrRoundTrip<Image>(MessageType.Image, img).decoded).toEqual(img);
  });

  it("ROI overlap paints boxes scaled to mask resolution", () => {
    const m: SegmentationMask = { headLayer: 0, width: 4, height: 4, classIds: new Uint8Array(16) };
    // image 8×8 → mask 4×4: box (2,2) 4×4 → mask (1,1) 2×2
    const out = overlayRoisOnMask(m, [{ x: 2, y: 2, width: 4, height: 4, segmentationClass: 5 }], 8, 8);
    expect([...out.classIds]).toEqual([0, 0, 0, 0, 0, 5, 5, 0, 0, 5, 5, 0, 0, 0, 0, 0]);
    expect([...m.classIds].every((v) => v === 0)).toBe(true);
  });
});
