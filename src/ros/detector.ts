/**
 * The part of the engine the node uses. `Engine` (src/engine/Engine.ts) satisfies it; tests use slow or
 * failing stand-ins to exercise frame dropping, rebuilds and build failures.
 */
import type { DetectInput, DetectOptions, EngineOptions, FrameInputOptions, FrameResult, ModelInfo } from "../engine/types.js";

export interface Detector {
  readonly info: ModelInfo;
  readonly labels: string[];
  readonly backend: string;
  readonly precision: string;
  readonly maxBatch: number;
  /** EncodedImages are decoded by the detector (Engine: natively, into its input buffers); their results carry `decoded`. */
  detect(images: DetectInput[], options?: Partial<DetectOptions>, input?: FrameInputOptions): Promise<FrameResult[]>;
  close(): void;
}

/** Builds a detector; `onProgress` gets fractions 0..1 with a message (Engine.build's signature). */
export type DetectorFactory = (
  options: EngineOptions,
  onProgress?: (fraction: number, message: string) => void,
) => Promise<Detector>;
