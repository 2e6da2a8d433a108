import { describe, expect, it } from "vitest";
import { loadRclnodejs, RclnodejsNode, type Rclnodejs } from "./rclnodejsAdapter.js";

/** Records what the adapter asks of rclnodejs; mirrors rclnodejs's bigint integers. */
function fakeRclnodejs() {
  const calls: { op: string; args: unknown[] }[] = [];
  let onSet: ((p: { name: string; type: number; value: unknown }[]) => unknown) | null = null;
  const overrides: Record<string, unknown> = { gpu_id: 1n, score_threshold: "high" };
  const node = {
    getLogger: () => ({ debug() {}, info() {}, warn() {}, error() {} }),
    now: () => ({ nanoseconds: 42n }),
    createPublisher: (type: string, topic: string, options: unknown) => {
      calls.push({ op: "pub", args: [type, topic, options] });
      return { topic: `/lightnet_trt/${topic.slice(2)}`, publish: (m: unknown) => calls.push({ op: "publish", args: [m] }) };
    },
    createSubscription: (type: string, topic: string, options: unknown) => calls.push({ op: "sub", args: [type, topic, options] }),
    declareParameter: (p: { name: string; type: number; value: unknown }, d: unknown, ignoreOverride = false) => {
      calls.push({ op: "declare", args: [p, d] });
      const o = ignoreOverride ? undefined : overrides[p.name];
      if (o !== undefined && typeof o !== typeof p.value && !(typeof o === "bigint" && p.type === 2)) throw new Error(`type mismatch for ${p.name}`);
      return { ...p, value: o ?? p.value };
    },
    getParameterOverrides: () => Object.entries(overrides).map(([name, value]) => ({ name, type: 0, value })),
    addOnSetParametersCallback: (cb: typeof onSet) => { onSet = cb; },
    countSubscribers: (topic: string) => (topic === "/lightnet_trt/out/image" ? 2 : 0),
    spin: () => {},
  };
  class Parameter { constructor(public name: string, public type: number, public value: unknown) {} }
  class ParameterDescriptor {
    additionalConstraints = "";
    constructor(public name: string, public type: number, public description: string, public readOnly: boolean, public range?: unknown) {}
  }
  class FloatingPointRange { constructor(public from: number, public to: number, public step: number) {} }
  class IntegerRange { constructor(public from: bigint, public to: bigint, public step: bigint) {} }
  class QoS {
    static profileSensorData = "qos_profile_sensor_data";
    static profileDefault = "qos_profile_default";
    static HistoryPolicy = { RMW_QOS_POLICY_HISTORY_KEEP_LAST: 1 };
    static ReliabilityPolicy = { RMW_QOS_POLICY_RELIABILITY_RELIABLE: 1 };
    static DurabilityPolicy = { RMW_QOS_POLICY_DURABILITY_TRANSIENT_LOCAL: 1 };
    constructor(public history: number, public depth: number, public reliability: number, public durability: number) {}
  }
  const rcl = {
    init: async () => { calls.push({ op: "init", args: [] }); },
    createNode: (name: string) => { calls.push({ op: "node", args: [name] }); return node; },
    shutdown: () => calls.push({ op: "shutdown", args: [] }),
    Parameter, ParameterDescriptor, FloatingPointRange, IntegerRange, QoS,
    ParameterType: { PARAMETER_BOOL: 1, PARAMETER_INTEGER: 2, PARAMETER_DOUBLE: 3, PARAMETER_STRING: 4, PARAMETER_STRING_ARRAY: 9 },
  } as unknown as Rclnodejs;
  return { rcl, calls, set: (p: { name: string; type: number; value: unknown }[]) => onSet?.(p) };
}

describe("RclnodejsNode", () => {
  it("maps descriptors, ranges (bigint for integers), QoS and parameter values", async () => {
    const { rcl, calls, set } = fakeRclnodejs();
    let exitCode = -1;
    const node = await RclnodejsNode.withModule(rcl, "lightnet_trt", (c) => { exitCode = c; });
    expect(calls.slice(0, 2).map((c) => c.op)).toEqual(["init", "node"]);

    const gpu = node.declareParameter({ name: "gpu_id", type: "integer", description: "CUDA device", readOnly: false, range: { from: 0, to: 15, step: 1 } }, 0);
    expect(gpu).toBe(1); // override given as bigint, returned as number
    const [param, desc] = calls.find((c) => c.op === "declare")?.args as [{ type: number }, { range: { from: bigint }; readOnly: boolean }];
    expect(param.type).toBe(2);
    expect(desc.range.from).toBe(0n);
    node.declareParameter({ name: "precision", type: "string", description: "p", readOnly: true, additionalConstraints: "one of: fp32, fp16, int8" }, "fp16");
    const precisionDesc = calls.filter((c) => c.op === "declare")[1]?.args[1] as { readOnly: boolean; additionalConstraints: string };
    expect(precisionDesc).toMatchObject({ readOnly: true, additionalConstraints: "one of: fp32, fp16, int8" });

    // an override of the wrong type comes back as given, for the node to report
    const score = node.declareParameter({ name: "score_threshold", type: "double", description: "s", readOnly: false }, 0.35);
    expect(score).toBe("high");

    let seen: unknown;
    node.onSetParameters((changes) => { seen = changes; return { successful: true, reason: "" }; });
    set([{ name: "gpu_id", type: 2, value: 3n }, { name: "input_topics", type: 9, value: ["/a"] }]);
    expect(seen).toEqual([{ name: "gpu_id", value: 3 }, { name: "input_topics", value: ["/a"] }]);

    node.createSubscription("sensor_msgs/msg/Image", "~/in/image", "sensor_data", () => {});
    const overlay = node.createPublisher("sensor_msgs/msg/Image", "~/out/image", "default");
    const status = node.createPublisher("lightnet_trt/msg/EngineStatus", "~/out/status", "latched");
    expect(calls.find((c) => c.op === "sub")?.args[2]).toEqual({ qos: "qos_profile_sensor_data" });
    expect(calls.filter((c) => c.op === "pub")[1]?.args[2]).toEqual({ qos: { history: 1, depth: 1, reliability: 1, durability: 1 } });
    expect(overlay.subscriptionCount()).toBe(2);
    expect(status.subscriptionCount()).toBe(0);
    expect(node.nowNanoseconds()).toBe(42n);
    node.shutdown(0);
    expect(exitCode).toBe(0);
    expect(calls[calls.length - 1]?.op).toBe("shutdown");
  });

  it("without a sourced ROS 2 fails at once with what to do (no import, no rebuild attempt)", async () => {
    await expect(loadRclnodejs({})).rejects.toThrow(
      "cannot load rclnodejs: no ROS 2 environment (AMENT_PREFIX_PATH is not set). Source ROS 2 (e.g. /opt/ros/humble/setup.bash)",
    );
  });
});
