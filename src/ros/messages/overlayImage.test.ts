import { describe, expect, it } from "vitest";
import type { RawImage } from "../../engine/types.js";
import { buildOverlayImage, toBgr8 } from "./overlayImage.js";
import { cdrRoundTrip } from "./sharedCodec.testutil.js";
import { MessageType, type Image } from "./types.js";

describe("overlay image", () => {
  it("converts rgb8 with row padding, rgba8 and mono8 to packed bgr8", () => {
    const rgb: RawImage = { width: 2, height: 1, encoding: "rgb8", step: 8, data: Uint8Array.from([1, 2, 3, 4, 5, 6, 99, 99]) };
    expect([...toBgr8(rgb)]).toEqual([3, 2, 1, 6, 5, 4]);
    const rgba: RawImage = { width: 1, height: 1, encoding: "rgba8", step: 4, data: Uint8Array.from([1, 2, 3, 4]) };
    expect([...toBgr8(rgba)]).toEqual([3, 2, 1]);
    const mono: RawImage = { width: 2, height: 1, encoding: "mono8", step: 2, data: Uint8Array.from([7, 8]) };
    expect([...toBgr8(mono)]).toEqual([7, 7, 7, 8, 8, 8]);
  });

  it("draws 3-pixel red boxes and serializes as sensor_msgs/Image", () => {
    const image: RawImage = { width: 10, height: 10, encoding: "bgr8", step: 30, data: new Uint8Array(300) };
    const msg = buildOverlayImage({ stamp: { sec: 0, nanosec: 0 }, frame_id: "f" }, image, [
      { classId: 0, label: "car", score: 1, x: 1, y: 1, width: 8, height: 8 },
    ]);
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
});
