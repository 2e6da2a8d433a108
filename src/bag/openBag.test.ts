/**
 * rosbag2 layouts read back message for message: a sqlite3 .db3 written with rosbag2's table layout
 * (plain, and with per-message zstd as metadata.yaml declares it), a whole-file zstd MCAP, and a split
 * recording of two files.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import zstd from "@foxglove/wasm-zstd";
import initSqlJs from "sql.js";
import { beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { McapWriter } from "@mcap/core";
import { CdrCodec } from "../ros/messages/cdr.js";
import { ros2msgSchema } from "../ros/messages/schema.js";
import { FileWritable } from "./FileWritable.js";
import { McapBagWriter } from "./McapBagWriter.js";
import { openBag } from "./openBag.js";
import type { BagMessage } from "./types.js";

const dir = mkdtempSync(path.join(tmpdir(), "openbag-"));
const header = (sec: number) => ({ stamp: { sec, nanosec: 0 }, frame_id: "f" });
// Timestamps beyond 2^53 ns must survive exactly (sqlite integers are read as text).
const T0 = 1700000000_123456789n;

const messages = [
  { topic: "/a", type: "sensor_msgs/msg/CompressedImage", message: { header: header(1), format: "jpeg", data: Uint8Array.from([1, 2, 3]) }, time: T0 },
  { topic: "/b", type: "autoware_internal_debug_msgs/msg/Float64Stamped", message: { stamp: { sec: 2, nanosec: 0 }, data: 0.5 }, time: T0 + 1n },
  { topic: "/a", type: "sensor_msgs/msg/CompressedImage", message: { header: header(3), format: "png", data: Uint8Array.from([9]) }, time: T0 + 2n },
];

async function collect(bagPath: string, topics: string[]): Promise<BagMessage[]> {
  const bag = await openBag(bagPath);
  const out: BagMessage[] = [];
  for await (const m of bag.messages(topics)) out.push(m);
  await bag.close();
  return out;
}

/** The reference: the same messages through the MCAP writer and reader. */
let reference: BagMessage[];

async function writeDb3(file: string, compress: boolean): Promise<void> {
  const SQL = await initSqlJs();
  const db = new SQL.Database();
  db.run("CREATE TABLE schema(schema_version INTEGER PRIMARY KEY, ros_distro TEXT NOT NULL)");
  db.run("CREATE TABLE topics(id INTEGER PRIMARY KEY, name TEXT NOT NULL, type TEXT NOT NULL, serialization_format TEXT NOT NULL, offered_qos_profiles TEXT NOT NULL)");
  db.run("CREATE TABLE messages(id INTEGER PRIMARY KEY, topic_id INTEGER NOT NULL, timestamp INTEGER NOT NULL, data BLOB NOT NULL)");
  const ids = new Map<string, number>();
  for (const m of reference) {
    if (!ids.has(m.topic)) {
      ids.set(m.topic, ids.size + 1);
      db.run("INSERT INTO topics VALUES (?, ?, ?, 'cdr', '')", [ids.get(m.topic)!, m.topic, m.type]);
    }
  }
  // insert in reverse: the reader must order by timestamp
  for (const m of [...reference].reverse()) {
    const data = compress ? new Uint8Array(zstd.compress(m.data, 3)) : m.data;
    db.run(`INSERT INTO messages (topic_id, timestamp, data) VALUES (?, ${m.logTime}, ?)`, [ids.get(m.topic)!, data]);
  }
  writeFileSync(file, db.export());
  db.close();
}

describe("openBag", () => {
  beforeAll(async () => {
    await zstd.isLoaded;
    const file = path.join(dir, "ref.mcap");
    const w = await McapBagWriter.create(file, "zstd");
    for (const m of messages) await w.write(m.topic, m.type, m.message, m.time);
    await w.close();
    reference = await collect(file, ["/a", "/b"]);
    expect(reference.map((m) => m.logTime)).toEqual([T0, T0 + 1n, T0 + 2n]);
  });

  it("reads a sqlite3 bag file, topics and counts included", async () => {
    const file = path.join(dir, "plain.db3");
    await writeDb3(file, false);
    expect(await collect(file, ["/a", "/b"])).toEqual(reference);
    expect(await collect(file, ["/b"])).toEqual([reference[1]]);
    const bag = await openBag(file);
    expect(bag.topics()).toEqual([
      { name: "/a", type: "sensor_msgs/msg/CompressedImage", serialization: "cdr", messageCount: 2 },
      { name: "/b", type: "autoware_internal_debug_msgs/msg/Float64Stamped", serialization: "cdr", messageCount: 1 },
    ]);
    await bag.close();
  });

  it("undoes per-message zstd compression that metadata.yaml declares", async () => {
    const bagDir = path.join(dir, "compressed_bag");
    mkdirSync(bagDir);
    await writeDb3(path.join(bagDir, "compressed_bag_0.db3"), true);
    writeFileSync(path.join(bagDir, "metadata.yaml"), stringify({ rosbag2_bagfile_information: {
      version: 5, storage_identifier: "sqlite3", relative_file_paths: ["compressed_bag_0.db3"], compression_format: "zstd", compression_mode: "MESSAGE",
    } }));
    expect(await collect(bagDir, ["/a", "/b"])).toEqual(reference);
  });

  it("reads a whole-file zstd MCAP and a split recording in file order", async () => {
    const bagDir = path.join(dir, "split_bag");
    mkdirSync(bagDir);
    const part = async (name: string, ms: typeof messages) => {
      const w = await McapBagWriter.create(path.join(bagDir, name));
      for (const m of ms) await w.write(m.topic, m.type, m.message, m.time);
      await w.close();
    };
    await part("split_bag_0.mcap", messages.slice(0, 2));
    await part("split_bag_1.mcap", messages.slice(2));
    const zipped = path.join(bagDir, "split_bag_1.mcap.zstd");
    writeFileSync(zipped, zstd.compress(readFileSync(path.join(bagDir, "split_bag_1.mcap")), 3));
    writeFileSync(path.join(bagDir, "metadata.yaml"), stringify({ rosbag2_bagfile_information: {
      storage_identifier: "mcap", relative_file_paths: ["split_bag_0.mcap", "split_bag_1.mcap.zstd"], compression_format: "zstd", compression_mode: "FILE",
    } }));
    expect(await collect(bagDir, ["/a", "/b"])).toEqual(reference);
    const bag = await openBag(bagDir);
    expect(bag.topics().map((t) => [t.name, t.messageCount])).toEqual([["/a", 2], ["/b", 1]]);
    await bag.close();
  });

  it("reads MCAP chunks compressed with lz4", async () => {
    // No lz4 compressor ships with the MCAP libraries: chunks are wrapped in LZ4 frames of stored blocks,
    // which is valid LZ4 and goes through the same frame decoder.
    const file = path.join(dir, "lz4.mcap");
    const out = await FileWritable.create(file);
    const w = new McapWriter({ writable: out, compressChunk: (data) => ({ compression: "lz4", compressedData: lz4StoredFrame(data) }) });
    await w.start({ profile: "ros2", library: "test" });
    const channels = new Map<string, number>();
    for (const m of messages) {
      if (!channels.has(m.topic)) {
        const schemaId = await w.registerSchema({ name: m.type, encoding: "ros2msg", data: new TextEncoder().encode(ros2msgSchema(m.type)) });
        channels.set(m.topic, await w.registerChannel({ schemaId, topic: m.topic, messageEncoding: "cdr", metadata: new Map() }));
      }
      await w.addMessage({ channelId: channels.get(m.topic)!, sequence: 0, logTime: m.time, publishTime: m.time, data: CdrCodec.for(m.type).serialize(m.message) });
    }
    await w.end();
    await out.close();
    expect(await collect(file, ["/a", "/b"])).toEqual(reference);
  });

  it("names the metadata field that is wrong", async () => {
    const bagDir = path.join(dir, "bad_meta");
    mkdirSync(bagDir);
    writeFileSync(path.join(bagDir, "metadata.yaml"), stringify({ rosbag2_bagfile_information: { relative_file_paths: "x.db3" } }));
    await expect(openBag(bagDir)).rejects.toThrow(`${path.join(bagDir, "metadata.yaml")}: relative_file_paths: expected a list of file names`);
    writeFileSync(path.join(bagDir, "metadata.yaml"), stringify({ rosbag2_bagfile_information: { relative_file_paths: ["x.db3"], compression_format: "bz2" } }));
    await expect(openBag(bagDir)).rejects.toThrow('compression_format "bz2", expected "zstd" or none');
  });
});

/** xxHash32 (for the LZ4 frame header checksum). */
function xxh32(buf: Uint8Array, seed = 0): number {
  const P1 = 2654435761, P2 = 2246822519, P3 = 3266489917, P4 = 668265263, P5 = 374761393;
  const rotl = (x: number, r: number) => ((x << r) | (x >>> (32 - r))) >>> 0;
  const mul = (a: number, b: number) => Math.imul(a, b) >>> 0;
  const u32 = (p: number) => (buf[p]! | (buf[p + 1]! << 8) | (buf[p + 2]! << 16) | (buf[p + 3]! << 24)) >>> 0;
  let i = 0;
  let h: number;
  if (buf.length >= 16) {
    let v1 = (seed + P1 + P2) >>> 0, v2 = (seed + P2) >>> 0, v3 = seed >>> 0, v4 = (seed - P1) >>> 0;
    for (; i + 16 <= buf.length; i += 16) {
      v1 = mul(rotl((v1 + mul(u32(i), P2)) >>> 0, 13), P1);
      v2 = mul(rotl((v2 + mul(u32(i + 4), P2)) >>> 0, 13), P1);
      v3 = mul(rotl((v3 + mul(u32(i + 8), P2)) >>> 0, 13), P1);
      v4 = mul(rotl((v4 + mul(u32(i + 12), P2)) >>> 0, 13), P1);
    }
    h = (rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18)) >>> 0;
  } else h = (seed + P5) >>> 0;
  h = (h + buf.length) >>> 0;
  for (; i + 4 <= buf.length; i += 4) h = mul(rotl((h + mul(u32(i), P3)) >>> 0, 17), P4);
  for (; i < buf.length; i++) h = mul(rotl((h + mul(buf[i]!, P5)) >>> 0, 11), P1);
  h ^= h >>> 15;
  h = mul(h, P2);
  h ^= h >>> 13;
  h = mul(h, P3);
  h ^= h >>> 16;
  return h >>> 0;
}

/** An LZ4 frame holding `data` in one stored (uncompressed) block: magic, FLG, BD, header checksum, block, end mark. */
function lz4StoredFrame(data: Uint8Array): Uint8Array {
  const descriptor = Uint8Array.from([0x60, 0x70]); // version 1, independent blocks; 4 MB max block
  const out = new Uint8Array(7 + 4 + data.length + 4);
  out.set([0x04, 0x22, 0x4d, 0x18, ...descriptor, (xxh32(descriptor) >>> 8) & 0xff]);
  new DataView(out.buffer).setUint32(7, (data.length | 0x80000000) >>> 0, true);
  out.set(data, 11);
  return out;
}
