import { describe, expect, it } from "vitest";
import { callNative, callNativeSync } from "./callNative.js";

describe("callNative", () => {
  it("keeps the native message and fields and shows the caller's stack", async () => {
    const native = Object.assign(new Error("cfg.cfg:3: bad"), { code: "LIGHTNET_MODEL_ERROR", file: "cfg.cfg" });
    native.stack = "Error: cfg.cfg:3: bad\n    at <native worker>";
    async function theCaller() {
      return callNative(() => Promise.reject(native));
    }
    const err = await theCaller().catch((e: unknown) => e as Error & { code: string; file: string });
    expect(err.message).toBe("cfg.cfg:3: bad");
    expect(err.code).toBe("LIGHTNET_MODEL_ERROR");
    expect(err.file).toBe("cfg.cfg");
    expect(err.stack).toMatch(/^Error: cfg\.cfg:3: bad\n/);
    expect(err.stack).not.toContain("<native worker>");
    expect(err.stack).toContain("callNative.test.ts");
  });

  it("passes results through", async () => {
    await expect(callNative(() => Promise.resolve(42))).resolves.toBe(42);
    expect(callNativeSync(() => 7)).toBe(7);
  });

  it("wraps synchronous throws too", () => {
    expect(() =>
      callNativeSync(() => {
        throw new RangeError("too big");
      }),
    ).toThrow(RangeError);
  });
});
