/**
 * CDR (the ROS 2 wire format) for the embedded message definitions, via @foxglove/rosmsg2-serialization.
 * One codec per type, built once and cached: the node serializes nothing itself at runtime (rclnodejs
 * does), but rosbag2 writing and the tests do.
 */
import { MessageReader, MessageWriter } from "@foxglove/rosmsg2-serialization";
import { parsedDefinitions, shortTypeName } from "./schema.js";

export class CdrCodec<T = unknown> {
  readonly type: string;
  #writer: MessageWriter;
  #reader: MessageReader<T>;
  static #cache = new Map<string, CdrCodec<unknown>>();

  private constructor(type: string) {
    this.type = type;
    const definitions = parsedDefinitions(type);
    this.#writer = new MessageWriter(definitions);
    this.#reader = new MessageReader<T>(definitions);
  }

  /** The codec of `pkg/Type` or `pkg/msg/Type`; throws when no definition is embedded for it. */
  static for<T = unknown>(type: string): CdrCodec<T> {
    const key = shortTypeName(type);
    let codec = CdrCodec.#cache.get(key);
    if (codec === undefined) {
      codec = new CdrCodec<unknown>(key);
      CdrCodec.#cache.set(key, codec);
    }
    return codec as CdrCodec<T>;
  }

  /** Serialized size in bytes, including the 4-byte encapsulation header. */
  byteSize(message: T): number {
    return this.#writer.calculateByteSize(message);
  }

  serialize(message: T): Uint8Array {
    return this.#writer.writeMessage(message);
  }

  /** Reads one message; trailing bytes are allowed (DDS pads payloads to 4-byte multiples). */
  deserialize(bytes: ArrayBufferView): T {
    return this.#reader.readMessage<T>(bytes);
  }
}
