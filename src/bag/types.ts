/** Plain data of rosbag2 reading and writing. Times are nanoseconds since the epoch, as rosbag2 stores them. */

export interface BagTopic {
  name: string;
  /** ROS type, "sensor_msgs/msg/Image" */
  type: string;
  /** "cdr" for ROS 2 */
  serialization: string;
  /** messages on the topic, when the bag's index says */
  messageCount: number | null;
}

export interface BagMessage {
  topic: string;
  type: string;
  /** receive time recorded by rosbag2 */
  logTime: bigint;
  publishTime: bigint;
  /** serialized message (CDR), already decompressed */
  data: Uint8Array;
}

/** One opened bag (a file or a rosbag2 directory of files), read in time order. */
export interface BagReader {
  readonly path: string;
  /** "mcap" or "sqlite3" */
  readonly storage: string;
  topics(): BagTopic[];
  /** Messages on `topics`, in log-time order within each file, files in the bag's order. */
  messages(topics: readonly string[]): AsyncGenerator<BagMessage>;
  close(): Promise<void>;
}
