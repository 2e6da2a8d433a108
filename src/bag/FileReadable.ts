import type { FileHandle } from "node:fs/promises";
import { open } from "node:fs/promises";
import type { McapTypes } from "@mcap/core";

/** @mcap/core's IReadable over a file: random-access reads, each checked for a short read. */
export class FileReadable implements McapTypes.IReadable {
  readonly path: string;
  readonly #handle: FileHandle;
  readonly #size: bigint;

  private constructor(path: string, handle: FileHandle, size: bigint) {
    this.path = path;
    this.#handle = handle;
    this.#size = size;
  }

  static async open(path: string): Promise<FileReadable> {
    const handle = await open(path, "r");
    const stat = await handle.stat();
    return new FileReadable(path, handle, BigInt(stat.size));
  }

  async size(): Promise<bigint> {
    return this.#size;
  }

  async read(offset: bigint, size: bigint): Promise<Uint8Array> {
    if (offset + size > this.#size) {
      throw new Error(`${this.path}: read of ${size} bytes at offset ${offset} passes the end of the file (${this.#size} bytes)`);
    }
    const buffer = new Uint8Array(Number(size));
    const { bytesRead } = await this.#handle.read(buffer, 0, buffer.length, Number(offset));
    if (bytesRead !== buffer.length) throw new Error(`${this.path}: read only ${bytesRead} bytes at offset ${offset}, expected ${size}`);
    return buffer;
  }

  async close(): Promise<void> {
    await this.#handle.close();
  }
}

/** IReadable over bytes in memory (a bag that had to be decompressed whole). */
export class BufferReadable implements McapTypes.IReadable {
  constructor(readonly bytes: Uint8Array) {}
  async size(): Promise<bigint> {
    return BigInt(this.bytes.length);
  }
  async read(offset: bigint, size: bigint): Promise<Uint8Array> {
    if (offset + size > BigInt(this.bytes.length)) throw new Error(`read of ${size} bytes at offset ${offset} passes the end (${this.bytes.length} bytes)`);
    return this.bytes.subarray(Number(offset), Number(offset + size));
  }
}
