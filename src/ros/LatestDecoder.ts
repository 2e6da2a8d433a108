/**
 * One camera's compressed input: at most one decode in flight; a frame that arrives meanwhile waits and
 * is replaced by a newer one (the scheduler keeps only the latest frame per camera anyway), so a decoder
 * slower than the camera never builds a backlog, and frames reach the scheduler in arrival order.
 */
import type { RawImage } from "../engine/types.js";
import type { CompressedImage, Header } from "./messages/types.js";

export interface LatestDecoderHooks {
  decode: (message: CompressedImage) => Promise<RawImage>;
  onImage: (header: Header, image: RawImage) => void;
  onError: (error: Error) => void;
}

export class LatestDecoder {
  readonly #hooks: LatestDecoderHooks;
  #running: Promise<void> | null = null;
  #waiting: CompressedImage | null = null;
  #dropped = 0;

  constructor(hooks: LatestDecoderHooks) {
    this.#hooks = hooks;
  }

  /** frames replaced while waiting, never decoded */
  get dropped(): number {
    return this.#dropped;
  }

  push(message: CompressedImage): void {
    if (this.#running !== null) {
      if (this.#waiting !== null) this.#dropped++;
      this.#waiting = message;
      return;
    }
    this.#running = this.#drain(message);
  }

  /** Resolves once no decode runs or waits. */
  async whenIdle(): Promise<void> {
    while (this.#running !== null) await this.#running;
  }

  async #drain(first: CompressedImage): Promise<void> {
    for (let message: CompressedImage | null = first; message !== null; message = this.#waiting, this.#waiting = null) {
      let image: RawImage;
      try {
        image = await this.#hooks.decode(message);
      } catch (e) {
        this.#hooks.onError(e instanceof Error ? e : new Error(String(e)));
        continue;
      }
      this.#hooks.onImage(message.header, image);
    }
    this.#running = null;
  }
}
