import { describe, expect, it } from "vitest";
import { toRawImage } from "./imageInput.js";
import type { Image } from "./messages/types.js";

const img = (over: Partial<Image>): Image => ({
  header: { stamp: { sec: 0, nanosec: 0 }, frame_id: "" }, height: 2, width: 3, encoding: "bgr8", is_bigendian: 0, step: 9,
  data: new Uint8Array(18), ...over,
});

describe("toRawImage", () => {
  it("accepts the engine's encodings and cv_bridge aliases without copying", () => {
    const msg = img({});
    const r = toRawImage(msg);
    expect(r).toEqual({ ok: true, image: { width: 3, height: 2, encoding: "bgr8", step: 9, data: msg.data } });
    expect(r.ok && r.image.data).toBe(msg.data);
    expect(toRawImage(img({ encoding: "8UC1", step: 3, data: new Uint8Array(6) }))).toMatchObject({ ok: true, image: { encoding: "mono8" } });
    // last row needs no padding
    expect(toRawImage(img({ step: 12, data: new Uint8Array(21) })).ok).toBe(true);
  });

  it("rejects with reasons", () => {
    expect(toRawImage(img({ encoding: "16UC1" }))).toEqual({ ok: false, reason: 'encoding "16UC1" is not supported (expected one of bgr8, rgb8, bgra8, rgba8, mono8)' });
    expect(toRawImage(img({ encoding: "yuv422" })).ok).toBe(false);
    expect(toRawImage(img({ width: 0 }))).toEqual({ ok: false, reason: "size 0x2 is not supported (expected 1..16384 per side)" });
    expect(toRawImage(img({ step: 8 }))).toEqual({ ok: false, reason: "step 8 < width 3 x 3 channels (9)" });
    expect(toRawImage(img({ data: new Uint8Array(17) }))).toEqual({ ok: false, reason: "17 data bytes, expected >= 18 for 3x2 bgr8 step 9" });
  });
});
