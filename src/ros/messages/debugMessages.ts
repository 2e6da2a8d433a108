/** Small messages: latency values (Float64Stamped) and the engine status, plus ROS time helpers. */
import type { EngineStatus, Float64Stamped, Header, Time } from "./types.js";

/** Nanoseconds since the epoch → builtin_interfaces/Time. */
export function timeFromNanoseconds(ns: bigint): Time {
  const sec = ns / 1_000_000_000n;
  return { sec: Number(sec), nanosec: Number(ns - sec * 1_000_000_000n) };
}

export function timeToNanoseconds(t: Time): bigint {
  return BigInt(t.sec) * 1_000_000_000n + BigInt(t.nanosec);
}

export function float64Stamped(stamp: Time, data: number): Float64Stamped {
  return { stamp, data };
}

export function engineStatusMessage(header: Header, status: Omit<EngineStatus, "header">): EngineStatus {
  return { header, ...status };
}
