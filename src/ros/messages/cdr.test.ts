import { describe, expect, it } from "vitest";
import { CdrCodec } from "./cdr.js";
import type { Float64Stamped, Image } from "./types.js";

describe("CdrCodec", () => {
  it("Float64Stamped: known CDR bytes (little-endian encapsulation, 8-byte aligned float64)", () => {
    const codec = CdrCodec.for<Float64Stamped>("autoware_internal_debug_msgs/msg/Float64Stamped");
    const bytes = codec.serialize({ stamp: { sec: 1, nanosec: 2 }, data: 3.5 });
    // 00 01 00 00 = CDR_LE header; sec int32; nanosec uint32; float64 at offset 8 of the body.
    expect([...bytes]).toEqual([0, 1, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0c, 0x40]);
    expect(codec.byteSize({ stamp: { sec: 1, nanosec: 2 }, data: 3.5 })).toBe(20);
    expect(codec.deserialize(bytes)).toEqual({ stamp: { sec: 1, nanosec: 2 }, data: 3.5 });
  });

  it("Image round trip keeps the pixel bytes", () => {
    const codec = CdrCodec.for<Image>("sensor_msgs/Image");
    const image: Image = {
      header: { stamp: { sec: 5, nanosec: 6 }, frame_id: "camera0" },
      height: 2, width: 3, encoding: "mono8", is_bigendian: 0, step: 3,
      data: Uint8Array.from([1, 2, 3, 4, 5, 6]),
    };
    expect(codec.deserialize(codec.serialize(image))).toEqual(image);
    expect(CdrCodec.for("sensor_msgs/msg/Image")).toBe(codec);
  });
});
