import { describe, expect, it } from "vitest";
import { validateDetectOptions } from "./validateDetectOptions.js";

describe("validateDetectOptions", () => {
  it("fills the documented defaults", () => {
    expect(validateDetectOptions()).toEqual({ scoreThreshold: 0.25, nmsThreshold: 0.45 });
    expect(validateDetectOptions({ nmsThreshold: 0.5 })).toEqual({ scoreThreshold: 0.25, nmsThreshold: 0.5 });
  });
  it("rejects out-of-range and unknown values", () => {
    expect(() => validateDetectOptions({ scoreThreshold: 1.5 })).toThrow(
      "Expected a number in [0, 1] for options.scoreThreshold but received 1.5 of type number",
    );
    expect(() => validateDetectOptions({ nmsThreshold: Number.NaN })).toThrow("options.nmsThreshold");
    expect(() => validateDetectOptions({ iou: 0.5 } as never)).toThrow("Expected only scoreThreshold, nmsThreshold for options but received 'iou'");
  });
});
