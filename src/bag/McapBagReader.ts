/**
 * rosbag2 MCAP files. An indexed file is read through its summary (topics, counts, chunk indexes); a file
 * without one (a recording cut short) is streamed from the start, and reading stops with an error naming
 * the byte offset where the data turns unreadable.
 */
import { McapIndexedReader, McapStreamReader, type McapTypes } from "@mcap/core";
import { loadDecompressHandlers } from "@mcap/support";
import type { BagMessage, BagReader, BagTopic } from "./types.js";
import { BufferReadable, FileReadable } from "./FileReadable.js";

type Channel = McapTypes.Channel;
type Schema = McapTypes.Schema;

export class McapBagReader implements BagReader {
  readonly path: string;
  readonly storage = "mcap";
  readonly #readable: FileReadable | BufferReadable;
  readonly #indexed: McapIndexedReader | undefined;
  readonly #channels: Map<number, Channel>;
  readonly #schemas: Map<number, Schema>;
  readonly #counts: Map<number, number>;
  readonly #decompress: McapTypes.DecompressHandlers;

  private constructor(path: string, readable: FileReadable | BufferReadable, indexed: McapIndexedReader | undefined,
    channels: Map<number, Channel>, schemas: Map<number, Schema>, counts: Map<number, number>, decompress: McapTypes.DecompressHandlers) {
    this.path = path;
    this.#readable = readable;
    this.#indexed = indexed;
    this.#channels = channels;
    this.#schemas = schemas;
    this.#counts = counts;
    this.#decompress = decompress;
  }

  /** Opens `path`, or the already decompressed `bytes` of it. */
  static async open(path: string, bytes?: Uint8Array): Promise<McapBagReader> {
    const readable = bytes ? new BufferReadable(bytes) : await FileReadable.open(path);
    const decompressHandlers = await loadDecompressHandlers();
    try {
      const indexed = await McapIndexedReader.Initialize({ readable, decompressHandlers });
      const counts = new Map<number, number>();
      for (const [id, n] of indexed.statistics?.channelMessageCounts ?? []) counts.set(id, Number(n));
      return new McapBagReader(path, readable, indexed, new Map(indexed.channelsById), new Map(indexed.schemasById), counts, decompressHandlers);
    } catch {
      // No usable summary: learn channels by streaming (channels precede their messages in MCAP).
      const reader = new McapBagReader(path, readable, undefined, new Map(), new Map(), new Map(), decompressHandlers);
      await reader.#scanChannels();
      return reader;
    }
  }

  topics(): BagTopic[] {
    const byTopic = new Map<string, BagTopic>();
    for (const [id, ch] of this.#channels) {
      const known = byTopic.get(ch.topic);
      const count = this.#indexed ? (this.#counts.get(id) ?? 0) : null;
      if (known) {
        if (known.messageCount !== null && count !== null) known.messageCount += count;
        continue;
      }
      byTopic.set(ch.topic, { name: ch.topic, type: this.#schemas.get(ch.schemaId)?.name ?? "", serialization: ch.messageEncoding, messageCount: count });
    }
    return [...byTopic.values()];
  }

  async *messages(topics: readonly string[]): AsyncGenerator<BagMessage> {
    const wanted = new Set(topics);
    if (this.#indexed) {
      try {
        for await (const m of this.#indexed.readMessages({ topics: [...wanted], validateCrcs: true })) {
          yield this.#toBagMessage(m);
        }
      } catch (e) {
        throw new Error(`${this.path}: corrupt MCAP data (${(e as Error).message})`);
      }
      return;
    }
    for await (const record of this.#stream()) {
      if (record.type === "Message") {
        const ch = this.#channels.get(record.channelId);
        if (ch && wanted.has(ch.topic)) yield this.#toBagMessage(record);
      }
    }
  }

  async close(): Promise<void> {
    if (this.#readable instanceof FileReadable) await this.#readable.close();
  }

  #toBagMessage(m: McapTypes.Message): BagMessage {
    const ch = this.#channels.get(m.channelId);
    if (!ch) throw new Error(`${this.path}: message on channel ${m.channelId}, which no Channel record defines`);
    return { topic: ch.topic, type: this.#schemas.get(ch.schemaId)?.name ?? "", logTime: m.logTime, publishTime: m.publishTime, data: m.data };
  }

  /** Learns channels up to the end or the first unreadable byte; messages() reports that point when it gets there. */
  async #scanChannels(): Promise<void> {
    try {
      for await (const record of this.#stream()) {
        if (record.type === "DataEnd" || record.type === "Footer") break;
      }
    } catch {
      // the same error is raised again, in order, by messages()
    }
  }

  /** Every record from the start, learning schemas and channels on the way. */
  async *#stream(): AsyncGenerator<McapTypes.TypedMcapRecord> {
    const stream = new McapStreamReader({ decompressHandlers: this.#decompress, validateCrcs: true });
    const size = await this.#readable.size();
    const step = 4n << 20n;
    let offset = 0n;
    let done = false;
    while (!done) {
      if (offset < size) {
        const n = size - offset < step ? size - offset : step;
        stream.append(await this.#readable.read(offset, n));
        offset += n;
      }
      for (;;) {
        let record: McapTypes.TypedMcapRecord | undefined;
        try {
          record = stream.nextRecord();
        } catch (e) {
          throw new Error(`${this.path}: corrupt MCAP data before byte ${offset} (${(e as Error).message})`);
        }
        if (!record) break;
        if (record.type === "Schema") this.#schemas.set(record.id, record);
        else if (record.type === "Channel") this.#channels.set(record.id, record);
        yield record;
        if (record.type === "Footer") {
          done = true;
          break;
        }
      }
      if (offset >= size && !done) {
        if (stream.done()) break;
        throw new Error(`${this.path}: MCAP file ends inside a record after ${size} bytes (truncated recording?)`);
      }
    }
  }
}
