import { describe, expect, it } from "vitest";
import { deferred, flush } from "./fakeDetector.testutil.js";
import { LatestFrameScheduler, type CameraFrame } from "./LatestFrameScheduler.js";

function setup(cameras: number) {
  const batches: CameraFrame<string>[][] = [];
  const gates: (() => void)[] = [];
  const errors: unknown[] = [];
  const sched = new LatestFrameScheduler<string>(cameras, async (batch) => {
    batches.push(batch);
    const gate = deferred<void>();
    gates.push(() => gate.resolve());
    await gate.promise;
    if (batch.some((f) => f.frame === "bad")) throw new Error("inference failed");
  }, (e) => errors.push(e));
  return { sched, batches, gates, errors };
}

describe("LatestFrameScheduler", () => {
  it("under load keeps only the newest frame per camera", async () => {
    const { sched, batches, gates } = setup(1);
    sched.push(0, "f1");
    for (const f of ["f2", "f3", "f4"]) sched.push(0, f);
    expect(batches.map((b) => b.map((x) => x.frame))).toEqual([["f1"]]);
    gates[0]?.();
    await flush();
    expect(batches.map((b) => b.map((x) => x.frame))).toEqual([["f1"], ["f4"]]);
    expect(sched.dropped).toEqual([2]);
    gates[1]?.();
    await sched.whenIdle();
    expect(sched.busy).toBe(false);
  });

  it("batches the waiting frame of every camera", async () => {
    const { sched, batches, gates } = setup(3);
    sched.push(1, "b1");
    sched.push(0, "a1");
    sched.push(2, "c1");
    sched.push(0, "a2");
    gates[0]?.();
    await flush();
    expect(batches[1]).toEqual([{ camera: 0, frame: "a2" }, { camera: 2, frame: "c1" }]);
    expect(sched.dropped).toEqual([1, 0, 0]); // a1 was replaced while b1 ran
    gates[1]?.();
    await sched.whenIdle();
  });

  it("a failed batch is reported and the next frames still run", async () => {
    const { sched, batches, gates, errors } = setup(1);
    sched.push(0, "bad");
    sched.push(0, "ok");
    gates[0]?.();
    await flush();
    gates[1]?.();
    await sched.whenIdle();
    expect(errors.map((e) => (e as Error).message)).toEqual(["inference failed"]);
    expect(batches.map((b) => b[0]?.frame)).toEqual(["bad", "ok"]);
    expect(() => sched.push(1, "x")).toThrow("camera 1: expected 0..0");
  });
});
