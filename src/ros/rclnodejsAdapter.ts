/**
 * RosNodeHandle over rclnodejs. rclnodejs is an optional dependency that only builds where ROS 2 is
 * sourced, so it is imported lazily here and nowhere else; the node and its tests never load it.
 * Only the few rclnodejs calls below are used, declared as a narrow structural type.
 */
import type {
  ParameterDescriptor, ParameterType, ParameterValue, QosProfile, RosLogger, RosNodeHandle, RosPublisher,
  SetParametersResult,
} from "./rosInterface.js";

interface RclParameter {
  name: string;
  type: number;
  value: unknown;
}

interface RclNode {
  getLogger(): RosLogger;
  now(): { nanoseconds: bigint };
  createPublisher(type: string, topic: string, options: { qos: unknown }): { topic: string; publish(m: unknown): void };
  createSubscription(type: string, topic: string, options: { qos: unknown }, cb: (m: unknown) => void): unknown;
  declareParameter(parameter: unknown, descriptor: unknown, ignoreOverride?: boolean): RclParameter;
  getParameterOverrides(): RclParameter[];
  addOnSetParametersCallback(cb: (params: RclParameter[]) => SetParametersResult): void;
  countSubscribers(topic: string): number;
  spin(timeoutMs?: number): void;
}

export interface Rclnodejs {
  init(): Promise<void>;
  createNode(name: string): RclNode;
  shutdown(): void;
  Parameter: new (name: string, type: number, value: unknown) => unknown;
  ParameterDescriptor: new (name: string, type: number, description: string, readOnly: boolean, range?: unknown) => { additionalConstraints: string };
  ParameterType: Record<string, number>;
  FloatingPointRange: new (from: number, to: number, step: number) => unknown;
  IntegerRange: new (from: bigint, to: bigint, step: bigint) => unknown;
  QoS: {
    new (history: number, depth: number, reliability: number, durability: number): unknown;
    profileSensorData: unknown;
    profileDefault: unknown;
    HistoryPolicy: Record<string, number>;
    ReliabilityPolicy: Record<string, number>;
    DurabilityPolicy: Record<string, number>;
  };
}

const HOW_TO =
  "Source ROS 2 (e.g. /opt/ros/humble/setup.bash) and run `npm install rclnodejs` in the package " +
  "(it builds against the sourced ROS).";

/**
 * Loads rclnodejs, explaining what to do when it is missing or was built without ROS 2. Without a
 * sourced ROS 2 it fails at once: importing rclnodejs there starts a node-gyp rebuild of itself.
 */
export async function loadRclnodejs(env: NodeJS.ProcessEnv = process.env): Promise<Rclnodejs> {
  if (env.AMENT_PREFIX_PATH === undefined || env.AMENT_PREFIX_PATH === "") {
    throw new Error(`cannot load rclnodejs: no ROS 2 environment (AMENT_PREFIX_PATH is not set). ${HOW_TO}`);
  }
  const specifier = "rclnodejs"; // a variable: TypeScript must not require its types at build time
  try {
    const mod = (await import(specifier)) as { default?: Rclnodejs } & Rclnodejs;
    return mod.default ?? mod;
  } catch (e) {
    throw new Error(`cannot load rclnodejs (${(e as Error).message}). ${HOW_TO}`);
  }
}

const TYPE_NAMES: Record<ParameterType, string> = {
  string: "PARAMETER_STRING",
  integer: "PARAMETER_INTEGER",
  double: "PARAMETER_DOUBLE",
  bool: "PARAMETER_BOOL",
  string_array: "PARAMETER_STRING_ARRAY",
};

/** rclnodejs values (bigint integers, arrays) → the seam's plain values. */
function fromRcl(value: unknown): ParameterValue {
  if (typeof value === "bigint") return Number(value);
  if (Array.isArray(value)) return value.map(String);
  return value as ParameterValue;
}

class RclPublisher<T> implements RosPublisher<T> {
  constructor(readonly node: RclNode, readonly inner: { topic: string; publish(m: unknown): void }) {}
  get topic(): string {
    return this.inner.topic;
  }
  publish(message: T): void {
    this.inner.publish(message);
  }
  subscriptionCount(): number {
    return this.node.countSubscribers(this.inner.topic);
  }
}

export class RclnodejsNode implements RosNodeHandle {
  readonly name: string;
  readonly logger: RosLogger;
  readonly #rcl: Rclnodejs;
  readonly #node: RclNode;
  readonly #exit: (code: number) => void;

  private constructor(rcl: Rclnodejs, node: RclNode, name: string, exit: (code: number) => void) {
    this.#rcl = rcl;
    this.#node = node;
    this.name = name;
    this.logger = node.getLogger();
    this.#exit = exit;
  }

  /** Initializes rclnodejs (reading --ros-args from argv: remaps, params files) and creates the node. */
  static async create(name: string, exit: (code: number) => void = (code) => { process.exitCode = code; }): Promise<RclnodejsNode> {
    return RclnodejsNode.withModule(await loadRclnodejs(), name, exit);
  }

  /** Same as create() with a given rclnodejs module (tests pass a stand-in). */
  static async withModule(rcl: Rclnodejs, name: string, exit: (code: number) => void): Promise<RclnodejsNode> {
    await rcl.init();
    return new RclnodejsNode(rcl, rcl.createNode(name), name, exit);
  }

  spin(): void {
    this.#node.spin();
  }

  nowNanoseconds(): bigint {
    return this.#node.now().nanoseconds;
  }

  #qos(profile: QosProfile): unknown {
    const Q = this.#rcl.QoS;
    if (profile === "sensor_data") return Q.profileSensorData;
    if (profile === "default") return Q.profileDefault;
    return new Q(
      Q.HistoryPolicy.RMW_QOS_POLICY_HISTORY_KEEP_LAST as number,
      1,
      Q.ReliabilityPolicy.RMW_QOS_POLICY_RELIABILITY_RELIABLE as number,
      Q.DurabilityPolicy.RMW_QOS_POLICY_DURABILITY_TRANSIENT_LOCAL as number,
    );
  }

  createPublisher<T>(type: string, topic: string, qos: QosProfile): RosPublisher<T> {
    return new RclPublisher<T>(this.#node, this.#node.createPublisher(type, topic, { qos: this.#qos(qos) }));
  }

  createSubscription<T>(type: string, topic: string, qos: QosProfile, callback: (message: T) => void): void {
    this.#node.createSubscription(type, topic, { qos: this.#qos(qos) }, (m) => callback(m as T));
  }

  declareParameter(d: ParameterDescriptor, defaultValue: ParameterValue): ParameterValue {
    const rcl = this.#rcl;
    const type = rcl.ParameterType[TYPE_NAMES[d.type]] as number;
    let range: unknown;
    if (d.range !== undefined) {
      range = d.type === "integer"
        ? new rcl.IntegerRange(BigInt(d.range.from), BigInt(d.range.to), BigInt(d.range.step))
        : new rcl.FloatingPointRange(d.range.from, d.range.to, d.range.step);
    }
    const descriptor = new rcl.ParameterDescriptor(d.name, type, d.description, d.readOnly, range);
    if (d.additionalConstraints !== undefined) descriptor.additionalConstraints = d.additionalConstraints;
    const parameter = new rcl.Parameter(d.name, type, defaultValue);
    try {
      return fromRcl(this.#node.declareParameter(parameter, descriptor).value);
    } catch (e) {
      // rclnodejs refuses an override of another type (`score_threshold: 1` in yaml). Declare with the
      // default instead and hand the override on, so the node reports it instead of crashing.
      const override = this.#node.getParameterOverrides().find((p) => p.name === d.name);
      if (override === undefined) throw e;
      this.#node.declareParameter(parameter, descriptor, true);
      return fromRcl(override.value);
    }
  }

  onSetParameters(callback: (changes: { name: string; value: ParameterValue }[]) => SetParametersResult): void {
    this.#node.addOnSetParametersCallback((params) => callback(params.map((p) => ({ name: p.name, value: fromRcl(p.value) }))));
  }

  shutdown(exitCode: number): void {
    this.#exit(exitCode);
    this.#rcl.shutdown();
  }
}
