import { describe, expect, it } from "vitest";
import type { RawImage } from "../../engine/types.js";
import { buildOverlayImage } from "./overlayImage.js";
import { cdrRoundTrip } from "./sharedCodec.testutil.js";
import { MessageType, type Image } from "./types.js";

describe("overlay image", () => {
  it("draws 3-pixel red boxes and serializes as sensor_msgs/Image", () => {
    const image: RawImage = { width: 10, height: 10, encoding: "bgr8", step: 30, data: new Uint8Array(300) };
    const msg = buildOverlayImage({ stamp: { sec: 0, nanosec: 0 }, frame_id: "f" }, image, [
      { classId: 0, label: "car", score: 1, x: 1, y: 1, width: 8, height: 8 },
    ], undefined, { labels: false });
    const px = (x: number, y: number) => [...msg.data.subarray((y * 10 + x) * 3, (y * 10 + x) * 3 + 3)];
    expect(px(1, 1)).toEqual([0, 0, 255]);
    expect(px(3, 5)).toEqual([0, 0, 255]);
    expect(px(4, 5)).toEqual([0, 0, 0]);
    expect(px(8, 8)).toEqual([0, 0, 255]);
    expect(px(0, 0)).toEqual([0, 0, 0]);
    expect(cdrRoundTrip<Image>(MessageType.Image, msg).decoded).toEqual(msg);
  });

  it("blends the mask at half strength, scaled by nearest neighbour; classes without a colour stay", () => {
    const image: RawImage = { width: 4, height: 2, encoding: "bgr8", step: 12, data: new Uint8Array(24).fill(100) };
    // 2×1 mask: left half class 1, right half class 7 (no colour)
    const mask = { headLayer: 0, width: 2, height: 1, classIds: Uint8Array.from([1, 7]) };
    const msg = buildOverlayImage({ stamp: { sec: 0, nanosec: 0 }, frame_id: "f" }, image, [], { mask, colormap: [[0, 0, 0], [200, 0, 50]] });
    expect([...msg.data]).toEqual([
      150, 50, 75, 150, 50, 75, 100, 100, 100, 100, 100, 100,
      150, 50, 75, 150, 50, 75, 100, 100, 100, 100, 100, 100,
    ]);
  });

  it("tags each box with its label and score above the box: red tag, white 5×7 text", () => {
    const image: RawImage = { width: 40, height: 30, encoding: "bgr8", step: 120, data: new Uint8Array(3600) };
    const msg = buildOverlayImage({ stamp: { sec: 0, nanosec: 0 }, frame_id: "f" }, image, [
      { classId: 0, label: "-", score: 1, x: 2, y: 12, width: 30, height: 15 },
    ]);
    const px = (x: number, y: number) => [...msg.data.subarray((y * 40 + x) * 3, (y * 40 + x) * 3 + 3)];
    // tag "- 1.00": 6 glyphs → 35 px + 2 px margin wide (x 2..38), 7 + 2 px high, so rows 3..11 above the box (y 12)
    expect(px(2, 3)).toEqual([0, 0, 255]);
    expect(px(38, 11)).toEqual([0, 0, 255]); // last tag column
    expect(px(39, 11)).toEqual([0, 0, 0]);
    // "-" is glyph row 3 only, columns 0..4 of the first glyph at (3, 4)
    expect(px(3, 7)).toEqual([255, 255, 255]);
    expect(px(3, 6)).toEqual([0, 0, 255]);
    expect(px(2, 12)).toEqual([0, 0, 255]); // box corner
    expect(px(20, 20)).toEqual([0, 0, 0]); // inside the box
  });
});
