/**
 * The engine's public data types, shared by the CLI, the ROS node, bag replay and evaluation.
 * Plain data only: no behaviour lives here.
 */

export type BackendName = "cpu" | "cuda" | "tensorrt" | "auto";
export type Precision = "fp32" | "fp16" | "int8";
export type CalibrationAlgorithm = "entropy" | "minmax" | "percentile";
/** ROS sensor_msgs/Image encodings the engine accepts. */
export type PixelEncoding = "bgr8" | "rgb8" | "bgra8" | "rgba8" | "mono8";
export const PIXEL_ENCODINGS: readonly PixelEncoding[] = ["bgr8", "rgb8", "bgra8", "rgba8", "mono8"];

/** Interleaved 8-bit pixels; `step` is bytes per row (>= width × channels). */
export interface RawImage {
  width: number;
  height: number;
  encoding: PixelEncoding;
  step: number;
  data: Uint8Array;
}

/**
 * An encoded image (JPEG, PNG, … whatever OpenCV reads) that detect() decodes natively, straight into the
 * engine's input buffer, in the same native task as the inference; it decodes to bgr8.
 */
export interface EncodedImage {
  encoded: Uint8Array;
  /** names the image in decode errors (default "images[i]") */
  what?: string;
}

/** What detect() takes per frame. */
export type DetectInput = RawImage | EncodedImage;

/** How detect() receives its frames; the defaults suit every caller, the switches exist for comparisons. */
export interface FrameInputOptions {
  /**
   * Copy or decode frames straight into the engine's input buffers (page-locked host memory on the GPU, whose
   * upload then skips a staging copy; plain memory on the CPU). Default true; false leaves them in the
   * addon's own memory and the engine stages the upload itself. Results are identical either way.
   */
  pinnedInput?: boolean;
  /** Return each EncodedImage's decoded pixels in FrameResult.decoded.image (default false: only its size). */
  returnDecoded?: boolean;
}

/** The frame an EncodedImage decoded to. */
export interface DecodedImage {
  width: number;
  height: number;
  /** bgr8 pixels, when detect() was asked for them (FrameInputOptions.returnDecoded) */
  image?: RawImage;
}

/** One box in input-image pixels; (x, y) is the top-left corner. */
export interface Detection {
  classId: number;
  label: string;
  /** objectness × class probability */
  score: number;
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Argmax class ids of a segmentation head, at head resolution, row-major. */
export interface SegmentationMask {
  /** index of the [softmax] layer */
  headLayer: number;
  width: number;
  height: number;
  classIds: Uint8Array;
}

export interface FrameTiming {
  preprocessMs: number;
  inferenceMs: number;
  postprocessMs: number;
}

export interface FrameResult {
  detections: Detection[];
  masks: SegmentationMask[];
  timing: FrameTiming;
  /** present for an EncodedImage input: the frame it decoded to */
  decoded?: DecodedImage;
}

/** Thresholds that may change per call (live parameter tuning). */
export interface DetectOptions {
  scoreThreshold: number;
  nmsThreshold: number;
}

export const DEFAULT_DETECT_OPTIONS: DetectOptions = { scoreThreshold: 0.25, nmsThreshold: 0.45 };

/** Settings fixed when an engine is built; changing one means building a new engine. */
export interface EngineOptions {
  cfg: string;
  /** darknet .weights; omitted → seeded random weights (benchmarks only) */
  weights?: string;
  /** class-name file, one per line; else the cfg's names=, else numbers */
  names?: string;
  backend?: BackendName;
  precision?: Precision;
  batch?: number;
  threads?: number;
  gpuId?: number;
  multiPrecision?: boolean;
  sparsity?: boolean;
  dlaCore?: number;
  cacheDir?: string;
  calibrationTable?: string;
  calibrationList?: string;
  calibrationAlgorithm?: CalibrationAlgorithm;
  percentile?: number;
  clipValue?: number;
  quantizeFirstLayer?: boolean;
  quantizeLastLayer?: boolean;
  profile?: boolean;
  /** seed for random weights when `weights` is omitted */
  seed?: number;
}

export type LayerType =
  | "convolutional"
  | "route"
  | "shortcut"
  | "upsample"
  | "maxpool"
  | "dropout"
  | "yolo"
  | "softmax";

export interface LayerInfo {
  index: number;
  type: LayerType;
  /** absolute indices of the layers read; -1 is the network input */
  inputs: number[];
  /** [channels, height, width] */
  output: [number, number, number];
  flops: number;
  /** human summary, e.g. "3x3/2 32 relu" */
  summary: string;
}

export interface HeadInfo {
  kind: "yolo" | "segmentation";
  layer: number;
  /** the conv feeding the head */
  source: number;
  classes: number;
  /** colours as written in the cfg (LightNet writes BGR) */
  colormap: [number, number, number][];
}

export interface ModelInfo {
  cfg: string;
  input: { channels: number; height: number; width: number };
  layers: LayerInfo[];
  heads: HeadInfo[];
  gflops: number;
  params: number;
  /** class names from the cfg's names= (may be empty) */
  names: string[];
}

export interface LayerTiming {
  layer: number;
  name: string;
  ms: number;
}

/** A raw head tensor (the conv feeding a [yolo]/[softmax]), NCHW float32. */
export interface Tensor {
  layer: number;
  shape: [number, number, number, number];
  data: Float32Array;
}
