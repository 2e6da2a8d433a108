/**
 * Opens a rosbag2 recording: a directory with metadata.yaml (its files in order, its compression), a
 * directory of .mcap/.db3 files without one, or a single .mcap / .db3 file, optionally zstd-compressed
 * whole (rosbag2's "file" compression mode, `.mcap.zstd` / `.db3.zstd`). The storage is recognised by the
 * file's leading bytes, not only its name.
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { open, readFile } from "node:fs/promises";
import path from "node:path";
import { decompress as zstdDecompress } from "fzstd";
import { parse as parseYaml } from "yaml";
import { McapBagReader } from "./McapBagReader.js";
import { Sqlite3BagReader } from "./Sqlite3BagReader.js";
import type { BagMessage, BagReader, BagTopic } from "./types.js";

const MCAP_MAGIC = [0x89, 0x4d, 0x43, 0x41, 0x50]; // "\x89MCAP"
const SQLITE_MAGIC = Buffer.from("SQLite format 3\0", "latin1");
const ZSTD_MAGIC = [0x28, 0xb5, 0x2f, 0xfd];

type Storage = "mcap" | "sqlite3" | "zstd";

function storageOf(head: Uint8Array): Storage | null {
  const starts = (magic: ArrayLike<number>) => Array.from({ length: magic.length }, (_, i) => head[i] === magic[i]).every(Boolean);
  if (starts(MCAP_MAGIC)) return "mcap";
  if (starts(SQLITE_MAGIC)) return "sqlite3";
  if (starts(ZSTD_MAGIC)) return "zstd";
  return null;
}

async function readHead(file: string): Promise<Uint8Array> {
  const handle = await open(file, "r");
  try {
    const head = new Uint8Array(16);
    await handle.read(head, 0, 16, 0);
    return head;
  } finally {
    await handle.close();
  }
}

function unzstd(data: Uint8Array, where: string): Uint8Array {
  try {
    return zstdDecompress(data);
  } catch (e) {
    throw new Error(`${where}: corrupt zstd data (${(e as Error).message})`);
  }
}

async function openFile(file: string, messageCompression: string): Promise<BagReader> {
  const decodeData = messageCompression === "zstd" ? (d: Uint8Array) => unzstd(d, file) : undefined;
  let storage = storageOf(await readHead(file));
  let bytes: Uint8Array | undefined;
  if (storage === "zstd") {
    bytes = unzstd(await readFile(file), file);
    storage = storageOf(bytes.subarray(0, 16));
  }
  if (storage === "mcap") {
    if (decodeData) throw new Error(`${file}: per-message zstd compression of MCAP bags is not supported (MCAP compresses chunks instead)`);
    return McapBagReader.open(file, bytes);
  }
  if (storage === "sqlite3") return Sqlite3BagReader.open(file, bytes, decodeData);
  throw new Error(`${file}: not a rosbag2 file (expected MCAP or SQLite 3 data, optionally zstd-compressed)`);
}

interface Rosbag2Metadata {
  files: string[];
  messageCompression: string;
}

/** The parts of rosbag2's metadata.yaml needed to read its files. */
function readMetadata(dir: string, text: string): Rosbag2Metadata {
  const where = path.join(dir, "metadata.yaml");
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    throw new Error(`${where}: not valid YAML (${(e as Error).message})`);
  }
  const info = (doc as { rosbag2_bagfile_information?: Record<string, unknown> } | null)?.rosbag2_bagfile_information;
  if (!info || typeof info !== "object") throw new Error(`${where}: expected a rosbag2_bagfile_information mapping`);
  const files = info.relative_file_paths;
  if (!Array.isArray(files) || !files.every((f) => typeof f === "string")) throw new Error(`${where}: relative_file_paths: expected a list of file names`);
  const format = typeof info.compression_format === "string" ? info.compression_format : "";
  const mode = typeof info.compression_mode === "string" ? info.compression_mode.toUpperCase() : "";
  if (format && format !== "zstd") throw new Error(`${where}: compression_format "${format}", expected "zstd" or none (the only rosbag2 compressor)`);
  return { files: files.map((f) => path.join(dir, f)), messageCompression: mode === "MESSAGE" ? format : "" };
}

/** Several files of one bag read one after the other (rosbag2 splits recordings by size or duration). */
class SplitBagReader implements BagReader {
  readonly storage: string;
  constructor(readonly path: string, readonly parts: BagReader[]) {
    this.storage = parts[0]?.storage ?? "";
  }
  topics(): BagTopic[] {
    const merged = new Map<string, BagTopic>();
    for (const t of this.parts.flatMap((p) => p.topics())) {
      const known = merged.get(t.name);
      if (!known) merged.set(t.name, { ...t });
      else if (known.messageCount !== null) known.messageCount = t.messageCount === null ? null : known.messageCount + t.messageCount;
    }
    return [...merged.values()];
  }
  async *messages(topics: readonly string[]): AsyncGenerator<BagMessage> {
    for (const part of this.parts) yield* part.messages(topics);
  }
  async close(): Promise<void> {
    await Promise.all(this.parts.map((p) => p.close()));
  }
}

export async function openBag(input: string): Promise<BagReader> {
  if (!existsSync(input)) throw new Error(`${input}: no such bag file or directory`);
  if (!statSync(input).isDirectory()) return openFile(input, "");
  const metadataFile = path.join(input, "metadata.yaml");
  let meta: Rosbag2Metadata;
  if (existsSync(metadataFile)) {
    meta = readMetadata(input, await readFile(metadataFile, "utf8"));
  } else {
    const files = readdirSync(input).filter((f) => /\.(mcap|db3)(\.zstd)?$/.test(f)).sort();
    meta = { files: files.map((f) => path.join(input, f)), messageCompression: "" };
  }
  if (!meta.files.length) throw new Error(`${input}: a directory without bag files (expected metadata.yaml or .mcap/.db3 files)`);
  const parts: BagReader[] = [];
  try {
    for (const f of meta.files) parts.push(await openFile(f, meta.messageCompression));
  } catch (e) {
    await Promise.all(parts.map((p) => p.close()));
    throw e;
  }
  return parts.length === 1 ? parts[0]! : new SplitBagReader(input, parts);
}
