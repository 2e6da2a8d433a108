/**
 * Writes a rosbag2-compatible MCAP file: profile "ros2", schemas as "ros2msg" text with their nested
 * definitions (the node's embedded ../shared/interfaces copies), messages as CDR, the channel's QoS in
 * `offered_qos_profiles` and rosbag2's own metadata record, so `ros2 bag info/play` and Foxglove read it.
 * Chunks are indexed; optional zstd chunk compression (what rosbag2's zstd storage presets use).
 */
import { McapWriter } from "@mcap/core";
import { stringify as toYaml } from "yaml";
import { CdrCodec } from "../ros/messages/cdr.js";
import { fullTypeName, ros2msgSchema } from "../ros/messages/schema.js";
import { FileWritable } from "./FileWritable.js";

export type ChunkCompression = "none" | "zstd";

/** Reliable, keep-last(10), volatile: what a default rclcpp/rclnodejs publisher offers (rosbag2's YAML form). */
const DEFAULT_QOS = `- history: 3
  depth: 0
  reliability: 1
  durability: 2
  deadline:
    sec: 2147483647
    nsec: 4294967295
  lifespan:
    sec: 2147483647
    nsec: 4294967295
  liveliness: 1
  liveliness_lease_duration:
    sec: 2147483647
    nsec: 4294967295
  avoid_ros_namespace_conventions: false
`;

interface TopicState {
  channelId: number;
  type: string;
  codec: CdrCodec<unknown>;
  sequence: number;
  count: number;
}

async function chunkCompressor(kind: ChunkCompression): Promise<((data: Uint8Array) => { compression: string; compressedData: Uint8Array }) | undefined> {
  if (kind === "none") return undefined;
  const zstd = (await import("@foxglove/wasm-zstd")).default as typeof import("@foxglove/wasm-zstd");
  await zstd.isLoaded;
  return (data) => ({ compression: "zstd", compressedData: new Uint8Array(zstd.compress(data, 3)) });
}

export class McapBagWriter {
  readonly path: string;
  readonly #file: FileWritable;
  readonly #writer: McapWriter;
  readonly #schemas = new Map<string, number>();
  readonly #topics = new Map<string, TopicState>();
  #start: bigint | undefined;
  #end = 0n;
  #closed = false;
  /** serialises calls: McapWriter must not be re-entered */
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(path: string, file: FileWritable, writer: McapWriter) {
    this.path = path;
    this.#file = file;
    this.#writer = writer;
  }

  /** `chunkSize`: bytes of messages per chunk (a torn last chunk is what a crash loses). */
  static async create(path: string, compression: ChunkCompression = "none", chunkSize = 4 << 20): Promise<McapBagWriter> {
    const file = await FileWritable.create(path);
    const compressChunk = await chunkCompressor(compression);
    const writer = new McapWriter({ writable: file, ...(compressChunk && { compressChunk }), chunkSize });
    await writer.start({ profile: "ros2", library: "lightnet-trt" });
    return new McapBagWriter(path, file, writer);
  }

  /** Serializes `message` as CDR of `type` and appends it on `topic` at the given times (ns). */
  write(topic: string, type: string, message: unknown, logTime: bigint, publishTime: bigint = logTime): Promise<void> {
    const run = this.#queue.then(() => this.#write(topic, type, message, logTime, publishTime));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #write(topic: string, type: string, message: unknown, logTime: bigint, publishTime: bigint): Promise<void> {
    if (this.#closed) throw new Error(`${this.path}: write after close`);
    const state = await this.#topic(topic, fullTypeName(type));
    const data = state.codec.serialize(message);
    await this.#writer.addMessage({ channelId: state.channelId, sequence: state.sequence++, logTime, publishTime, data });
    state.count++;
    if (this.#start === undefined || logTime < this.#start) this.#start = logTime;
    if (logTime > this.#end) this.#end = logTime;
  }

  async #topic(topic: string, type: string): Promise<TopicState> {
    const known = this.#topics.get(topic);
    if (known) {
      if (known.type !== type) throw new Error(`${this.path}: topic ${topic} already carries ${known.type}, cannot add ${type}`);
      return known;
    }
    let schemaId = this.#schemas.get(type);
    if (schemaId === undefined) {
      schemaId = await this.#writer.registerSchema({ name: type, encoding: "ros2msg", data: new TextEncoder().encode(ros2msgSchema(type)) });
      this.#schemas.set(type, schemaId);
    }
    const channelId = await this.#writer.registerChannel({
      schemaId,
      topic,
      messageEncoding: "cdr",
      metadata: new Map([["offered_qos_profiles", DEFAULT_QOS]]),
    });
    const state: TopicState = { channelId, type, codec: CdrCodec.for(type), sequence: 0, count: 0 };
    this.#topics.set(topic, state);
    return state;
  }

  /** Messages written per topic so far. */
  counts(): Map<string, number> {
    return new Map([...this.#topics].map(([t, s]) => [t, s.count]));
  }

  /** Writes the summary and rosbag2's metadata record and closes the file. Safe to call twice. */
  async close(): Promise<void> {
    await this.#queue;
    if (this.#closed) return;
    this.#closed = true;
    try {
      await this.#writer.addMetadata({ name: "rosbag2", metadata: new Map([["serialized_metadata", this.#rosbag2Metadata()]]) });
      await this.#writer.end();
    } finally {
      await this.#file.close();
    }
  }

  /** The BagMetadata rosbag2_storage_mcap stores in the file (what `ros2 bag info` prints). */
  #rosbag2Metadata(): string {
    const start = this.#start ?? 0n;
    const topics = [...this.#topics].map(([name, s]) => ({
      topic_metadata: { name, type: s.type, serialization_format: "cdr", offered_qos_profiles: DEFAULT_QOS, type_description_hash: "" },
      message_count: s.count,
    }));
    return toYaml({
      rosbag2_bagfile_information: {
        version: 8,
        storage_identifier: "mcap",
        duration: { nanoseconds: this.#end - start },
        starting_time: { nanoseconds_since_epoch: start },
        message_count: topics.reduce((n, t) => n + t.message_count, 0),
        topics_with_message_count: topics,
        compression_format: "",
        compression_mode: "",
        relative_file_paths: [this.path.split("/").pop()],
        files: [],
        custom_data: {},
        ros_distro: "",
      },
    });
  }
}
