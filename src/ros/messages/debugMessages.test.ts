import { describe, expect, it } from "vitest";
import { engineStatusMessage, float64Stamped, timeFromNanoseconds, timeToNanoseconds } from "./debugMessages.js";
import { cdrRoundTrip } from "./sharedCodec.testutil.js";
import { EngineState, MessageType, type EngineStatus, type Float64Stamped } from "./types.js";

describe("debug messages", () => {
  it("time conversion", () => {
    expect(timeFromNanoseconds(1_700_000_000_123_456_789n)).toEqual({ sec: 1_700_000_000, nanosec: 123_456_789 });
    expect(timeToNanoseconds({ sec: 3, nanosec: 4 })).toBe(3_000_000_004n);
  });

  it("Float64Stamped and EngineStatus round trip through CDR", () => {
    const f = float64Stamped({ sec: 3, nanosec: 4 }, 12.25);
    expect(cdrRoundTrip<Float64Stamped>(MessageType.Float64Stamped, f).decoded).toEqual(f);
    const s = engineStatusMessage({ stamp: { sec: 1, nanosec: 0 }, frame_id: "" }, {
      state: EngineState.FAILED, rebuilding: false, backend: "cpu", precision: "fp32", model_cfg: "a.cfg",
      build_progress: 0.5, build_message: "conv 3/40", last_error: "a.cfg:3: [net] width=0, expected > 0",
    });
    expect(cdrRoundTrip<EngineStatus>(MessageType.EngineStatus, s).decoded).toEqual(s);
  });
});
