import type { FileHandle } from "node:fs/promises";
import { open } from "node:fs/promises";
import type { IWritable } from "@mcap/core";

/** @mcap/core's IWritable appending to a file, tracking the position itself (writes are sequential). */
export class FileWritable implements IWritable {
  readonly path: string;
  readonly #handle: FileHandle;
  #position = 0n;

  private constructor(path: string, handle: FileHandle) {
    this.path = path;
    this.#handle = handle;
  }

  static async create(path: string): Promise<FileWritable> {
    return new FileWritable(path, await open(path, "w"));
  }

  async write(buffer: Uint8Array): Promise<void> {
    let done = 0;
    while (done < buffer.length) {
      const { bytesWritten } = await this.#handle.write(buffer, done, buffer.length - done);
      done += bytesWritten;
    }
    this.#position += BigInt(buffer.length);
  }

  position(): bigint {
    return this.#position;
  }

  async close(): Promise<void> {
    await this.#handle.sync();
    await this.#handle.close();
  }
}
