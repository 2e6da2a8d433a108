/**
 * Keeps at most one waiting frame per camera and runs one batch at a time: while inference is busy a
 * newer frame replaces the waiting one of its camera (counted as dropped), so latency stays bounded by
 * one inference and memory by one frame per camera. Each batch takes the waiting frame of every camera.
 */
import { settled } from "./settled.js";

export interface CameraFrame<F> {
  camera: number;
  frame: F;
}

export class LatestFrameScheduler<F> {
  readonly #waiting: (F | undefined)[];
  readonly #dropped: number[];
  readonly #process: (batch: CameraFrame<F>[]) => Promise<void>;
  readonly #onError: (error: unknown) => void;
  #busy = false;
  #idle: Promise<void> = Promise.resolve();

  /**
   * @param cameras number of cameras (frame slots)
   * @param process runs one batch; the next starts after it settles
   * @param onError receives a batch's failure (the scheduler keeps going)
   */
  constructor(cameras: number, process: (batch: CameraFrame<F>[]) => Promise<void>, onError: (error: unknown) => void) {
    this.#waiting = new Array<F | undefined>(cameras).fill(undefined);
    this.#dropped = new Array<number>(cameras).fill(0);
    this.#process = process;
    this.#onError = onError;
  }

  /** Frames replaced before inference, per camera. */
  get dropped(): readonly number[] {
    return this.#dropped;
  }

  get busy(): boolean {
    return this.#busy;
  }

  push(camera: number, frame: F): void {
    if (camera < 0 || camera >= this.#waiting.length) throw new Error(`camera ${camera}: expected 0..${this.#waiting.length - 1}`);
    if (this.#waiting[camera] !== undefined) this.#dropped[camera] = (this.#dropped[camera] as number) + 1;
    this.#waiting[camera] = frame;
    if (!this.#busy) this.#idle = this.#pump();
  }

  /** Resolves when no batch runs and no frame waits. */
  whenIdle(): Promise<void> {
    return settled(() => this.#idle);
  }

  async #pump(): Promise<void> {
    this.#busy = true;
    try {
      for (;;) {
        const batch: CameraFrame<F>[] = [];
        this.#waiting.forEach((frame, camera) => {
          if (frame !== undefined) batch.push({ camera, frame });
        });
        if (batch.length === 0) break;
        this.#waiting.fill(undefined);
        try {
          await this.#process(batch);
        } catch (e) {
          this.#onError(e);
        }
      }
    } finally {
      this.#busy = false;
    }
  }
}
