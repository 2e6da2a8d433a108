/**
 * A test double of the RosNodeHandle seam: records publishers and their messages, lets tests deliver
 * messages to subscriptions and run `ros2 param set`, applies launch overrides, and behaves like ROS
 * where it matters (read-only parameters refused before the node's callback, typed declare).
 */
import type {
  ParameterDescriptor, ParameterValue, QosProfile, RosLogger, RosNodeHandle, RosPublisher, SetParametersResult,
} from "./rosInterface.js";

export class FakePublisher<T> implements RosPublisher<T> {
  readonly messages: T[] = [];
  subscribers = 0;
  constructor(readonly type: string, readonly topic: string, readonly qos: QosProfile) {}
  publish(message: T): void {
    this.messages.push(message);
  }
  subscriptionCount(): number {
    return this.subscribers;
  }
  get last(): T | undefined {
    return this.messages[this.messages.length - 1];
  }
}

export class FakeRosNode implements RosNodeHandle {
  readonly name = "lightnet_trt";
  readonly logs: { level: keyof RosLogger; message: string }[] = [];
  readonly logger: RosLogger;
  readonly publishers = new Map<string, FakePublisher<unknown>>();
  readonly subscriptions = new Map<string, { type: string; qos: QosProfile; callback: (m: unknown) => void }>();
  readonly descriptors = new Map<string, ParameterDescriptor>();
  readonly values = new Map<string, ParameterValue>();
  exitCode: number | null = null;
  nowNs = 1_000_000_000_000n;
  #onSet: ((changes: { name: string; value: ParameterValue }[]) => SetParametersResult) | null = null;

  constructor(readonly overrides: Record<string, ParameterValue> = {}) {
    const log = (level: keyof RosLogger) => (message: string) => this.logs.push({ level, message });
    this.logger = { debug: log("debug"), info: log("info"), warn: log("warn"), error: log("error") };
  }

  nowNanoseconds(): bigint {
    return this.nowNs;
  }

  createPublisher<T>(type: string, topic: string, qos: QosProfile): RosPublisher<T> {
    if (this.publishers.has(topic)) throw new Error(`publisher ${topic} created twice`);
    const p = new FakePublisher<T>(type, topic, qos);
    this.publishers.set(topic, p as FakePublisher<unknown>);
    return p;
  }

  createSubscription<T>(type: string, topic: string, qos: QosProfile, callback: (message: T) => void): void {
    this.subscriptions.set(topic, { type, qos, callback: callback as (m: unknown) => void });
  }

  declareParameter(descriptor: ParameterDescriptor, defaultValue: ParameterValue): ParameterValue {
    if (this.descriptors.has(descriptor.name)) throw new Error(`parameter ${descriptor.name} declared twice`);
    this.descriptors.set(descriptor.name, descriptor);
    const value = this.overrides[descriptor.name] ?? defaultValue;
    this.values.set(descriptor.name, value);
    return value;
  }

  onSetParameters(callback: (changes: { name: string; value: ParameterValue }[]) => SetParametersResult): void {
    this.#onSet = callback;
  }

  shutdown(exitCode: number): void {
    this.exitCode = exitCode;
  }

  /** `ros2 param set` of one or more parameters, atomically. */
  setParameters(changes: Record<string, ParameterValue>): SetParametersResult {
    const list = Object.entries(changes).map(([name, value]) => ({ name, value }));
    for (const { name } of list) {
      const d = this.descriptors.get(name);
      if (d === undefined) return { successful: false, reason: `parameter ${name} not declared` };
      if (d.readOnly) return { successful: false, reason: `Trying to set a read-only parameter: ${name}` };
    }
    const result = this.#onSet?.(list) ?? { successful: true, reason: "" };
    if (result.successful) for (const { name, value } of list) this.values.set(name, value);
    return result;
  }

  deliver(topic: string, message: unknown): void {
    const sub = this.subscriptions.get(topic);
    if (sub === undefined) throw new Error(`no subscription on ${topic} (have ${[...this.subscriptions.keys()].join(", ")})`);
    sub.callback(message);
  }

  publisher<T>(topic: string): FakePublisher<T> {
    const p = this.publishers.get(topic);
    if (p === undefined) throw new Error(`no publisher on ${topic} (have ${[...this.publishers.keys()].join(", ")})`);
    return p as FakePublisher<T>;
  }

  messagesAt(level: keyof RosLogger): string[] {
    return this.logs.filter((l) => l.level === level).map((l) => l.message);
  }
}
