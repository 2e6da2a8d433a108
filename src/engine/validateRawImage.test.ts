import { describe, expect, it } from "vitest";
import type { RawImage } from "./types.js";
import { validateRawImage } from "./validateRawImage.js";

const image = (over: Partial<RawImage> = {}): RawImage => ({
  width: 4, height: 2, encoding: "bgr8", step: 12, data: new Uint8Array(24), ...over,
});

describe("validateRawImage", () => {
  it("accepts tight and padded rows", () => {
    expect(() => validateRawImage(image(), "img")).not.toThrow();
    expect(() => validateRawImage(image({ step: 16, data: new Uint8Array(16 + 12) }), "img")).not.toThrow();
    expect(() => validateRawImage(image({ encoding: "mono8", step: 4, data: new Uint8Array(8) }), "img")).not.toThrow();
  });
  it("names the image and field", () => {
    expect(() => validateRawImage(image({ encoding: "yuv422" as never }), "images[1]")).toThrow(
      "Expected one of bgr8, rgb8, bgra8, rgba8, mono8 for images[1].encoding but received 'yuv422'",
    );
    expect(() => validateRawImage(image({ step: 8 }), "images[0]")).toThrow("Expected an integer >= 12 (width × channels) for images[0].step");
    expect(() => validateRawImage(image({ data: new Uint8Array(23) }), "images[0]")).toThrow(
      "Expected at least 24 bytes for images[0].data but received '23 bytes'",
    );
    expect(() => validateRawImage(image({ width: 0 }), "img")).toThrow("img.width");
  });
});
