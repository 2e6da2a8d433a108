/**
 * The thin typed seam between the node and ROS 2. rclnodejsAdapter.ts implements it over rclnodejs
 * (loaded lazily, absent on machines without ROS); the tests drive the node through FakeRosNode.
 */

export type ParameterValue = string | number | boolean | string[];
export type ParameterType = "string" | "integer" | "double" | "bool" | "string_array";

/** What ROS shows for a parameter (`ros2 param describe`). */
export interface ParameterDescriptor {
  name: string;
  type: ParameterType;
  description: string;
  /** true where a change needs a restart (ROS then refuses `ros2 param set`) */
  readOnly: boolean;
  /** inclusive numeric range for integer/double parameters */
  range?: { from: number; to: number; step: number };
  /** free text, e.g. the allowed values of a string */
  additionalConstraints?: string;
}

export interface SetParametersResult {
  successful: boolean;
  reason: string;
}

/** sensor_data: best effort, volatile, depth 5 (camera input); default: reliable depth 1; latched: reliable, transient local, depth 1. */
export type QosProfile = "sensor_data" | "default" | "latched";

export interface RosPublisher<T> {
  readonly topic: string;
  publish(message: T): void;
  /** how many subscriptions are matched now (the overlay is built only when > 0) */
  subscriptionCount(): number;
}

export interface RosLogger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface RosNodeHandle {
  readonly name: string;
  readonly logger: RosLogger;
  /** ROS time (sim time when use_sim_time) in nanoseconds */
  nowNanoseconds(): bigint;
  createPublisher<T>(type: string, topic: string, qos: QosProfile): RosPublisher<T>;
  createSubscription<T>(type: string, topic: string, qos: QosProfile, callback: (message: T) => void): void;
  /**
   * Declares a parameter and returns its value: the launch/yaml override if given, else `defaultValue`.
   * An override of the wrong type is returned as given (the caller validates and reports it).
   */
  declareParameter(descriptor: ParameterDescriptor, defaultValue: ParameterValue): ParameterValue;
  /** Called before `ros2 param set` takes effect; returning successful=false rejects the whole set. */
  onSetParameters(callback: (changes: { name: string; value: ParameterValue }[]) => SetParametersResult): void;
  /** Ends the process's ROS work (build_only, fatal errors) with this exit code. */
  shutdown(exitCode: number): void;
}
