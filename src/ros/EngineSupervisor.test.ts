import { describe, expect, it } from "vitest";
import { EngineSupervisor, sameOptions, type SupervisorStatus } from "./EngineSupervisor.js";
import { ControlledFactory, flush, type GatedDetector } from "./fakeDetector.testutil.js";

const fp32 = { cfg: "a.cfg", precision: "fp32" as const, backend: "cpu" as const };
const fp16 = { ...fp32, precision: "fp16" as const };
const int8 = { ...fp32, precision: "int8" as const };

function setup(check?: (d: GatedDetector) => void) {
  const factory = new ControlledFactory();
  const statuses: SupervisorStatus[] = [];
  const sup = new EngineSupervisor<GatedDetector>(factory.create, (s) => statuses.push(s), check);
  return { factory, statuses, sup };
}

describe("EngineSupervisor", () => {
  it("builds in the background and reports progress, then serves", async () => {
    const { factory, statuses, sup } = setup();
    sup.request(fp32);
    expect(sup.status.state).toBe("building");
    expect(sup.acquire()).toBeNull();
    factory.last.progress(0.5, "layer 20/40");
    expect(sup.status).toMatchObject({ state: "building", progress: 0.5, message: "layer 20/40", precision: "fp32" });
    const det = factory.last.succeed();
    await sup.whenIdle();
    expect(sup.status).toMatchObject({ state: "ready", progress: 1, rebuilding: false, lastError: "" });
    expect(sup.acquire()?.detector).toBe(det);
    expect(statuses.map((s) => s.state)).toContain("building");
  });

  it("a rebuild swaps atomically; the old engine serves meanwhile and closes after its last lease", async () => {
    const { factory, sup } = setup();
    sup.request(fp32);
    const old = factory.last.succeed();
    await sup.whenIdle();
    sup.request(fp16);
    expect(sup.status).toMatchObject({ state: "ready", rebuilding: true });
    const lease = sup.acquire();
    expect(lease?.detector).toBe(old);
    const fresh = factory.last.succeed();
    await sup.whenIdle();
    expect(sup.acquire()?.detector).toBe(fresh);
    expect(old.closed).toBe(false); // still leased by an in-flight inference
    lease?.release();
    expect(old.closed).toBe(true);
    expect(sup.status).toMatchObject({ state: "ready", rebuilding: false, precision: "fp16" });
  });

  it("a failed rebuild keeps the old engine serving and reports why", async () => {
    const { factory, sup } = setup();
    sup.request(fp32);
    const old = factory.last.succeed();
    await sup.whenIdle();
    sup.request(int8);
    factory.last.fail("int8 needs calibration_image_list_path");
    await sup.whenIdle();
    expect(sup.status).toMatchObject({ state: "ready", lastError: "int8 needs calibration_image_list_path", precision: "fp32" });
    expect(sup.acquire()?.detector).toBe(old);
    expect(old.closed).toBe(false);
  });

  it("a failed first build leaves state failed with the reason", async () => {
    const { factory, sup } = setup();
    sup.request(fp32);
    factory.last.fail("a.cfg:3: [net] width=0, expected > 0");
    await sup.whenIdle();
    expect(sup.status).toMatchObject({ state: "failed", lastError: "a.cfg:3: [net] width=0, expected > 0" });
    expect(sup.acquire()).toBeNull();
    sup.request(fp16); // a fixed parameter retries
    factory.last.succeed();
    await sup.whenIdle();
    expect(sup.status).toMatchObject({ state: "ready", lastError: "" });
  });

  it("requests during a build coalesce to the newest; a superseded engine is never served", async () => {
    const { factory, sup } = setup();
    sup.request(fp32);
    sup.request(fp16);
    sup.request(int8);
    const superseded = factory.last.succeed();
    await flush();
    expect(factory.builds.map((b) => b.options.precision)).toEqual(["fp32", "int8"]);
    expect(superseded.closed).toBe(true);
    const served = factory.last.succeed();
    await sup.whenIdle();
    expect(sup.acquire()?.detector).toBe(served);
  });

  it("equal settings do not rebuild; a failing post-build check closes the engine and fails", async () => {
    const { factory, sup } = setup((d) => {
      if (d.options.precision === "int8") throw new Error("label map lacks class person");
    });
    sup.request(fp32);
    factory.last.succeed();
    await sup.whenIdle();
    sup.request({ ...fp32 });
    expect(factory.builds).toHaveLength(1);
    sup.request(int8);
    const rejected = factory.last.succeed();
    await sup.whenIdle();
    expect(rejected.closed).toBe(true);
    expect(sup.status).toMatchObject({ state: "ready", precision: "fp32", lastError: "label map lacks class person" });
  });

  it("sameOptions compares every setting", () => {
    expect(sameOptions({ cfg: "a", batch: 1 }, { batch: 1, cfg: "a" })).toBe(true);
    expect(sameOptions({ cfg: "a" }, { cfg: "a", sparsity: true })).toBe(false);
  });
});
