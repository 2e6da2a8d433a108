import { callNative, callNativeSync } from "../errors/callNative.js";
import { invalidParameterError } from "../errors/invalidParameterError.js";
import { loadNative, type NativeBuildOptions, type NativeEngine } from "../native.js";
import { loadLabels } from "./loadLabels.js";
import { modelInfo } from "./modelInfo.js";
import type {
  BackendName,
  DetectInput,
  DetectOptions,
  EngineOptions,
  FrameInputOptions,
  FrameResult,
  LayerTiming,
  ModelInfo,
  Precision,
  Tensor,
} from "./types.js";
import { validateDetectOptions } from "./validateDetectOptions.js";
import { validateEngineOptions } from "./validateEngineOptions.js";
import { validateDetectInput, validateFrameInputOptions } from "./validateDetectInput.js";

/** Build progress: fraction in [0, 1] and a short message. */
export type ProgressListener = (fraction: number, message: string) => void;

/**
 * One network on one backend, built once from EngineOptions and then used for many frames. All inference
 * runs on a native worker thread; the returned promises never block the event loop. Calls on one engine are
 * served one at a time, in order: they queue here rather than in the addon, so an engine occupies at most one
 * thread of libuv's small shared pool (file, DNS and zlib work keeps the others).
 */
export class Engine {
  /** The model as parsed from the cfg (layers, heads, GFLOPs, params). */
  readonly info: ModelInfo;
  /** Class labels, indexed by class id: --names file, else the cfg's names=, else "0", "1", …. */
  readonly labels: string[];
  /** The backend actually used ("auto" resolved). */
  readonly backend: Exclude<BackendName, "auto">;
  readonly precision: Precision;
  /** Most images one detect()/forward() call may take. */
  readonly maxBatch: number;
  #handle: NativeEngine | undefined;
  /** settles when the last queued call has finished */
  #tail: Promise<void> = Promise.resolve();

  private constructor(handle: NativeEngine, labels: string[]) {
    this.#handle = handle;
    this.info = handle.info();
    this.labels = labels;
    this.backend = handle.backend() as Exclude<BackendName, "auto">;
    this.precision = handle.precision() as Precision;
    this.maxBatch = handle.maxBatch();
  }

  /**
   * Loads the cfg and weights (seeded random weights when `weights` is omitted) and builds the engine on a
   * worker thread. Options are checked first: an unknown or unsupported option rejects, never is ignored.
   */
  static async build(options: EngineOptions, onProgress?: ProgressListener): Promise<Engine> {
    validateEngineOptions(options);
    if (onProgress !== undefined && typeof onProgress !== "function")
      throw invalidParameterError("onProgress", "a function", onProgress);
    const { names, ...rest } = options;
    // Labels are resolved before the (possibly long) build so a bad names file fails fast.
    const labels = loadLabels(modelInfo(options.cfg), names);
    const nativeOptions: NativeBuildOptions = Object.fromEntries(
      Object.entries(rest).filter(([, v]) => v !== undefined),
    ) as unknown as NativeBuildOptions;
    const native = loadNative();
    const listener = onProgress && safeListener(onProgress);
    const handle = await callNative(() => native.buildEngine(nativeOptions, listener));
    return new Engine(handle, labels);
  }

  /**
   * Pre-process, infer (in batches of up to maxBatch) and post-process each image. A RawImage's pixels are
   * copied once, when the call's turn comes (leave them unchanged until the promise settles), into the engine's
   * input buffer when it is free: on the GPU that is page-locked memory, whose upload skips a staging copy. An
   * EncodedImage (JPEG, PNG, …) is decoded straight into that buffer in the same native task as the inference;
   * its result carries the decoded size (and pixels with `input.returnDecoded`).
   */
  async detect(images: DetectInput[], options?: Partial<DetectOptions>, input?: FrameInputOptions): Promise<FrameResult[]> {
    const handle = this.#open();
    if (!Array.isArray(images)) throw invalidParameterError("images", "an array of RawImage or EncodedImage", images);
    images.forEach((image, i) => validateDetectInput(image, `images[${i}]`));
    const thresholds = validateDetectOptions(options);
    const placement = validateFrameInputOptions(input);
    if (images.length === 0) return [];
    const frames = await callNative(() => this.#serialize(() => handle.detect(images, { ...thresholds, ...placement })));
    return frames.map((frame) => ({
      detections: frame.detections.map((d) => ({ ...d, label: this.labels[d.classId] ?? String(d.classId) })),
      masks: frame.masks,
      timing: frame.timing,
      ...(frame.decoded !== undefined && { decoded: frame.decoded }),
    }));
  }

  /** The network alone: `input` holds batch × C × H × W pre-processed floats; returns the head tensors. */
  async forward(input: Float32Array, batch: number): Promise<Tensor[]> {
    const handle = this.#open();
    if (!(input instanceof Float32Array)) throw invalidParameterError("input", "a Float32Array", input);
    if (!Number.isInteger(batch) || batch < 1 || batch > this.maxBatch)
      throw invalidParameterError("batch", `an integer in 1..${this.maxBatch} (maxBatch)`, batch);
    const { channels, height, width } = this.info.input;
    const expected = batch * channels * height * width;
    if (input.length !== expected)
      throw invalidParameterError("input", `${expected} floats (${batch}×${channels}×${height}×${width})`, `${input.length} floats`);
    return callNative(() => this.#serialize(() => handle.forward(input, batch)));
  }

  /** Mean per-layer milliseconds since the last call (empty unless built with profile: true). */
  takeProfile(): LayerTiming[] {
    const handle = this.#open();
    return callNativeSync(() => handle.takeProfile());
  }

  /** Releases the engine; a call still running finishes first. Further calls throw. */
  close(): void {
    this.#handle?.close();
    this.#handle = undefined;
  }

  get closed(): boolean {
    return this.#handle === undefined;
  }

  #serialize<T>(run: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(run);
    this.#tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  #open(): NativeEngine {
    if (!this.#handle) throw new Error("Engine is closed");
    return this.#handle;
  }
}

/** A listener that throws must not break the build: report it once on stderr and keep building. */
function safeListener(listener: ProgressListener): ProgressListener {
  let reported = false;
  return (fraction, message) => {
    try {
      listener(fraction, message);
    } catch (err) {
      if (!reported) process.emitWarning(`lightnet: progress listener threw: ${(err as Error).message}`);
      reported = true;
    }
  };
}
