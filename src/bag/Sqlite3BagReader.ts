/**
 * rosbag2 sqlite3 (.db3) files through sql.js (SQLite compiled to WebAssembly: no native build step).
 * sql.js works on the whole database in memory, so a .db3 file is read at once; timestamps are read as
 * text because they exceed JavaScript's exact integer range.
 */
import { readFile } from "node:fs/promises";
import initSqlJs, { type Database } from "sql.js";
import type { BagMessage, BagReader, BagTopic } from "./types.js";

interface TopicRow {
  id: number;
  name: string;
  type: string;
  serialization: string;
}

let sqlJs: ReturnType<typeof initSqlJs> | undefined;

export class Sqlite3BagReader implements BagReader {
  readonly path: string;
  readonly storage = "sqlite3";
  readonly #db: Database;
  readonly #topics: TopicRow[];
  readonly #counts: Map<number, number>;
  readonly #decodeData: (data: Uint8Array) => Uint8Array;

  private constructor(path: string, db: Database, topics: TopicRow[], counts: Map<number, number>, decodeData: (d: Uint8Array) => Uint8Array) {
    this.path = path;
    this.#db = db;
    this.#topics = topics;
    this.#counts = counts;
    this.#decodeData = decodeData;
  }

  /**
   * Opens `path` (or its already decompressed `bytes`). `decodeData` undoes rosbag2's per-message
   * compression when the bag's metadata says it was used.
   */
  static async open(path: string, bytes?: Uint8Array, decodeData: (d: Uint8Array) => Uint8Array = (d) => d): Promise<Sqlite3BagReader> {
    const SQL = await (sqlJs ??= initSqlJs());
    const data = bytes ?? (await readFile(path));
    let db: Database;
    let topics: TopicRow[];
    const counts = new Map<number, number>();
    try {
      db = new SQL.Database(data);
      topics = db.exec("SELECT id, name, type, serialization_format FROM topics ORDER BY id")[0]?.values.map(
        ([id, name, type, serialization]) => ({ id: Number(id), name: String(name), type: String(type), serialization: String(serialization) }),
      ) ?? [];
      for (const [id, n] of db.exec("SELECT topic_id, COUNT(*) FROM messages GROUP BY topic_id")[0]?.values ?? []) counts.set(Number(id), Number(n));
    } catch (e) {
      throw new Error(`${path}: not a readable rosbag2 sqlite3 file (${(e as Error).message})`);
    }
    return new Sqlite3BagReader(path, db, topics, counts, decodeData);
  }

  topics(): BagTopic[] {
    return this.#topics.map((t) => ({ name: t.name, type: t.type, serialization: t.serialization, messageCount: this.#counts.get(t.id) ?? 0 }));
  }

  async *messages(topics: readonly string[]): AsyncGenerator<BagMessage> {
    const byId = new Map(this.#topics.filter((t) => topics.includes(t.name)).map((t) => [t.id, t]));
    if (!byId.size) return;
    const stmt = this.#db.prepare(
      `SELECT topic_id, CAST(timestamp AS TEXT), data FROM messages WHERE topic_id IN (${[...byId.keys()].join(",")}) ORDER BY timestamp, id`,
    );
    try {
      while (stmt.step()) {
        const [topicId, stamp, data] = stmt.get();
        const topic = byId.get(Number(topicId))!;
        const time = BigInt(String(stamp));
        if (!(data instanceof Uint8Array)) throw new Error(`${this.path}: message of ${topic.name} at ${time} has no data blob`);
        yield { topic: topic.name, type: topic.type, logTime: time, publishTime: time, data: this.#decodeData(data) };
      }
    } catch (e) {
      if ((e as Error).message.startsWith(this.path)) throw e;
      throw new Error(`${this.path}: corrupt sqlite3 bag (${(e as Error).message})`);
    } finally {
      stmt.free();
    }
  }

  async close(): Promise<void> {
    this.#db.close();
  }
}
