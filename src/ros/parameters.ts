/**
 * The node's parameters: one table of descriptors (type, description, range, allowed values, what a
 * change does), validation with reasons, and the typed view the node works with.
 */
import { existsSync, statSync } from "node:fs";
import type { BackendName, CalibrationAlgorithm, EngineOptions, Precision } from "../engine/types.js";
import type { MaskEncoding } from "./messages/maskImages.js";
import type { ParameterDescriptor, ParameterType, ParameterValue } from "./rosInterface.js";

/** live: applied to the next frame; rebuild: a new engine is built in the background and swapped in; restart: read-only. */
export type ParameterEffect = "live" | "rebuild" | "restart";

export interface ParameterSpec {
  name: string;
  type: ParameterType;
  default: ParameterValue;
  description: string;
  effect: ParameterEffect;
  range?: { from: number; to: number; step: number };
  choices?: readonly string[];
  /** "file": must name an existing file; "file?": empty or an existing file */
  file?: "file" | "file?";
}

/** Labels whose boxes may be painted into the segmentation mask (Autoware's roi_overlay_segment_label.*). */
export const OVERLAY_LABELS = ["UNKNOWN", "CAR", "TRUCK", "BUS", "MOTORCYCLE", "BICYCLE", "PEDESTRIAN"] as const;

const unit = { from: 0, to: 1, step: 0 };

export const PARAMETER_SPECS: readonly ParameterSpec[] = [
  { name: "model_cfg", type: "string", default: "", file: "file", effect: "rebuild", description: "darknet/LightNet .cfg of the network" },
  { name: "model_weights", type: "string", default: "", file: "file?", effect: "rebuild", description: "darknet .weights; empty: seeded random weights (benchmarks only)" },
  { name: "names", type: "string", default: "", file: "file?", effect: "rebuild", description: "class-name file, one per line; empty: the cfg's names=" },
  { name: "label_map", type: "string", default: "", file: "file?", effect: "live", description: "CSV darknet class name -> Autoware label or DROP; empty: the shipped BDD100K/VOC/COCO map that lists every class" },
  { name: "backend", type: "string", default: "auto", choices: ["auto", "cpu", "cuda", "tensorrt"], effect: "rebuild", description: "inference backend; auto picks the fastest one built" },
  { name: "precision", type: "string", default: "fp16", choices: ["fp32", "fp16", "int8"], effect: "rebuild", description: "engine precision (layers with precision= in the cfg keep theirs when multi_precision)" },
  { name: "calibration_image_list_path", type: "string", default: "", file: "file?", effect: "rebuild", description: "text file listing calibration images, one path per line (int8 only)" },
  { name: "calibration_algorithm", type: "string", default: "entropy", choices: ["entropy", "minmax", "percentile"], effect: "rebuild", description: "INT8 calibration algorithm" },
  { name: "clip_value", type: "double", default: 0.0, range: { from: 0, to: 1e6, step: 0 }, effect: "rebuild", description: "INT8 activation clip; 0 disables clipping" },
  { name: "quantize_first_layer", type: "bool", default: false, effect: "rebuild", description: "quantize the first layer in int8 (else it stays fp16)" },
  { name: "quantize_last_layer", type: "bool", default: false, effect: "rebuild", description: "quantize the layers feeding the heads in int8 (else they stay fp16)" },
  { name: "multi_precision", type: "bool", default: false, effect: "rebuild", description: "honour per-layer precision= keys of the cfg" },
  { name: "sparsity", type: "bool", default: false, effect: "rebuild", description: "2:4 structured sparsity for sparse=1 layers" },
  { name: "dla_core_id", type: "integer", default: -1, range: { from: -1, to: 1, step: 1 }, effect: "rebuild", description: "Jetson DLA core (tensorrt backend); -1: GPU only" },
  { name: "gpu_id", type: "integer", default: 0, range: { from: 0, to: 15, step: 1 }, effect: "rebuild", description: "CUDA device index" },
  { name: "engine_cache_dir", type: "string", default: "", effect: "rebuild", description: "directory of cached engine plans (named by every build setting); empty: ~/.cache/lightnet_trt" },
  { name: "build_only", type: "bool", default: false, effect: "restart", description: "build (and cache) the engine, then exit 0 (1 if the build fails)" },
  { name: "input_topics", type: "string_array", default: ["~/in/image"], effect: "restart", description: "image topics, one per camera; with several, outputs get the camera index (~/out/objects0 ...)" },
  { name: "input_transport", type: "string", default: "raw", choices: ["raw", "compressed"], effect: "restart", description: "raw: sensor_msgs/Image; compressed: sensor_msgs/CompressedImage" },
  { name: "score_threshold", type: "double", default: 0.35, range: unit, effect: "live", description: "minimum objectness x class probability of a published box" },
  { name: "nms_threshold", type: "double", default: 0.7, range: unit, effect: "live", description: "IoU above which the weaker of two boxes of a class is suppressed" },
  { name: "is_publish_color_mask", type: "bool", default: false, effect: "live", description: "publish ~/out/color_mask (bgr8, the cfg's colormap)" },
  { name: "mask_encoding", type: "string", default: "rle", choices: ["raw", "rle"], effect: "live", description: "~/out/mask data: raw mono8 pixels or Autoware's run-length records" },
  { name: "is_roi_overlap_segment", type: "bool", default: false, effect: "live", description: "paint confident boxes into the mask with their label's segmentation class" },
  { name: "overlap_roi_score_threshold", type: "double", default: 0.3, range: unit, effect: "live", description: "minimum box score for is_roi_overlap_segment" },
  ...OVERLAY_LABELS.map((label): ParameterSpec => ({
    name: `roi_overlay_segment_label.${label}`,
    type: "bool",
    default: label !== "UNKNOWN",
    effect: "live",
    description: `paint ${label} boxes into the mask (with is_roi_overlap_segment)`,
  })),
];

const SPECS = new Map(PARAMETER_SPECS.map((s) => [s.name, s]));

export function parameterSpec(name: string): ParameterSpec | undefined {
  return SPECS.get(name);
}

export function descriptorOf(spec: ParameterSpec): ParameterDescriptor {
  const descriptor: ParameterDescriptor = {
    name: spec.name,
    type: spec.type,
    description: spec.description,
    readOnly: spec.effect === "restart",
  };
  if (spec.range !== undefined) descriptor.range = spec.range;
  if (spec.choices !== undefined) descriptor.additionalConstraints = `one of: ${spec.choices.join(", ")}`;
  return descriptor;
}

function typeOf(value: ParameterValue): ParameterType | "number" {
  if (Array.isArray(value)) return "string_array";
  if (typeof value === "boolean") return "bool";
  if (typeof value === "string") return "string";
  return "number";
}

/** null when `value` is valid for parameter `name`, else the reason (expected vs found). */
export function validateParameter(name: string, value: ParameterValue): string | null {
  const spec = SPECS.get(name);
  if (spec === undefined) return `${name}: unknown parameter`;
  const found = typeOf(value);
  const typeOk =
    found === spec.type ||
    (found === "number" && (spec.type === "double" || (spec.type === "integer" && Number.isInteger(value))));
  if (!typeOk) return `${name}: expected ${spec.type}, found ${JSON.stringify(value)}`;
  if (spec.type === "string_array" && Array.isArray(value)) {
    if (value.length === 0 || value.some((v) => typeof v !== "string" || v === "")) return `${name}: expected a non-empty list of topic names, found ${JSON.stringify(value)}`;
    if (new Set(value).size !== value.length) return `${name}: topics listed twice in ${JSON.stringify(value)}`;
  }
  if (spec.range !== undefined && typeof value === "number" && (!Number.isFinite(value) || value < spec.range.from || value > spec.range.to)) {
    return `${name}: expected ${spec.range.from}..${spec.range.to}, found ${value}`;
  }
  if (spec.choices !== undefined && !spec.choices.includes(value as string)) {
    return `${name}: expected one of ${spec.choices.join("|")}, found "${String(value)}"`;
  }
  if (spec.file !== undefined && typeof value === "string") {
    if (value === "" && spec.file === "file") return `${name}: expected a file path, found ""`;
    if (value !== "" && !(existsSync(value) && statSync(value).isFile())) return `${name}: file "${value}" does not exist`;
  }
  return null;
}

/** The typed view of all parameters. */
export interface NodeParameters {
  modelCfg: string;
  modelWeights: string;
  names: string;
  labelMap: string;
  backend: BackendName;
  precision: Precision;
  calibrationImageListPath: string;
  calibrationAlgorithm: CalibrationAlgorithm;
  clipValue: number;
  quantizeFirstLayer: boolean;
  quantizeLastLayer: boolean;
  multiPrecision: boolean;
  sparsity: boolean;
  dlaCoreId: number;
  gpuId: number;
  engineCacheDir: string;
  buildOnly: boolean;
  inputTopics: string[];
  inputTransport: "raw" | "compressed";
  scoreThreshold: number;
  nmsThreshold: number;
  isPublishColorMask: boolean;
  maskEncoding: MaskEncoding;
  isRoiOverlapSegment: boolean;
  overlapRoiScoreThreshold: number;
  roiOverlaySegmentLabels: Set<string>;
}

export function toNodeParameters(values: ReadonlyMap<string, ParameterValue>): NodeParameters {
  const get = (name: string): ParameterValue => {
    const v = values.get(name);
    return v === undefined ? (SPECS.get(name) as ParameterSpec).default : v;
  };
  const s = (n: string) => get(n) as string;
  const num = (n: string) => Number(get(n));
  const b = (n: string) => get(n) as boolean;
  return {
    modelCfg: s("model_cfg"),
    modelWeights: s("model_weights"),
    names: s("names"),
    labelMap: s("label_map"),
    backend: s("backend") as BackendName,
    precision: s("precision") as Precision,
    calibrationImageListPath: s("calibration_image_list_path"),
    calibrationAlgorithm: s("calibration_algorithm") as CalibrationAlgorithm,
    clipValue: num("clip_value"),
    quantizeFirstLayer: b("quantize_first_layer"),
    quantizeLastLayer: b("quantize_last_layer"),
    multiPrecision: b("multi_precision"),
    sparsity: b("sparsity"),
    dlaCoreId: num("dla_core_id"),
    gpuId: num("gpu_id"),
    engineCacheDir: s("engine_cache_dir"),
    buildOnly: b("build_only"),
    inputTopics: [...(get("input_topics") as string[])],
    inputTransport: s("input_transport") as "raw" | "compressed",
    scoreThreshold: num("score_threshold"),
    nmsThreshold: num("nms_threshold"),
    isPublishColorMask: b("is_publish_color_mask"),
    maskEncoding: s("mask_encoding") as MaskEncoding,
    isRoiOverlapSegment: b("is_roi_overlap_segment"),
    overlapRoiScoreThreshold: num("overlap_roi_score_threshold"),
    roiOverlaySegmentLabels: new Set(OVERLAY_LABELS.filter((l) => b(`roi_overlay_segment_label.${l}`))),
  };
}

/** Build settings of the engine; equal options mean no rebuild is needed. */
export function engineOptionsOf(p: NodeParameters): EngineOptions {
  const options: EngineOptions = {
    cfg: p.modelCfg,
    backend: p.backend,
    precision: p.precision,
    batch: p.inputTopics.length,
    gpuId: p.gpuId,
    multiPrecision: p.multiPrecision,
    sparsity: p.sparsity,
    calibrationAlgorithm: p.calibrationAlgorithm,
    clipValue: p.clipValue,
    quantizeFirstLayer: p.quantizeFirstLayer,
    quantizeLastLayer: p.quantizeLastLayer,
  };
  if (p.modelWeights !== "") options.weights = p.modelWeights;
  if (p.names !== "") options.names = p.names;
  if (p.calibrationImageListPath !== "") options.calibrationList = p.calibrationImageListPath;
  if (p.dlaCoreId >= 0) options.dlaCore = p.dlaCoreId;
  if (p.engineCacheDir !== "") options.cacheDir = p.engineCacheDir;
  return options;
}
