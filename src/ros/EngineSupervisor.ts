/**
 * Owns the node's engine: builds it in the background (never blocking the executor), reports
 * progress, swaps a rebuilt engine in atomically while the old one keeps serving, and closes the old
 * one only after its last in-flight inference. A failed build leaves the old engine (if any) serving.
 */
import type { EngineOptions } from "../engine/types.js";
import type { Detector, DetectorFactory } from "./detector.js";
import { settled } from "./settled.js";

export type SupervisorState = "building" | "ready" | "failed";

export interface SupervisorStatus {
  /** building: nothing serves yet; ready: an engine serves (maybe while rebuilding); failed: nothing serves */
  state: SupervisorState;
  rebuilding: boolean;
  /** progress of the build in flight (1 when none) */
  progress: number;
  message: string;
  lastError: string;
  /** the serving engine's settings, else those being built */
  options: EngineOptions | null;
  backend: string;
  precision: string;
}

/** A checked-out engine: call release() when its inference is done. */
export interface Lease<D> {
  detector: D;
  release(): void;
}

interface Slot<D> {
  detector: D;
  options: EngineOptions;
  leases: number;
  retired: boolean;
}

/** Extra work after a build (e.g. resolving the label map against the engine's classes); throwing fails the build. */
export type BuildCheck<D> = (detector: D) => void;

export class EngineSupervisor<D extends Detector = Detector> {
  readonly #factory: DetectorFactory;
  readonly #onStatus: (status: SupervisorStatus) => void;
  readonly #check: BuildCheck<D>;
  #serving: Slot<D> | null = null;
  #building: EngineOptions | null = null;
  #pending: EngineOptions | null = null;
  #status: SupervisorStatus = {
    state: "building", rebuilding: false, progress: 0, message: "waiting for parameters", lastError: "",
    options: null, backend: "", precision: "",
  };
  #idle: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(factory: DetectorFactory, onStatus: (status: SupervisorStatus) => void, check: BuildCheck<D> = () => {}) {
    this.#factory = factory;
    this.#onStatus = onStatus;
    this.#check = check;
  }

  get status(): SupervisorStatus {
    return this.#status;
  }

  /** The settings of the serving engine (null when none serves). */
  get servingOptions(): EngineOptions | null {
    return this.#serving?.options ?? null;
  }

  /** Checks out the serving engine for one inference, or null when none serves. */
  acquire(): Lease<D> | null {
    const slot = this.#serving;
    if (slot === null) return null;
    slot.leases++;
    let released = false;
    return {
      detector: slot.detector,
      release: () => {
        if (released) return;
        released = true;
        slot.leases--;
        this.#closeIfUnused(slot);
      },
    };
  }

  /**
   * Asks for an engine with these settings. Returns at once; the build runs in the background. A
   * request during a build waits for it and then wins (only the newest pending request is kept).
   */
  request(options: EngineOptions): void {
    if (this.#closed) return;
    if (this.#building === null && this.#serving !== null && sameOptions(this.#serving.options, options)) return;
    if (this.#building !== null) {
      this.#pending = options;
      return;
    }
    this.#idle = this.#run(options);
  }

  /** Resolves when no build is in flight or pending. */
  whenIdle(): Promise<void> {
    return settled(() => this.#idle);
  }

  /** Stops accepting builds; closes the serving engine once its inferences finish. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#pending = null;
    await this.whenIdle();
    const slot = this.#serving;
    this.#serving = null;
    if (slot !== null) this.#retire(slot);
  }

  async #run(options: EngineOptions): Promise<void> {
    let next: EngineOptions | null = options;
    while (next !== null && !this.#closed) {
      const target: EngineOptions = next;
      this.#pending = null;
      this.#building = target;
      this.#update({ progress: 0, message: "starting build", rebuilding: this.#serving !== null });
      try {
        const detector = (await this.#factory(target, (fraction, message) => {
          if (this.#building === target) this.#update({ progress: fraction, message });
        })) as D;
        try {
          this.#check(detector);
        } catch (e) {
          detector.close();
          throw e;
        }
        if (this.#pending !== null || this.#closed) {
          detector.close(); // superseded while building: never served
        } else {
          const old = this.#serving;
          this.#serving = { detector, options: target, leases: 0, retired: false };
          if (old !== null) this.#retire(old);
          this.#building = null;
          this.#update({ progress: 1, message: "ready", lastError: "" });
        }
      } catch (e) {
        this.#building = null;
        const reason = e instanceof Error ? e.message : String(e);
        this.#update({ progress: 1, message: "build failed", lastError: reason });
      }
      this.#building = null;
      next = this.#pending;
    }
    this.#building = null;
    this.#update({ rebuilding: false });
  }

  #retire(slot: Slot<D>): void {
    slot.retired = true;
    this.#closeIfUnused(slot);
  }

  #closeIfUnused(slot: Slot<D>): void {
    if (slot.retired && slot.leases === 0) {
      slot.retired = false; // close once
      slot.leases = -1;
      slot.detector.close();
    }
  }

  #update(change: Partial<SupervisorStatus>): void {
    const serving = this.#serving;
    const building = this.#building;
    const next: SupervisorStatus = { ...this.#status, ...change };
    next.rebuilding = serving !== null && building !== null;
    next.state = serving !== null ? "ready" : building !== null ? "building" : next.lastError !== "" ? "failed" : "building";
    next.options = serving?.options ?? building ?? next.options;
    next.backend = serving?.detector.backend ?? building?.backend ?? "";
    next.precision = serving?.detector.precision ?? building?.precision ?? "";
    this.#status = next;
    this.#onStatus(next);
  }
}

/** Two build requests are the same when every setting is equal. */
export function sameOptions(a: EngineOptions, b: EngineOptions): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]) as Set<keyof EngineOptions>;
  for (const k of keys) if (a[k] !== b[k]) return false;
  return true;
}
