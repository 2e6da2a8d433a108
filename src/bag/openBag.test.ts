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

  it("names the metadata field that is wrong", async () => {
    const bagDir = path.join(dir, "bad_meta");
    mkdirSync(bagDir);
    writeFileSync(path.join(bagDir, "metadata.yaml"), stringify({ rosbag2_bagfile_information: { relative_file_paths: "x.db3" } }));
    await expect(openBag(bagDir)).rejects.toThrow(`${path.join(bagDir, "metadata.yaml")}: relative_file_paths: expected a list of file names`);
    writeFileSync(path.join(bagDir, "metadata.yaml"), stringify({ rosbag2_bagfile_information: { relative_file_paths: ["x.db3"], compression_format: "bz2" } }));
    await expect(openBag(bagDir)).rejects.toThrow('compression_format "bz2", expected "zstd" or none');
  });
});
