/**
 * The one typed binding to the native addon (native/build/Release/lightnet_addon.node). Everything else in
 * the package reaches C++ through `loadNative()`; nothing else knows the addon's file name or shape.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { loadAddonFrom } from "./loadAddonFrom.js";
import type {
  DetectOptions,
  FrameTiming,
  LayerTiming,
  ModelInfo,
  RawImage,
  Tensor,
} from "./engine/types.js";

/** A detection as the addon returns it (labels are attached in TypeScript). */
export interface NativeDetection {
  classId: number;
  score: number;
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface NativeFrameResult {
  detections: NativeDetection[];
  masks: { headLayer: number; width: number; height: number; classIds: Uint8Array }[];
  timing: FrameTiming;
}

/** Build options exactly as the addon reads them (EngineOptions without `names`). */
export interface NativeBuildOptions {
  cfg: string;
  weights?: string;
  seed?: number;
  backend?: string;
  precision?: string;
  batch?: number;
  threads?: number;
  gpuId?: number;
  multiPrecision?: boolean;
  sparsity?: boolean;
  dlaCore?: number;
  cacheDir?: string;
  calibrationTable?: string;
  calibrationList?: string;
  calibrationAlgorithm?: string;
  percentile?: number;
  clipValue?: number;
  quantizeFirstLayer?: boolean;
  quantizeLastLayer?: boolean;
  profile?: boolean;
}

/** One built engine inside the addon; every method throws "engine is closed" after close(). */
export interface NativeEngine {
  info(): ModelInfo;
  backend(): string;
  precision(): string;
  maxBatch(): number;
  detect(images: RawImage[], options: DetectOptions): Promise<NativeFrameResult[]>;
  forward(input: Float32Array, batch: number): Promise<Tensor[]>;
  takeProfile(): LayerTiming[];
  close(): void;
}

export interface NativeBinding {
  modelInfo(cfg: string, weights?: string): ModelInfo;
  availableBackends(): string[];
  /** library versions: napi, onednn, opencv, cudaRuntime, cudaDriver (those built in) */
  versions(): Record<string, string>;
  buildEngine(
    options: NativeBuildOptions,
    onProgress?: (fraction: number, message: string) => void,
  ): Promise<NativeEngine>;
  writeRandomWeights(cfg: string, path: string, seed: number): Promise<void>;
  preprocess(image: RawImage, input: { channels: number; height: number; width: number }): Float32Array;
  /** absent when the addon was built without OpenCV */
  readImage?(path: string): Promise<RawImage>;
  writeImage?(path: string, image: RawImage): Promise<void>;
}

/** Where the addon is looked for: $LIGHTNET_ADDON first, then the cmake-js build of this package. */
export function addonCandidates(): string[] {
  const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
  const candidates = [path.join(packageRoot, "native", "build", "Release", "lightnet_addon.node")];
  const override = process.env["LIGHTNET_ADDON"];
  return override ? [override, ...candidates] : candidates;
}

let cached: NativeBinding | undefined;

/** Loads the addon once; throws an Error listing what was tried and possible solutions. */
export function loadNative(): NativeBinding {
  cached ??= loadAddonFrom<NativeBinding>(addonCandidates());
  return cached;
}
