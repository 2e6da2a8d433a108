/**
 * Test stand-ins for the engine: a detector whose inference waits until the test releases it (to
 * hold the engine busy and watch frames drop) and a factory whose builds the test settles.
 */
import type { DecodedImage, DetectInput, DetectOptions, EngineOptions, FrameInputOptions, FrameResult, ModelInfo } from "../engine/types.js";
import { isEncodedImage } from "../engine/validateDetectInput.js";
import { callNative } from "../errors/callNative.js";
import { loadNative } from "../native.js";
import type { Detector } from "./detector.js";

export function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

export const TEST_MODEL_INFO: ModelInfo = {
  cfg: "test.cfg",
  input: { channels: 3, height: 32, width: 32 },
  layers: [],
  heads: [
    { kind: "yolo", layer: 10, source: 9, classes: 2, colormap: [] },
    { kind: "segmentation", layer: 20, source: 19, classes: 3, colormap: [[0, 0, 0], [255, 0, 0], [0, 255, 0]] },
  ],
  gflops: 0,
  params: 0,
  names: ["car", "person"],
};

export interface DetectCall {
  images: DetectInput[];
  options: Partial<DetectOptions> | undefined;
  input: FrameInputOptions | undefined;
  finish: () => void;
}

/** A detector that returns one box per image (class 0, covering the left half) and a 4×2 mask. */
export class GatedDetector implements Detector {
  readonly info = TEST_MODEL_INFO;
  readonly labels = ["car", "person"];
  readonly backend: string;
  readonly precision: string;
  readonly maxBatch: number;
  readonly options: EngineOptions;
  /** when true, detect() waits for finish() of its call */
  gated = false;
  /** when set, detect() rejects with this message */
  failWith: string | null = null;
  closed = false;
  readonly calls: DetectCall[] = [];

  constructor(options: EngineOptions) {
    this.options = options;
    this.backend = options.backend ?? "cpu";
    this.precision = options.precision ?? "fp32";
    this.maxBatch = options.batch ?? 1;
  }

  /** EncodedImages are decoded as the Engine would (OpenCV in the addon), failing with its LIGHTNET_MEDIA_ERROR. */
  async detect(images: DetectInput[], options?: Partial<DetectOptions>, input?: FrameInputOptions): Promise<FrameResult[]> {
    if (this.closed) throw new Error("detect on a closed engine");
    if (images.length > this.maxBatch) throw new Error(`batch ${images.length} > maxBatch ${this.maxBatch}`);
    const gate = deferred<void>();
    this.calls.push({ images, options, input, finish: () => gate.resolve() });
    if (this.gated) await gate.promise;
    if (this.failWith !== null) throw new Error(this.failWith);
    const decoded: (DecodedImage | undefined)[] = [];
    for (const [i, img] of images.entries()) {
      if (!isEncodedImage(img)) continue;
      const image = await callNative(() => loadNative().decodeImage!(img.encoded, img.what ?? `images[${i}]`));
      decoded[i] = { width: image.width, height: image.height, ...(input?.returnDecoded === true && { image }) };
    }
    return images.map((img, i) => {
      const size = decoded[i] ?? (img as { width: number; height: number });
      return {
        detections: [{ classId: 0, label: "car", score: 0.875, x: 0, y: 0, width: size.width / 2, height: size.height }],
        masks: [{ headLayer: 20, width: 4, height: 2, classIds: Uint8Array.from([0, 1, 1, 2, 2, 2, 0, 0]) }],
        timing: { preprocessMs: 0, inferenceMs: 0, postprocessMs: 0 },
        ...(decoded[i] !== undefined && { decoded: decoded[i] }),
      };
    });
  }

  close(): void {
    this.closed = true;
  }
}

/** A factory whose builds stay pending until the test settles them (or, with `auto`, succeed at once). */
export class ControlledFactory {
  readonly builds: { options: EngineOptions; progress: (f: number, m: string) => void; succeed: () => GatedDetector; fail: (msg: string) => void }[] = [];
  /** every detector built so far, in order */
  readonly built: GatedDetector[] = [];
  auto = false;

  readonly create = (options: EngineOptions, onProgress?: (f: number, m: string) => void): Promise<Detector> => {
    const d = deferred<Detector>();
    const build = {
      options,
      progress: (f: number, m: string) => onProgress?.(f, m),
      succeed: () => {
        const det = new GatedDetector(options);
        this.built.push(det);
        d.resolve(det);
        return det;
      },
      fail: (msg: string) => d.reject(new Error(msg)),
    };
    this.builds.push(build);
    if (this.auto) build.succeed();
    return d.promise;
  };

  get newest(): GatedDetector {
    const d = this.built[this.built.length - 1];
    if (d === undefined) throw new Error("no detector built");
    return d;
  }

  get last() {
    const b = this.builds[this.builds.length - 1];
    if (b === undefined) throw new Error("no build requested");
    return b;
  }
}

/** Lets pending promise callbacks run. */
export async function flush(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
}
