import { describe, expect, it } from "vitest";
import { encodeNpy } from "./encodeNpy.js";

describe("encodeNpy", () => {
  it("writes the exact bytes numpy.save writes for float32 (1, 2, 2, 1)", () => {
    const npy = encodeNpy(new Float32Array([1, 2, 3, -0.5]), [1, 2, 2, 1]);
    // Known answer: numpy.save(f, numpy.array([1, 2, 3, -0.5], '<f4').reshape(1, 2, 2, 1))
    const dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2, 2, 1), }";
    expect(npy.subarray(0, 8)).toEqual(Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]));
    expect(npy.readUInt16LE(8)).toBe(118);
    expect(npy.toString("latin1", 10, 10 + dict.length)).toBe(dict);
    expect(npy[127]).toBe(0x0a);
    expect(npy.length).toBe(128 + 16);
    expect(Array.from(new Float32Array(npy.buffer.slice(npy.byteOffset + 128, npy.byteOffset + 144)))).toEqual([1, 2, 3, -0.5]);
  });
  it("writes a one-dimensional shape as a tuple", () => {
    expect(encodeNpy(new Float32Array(3), [3]).toString("latin1")).toContain("'shape': (3,), }");
  });
  it("rejects a shape that does not match the data", () => {
    expect(() => encodeNpy(new Float32Array(5), [2, 2])).toThrow("npy: shape [2, 2] holds 4 values, data has 5");
  });
});
