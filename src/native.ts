/**
 * The one typed binding to the native addon (native/build/Release/lightnet_addon.node). Everything else in
 * the package reaches C++ through `loadNative()`; nothing else knows the addon's file name or shape.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { loadAddonFrom } from "./loadAddonFrom.js";
import type {
  DecodedImage,
  DetectInput,
  DetectOptions,
  FrameInputOptions,
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
  /** for an EncodedImage input */
  decoded?: DecodedImage;
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
  /** RawImages are copied before this returns; EncodedImages are decoded on the worker (native/src/addon/detect.h) */
  detect(images: DetectInput[], options: DetectOptions & FrameInputOptions): Promise<NativeFrameResult[]>;
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
  /** video files / cameras and in-memory codecs (native/src/addon/video.cpp); absent without OpenCV */
  VideoReader?: new (source: string | number, cameraSize?: { width: number; height: number }) => NativeVideoReader;
  VideoWriter?: new (path: string, width: number, height: number, fps: number) => NativeVideoWriter;
  decodeImage?(bytes: Uint8Array, what: string): Promise<RawImage>;
  encodeImage?(image: RawImage, extension: string): Promise<Uint8Array>;
}

export interface NativeVideoInfo {
  name: string;
  width: number;
  height: number;
  /** 0 when the container does not say */
  fps: number;
  /** -1 when unknown (cameras) */
  frameCount: number;
}

/** One read at a time: read() rejects while the previous one is pending. */
export interface NativeVideoReader {
  info(): NativeVideoInfo;
  read(): Promise<{ image: RawImage; positionMs: number } | null>;
  close(): void;
}

/** One write at a time, in order: await each write. */
export interface NativeVideoWriter {
  write(image: RawImage): Promise<void>;
  close(): void;
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
  // Idle OpenMP workers spin by default and halve throughput on a shared machine; the runtime reads the
  // policy once, when the addon loads (the C++ tool does the same). A user's own setting wins.
  process.env["OMP_WAIT_POLICY"] ??= "PASSIVE";
  cached ??= loadAddonFrom<NativeBinding>(addonCandidates());
  return cached;
}
