import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { addonCandidates, loadNative } from "./native.js";

describe("native", () => {
  const saved = process.env["LIGHTNET_ADDON"];
  afterEach(() => {
    if (saved === undefined) delete process.env["LIGHTNET_ADDON"];
    else process.env["LIGHTNET_ADDON"] = saved;
  });

  it("looks in $LIGHTNET_ADDON first, then the cmake-js build of this package", () => {
    process.env["LIGHTNET_ADDON"] = "/opt/x.node";
    const candidates = addonCandidates();
    expect(candidates[0]).toBe("/opt/x.node");
    expect(candidates[1]).toBe(path.resolve(import.meta.dirname, "..", "native", "build", "Release", "lightnet_addon.node"));
  });

  it("loads the addon and reports what it was built with", () => {
    const native = loadNative();
    expect(native.availableBackends()).toContain("cpu");
    const versions = native.versions();
    expect(versions["napi"]).toBe("8");
    expect(versions["opencv"]).toMatch(/^\d+\.\d+\.\d+$/);
  });
});
