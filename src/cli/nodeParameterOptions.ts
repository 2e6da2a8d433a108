/**
 * Engine and output settings shared by `bag` and `eval` in the node's terms: the node's parameter table
 * is the single source of defaults, `--params FILE` (the node's param.yaml) overrides them, and flags
 * given on the command line override both.
 */
import { Command, Option } from "commander";
import { toNodeParameters, validateParameter, type NodeParameters } from "../ros/parameters.js";
import type { ParameterValue } from "../ros/rosInterface.js";
import { numberIn } from "./parseOptionValue.js";
import { readParamsFile } from "./paramsFile.js";

/** command-line flag → node parameter */
const FLAG_TO_PARAMETER: Readonly<Record<string, string>> = {
  cfg: "model_cfg",
  weights: "model_weights",
  names: "names",
  labelMap: "label_map",
  backend: "backend",
  precision: "precision",
  scoreThreshold: "score_threshold",
  nmsThreshold: "nms_threshold",
  maskEncoding: "mask_encoding",
  colorMask: "is_publish_color_mask",
  roiOverlapSegment: "is_roi_overlap_segment",
  cacheDir: "engine_cache_dir",
  calibList: "calibration_image_list_path",
  mp: "multi_precision",
  dlaCore: "dla_core_id",
  gpuId: "gpu_id",
};

/** Adds the shared flags (no commander defaults: an unset flag leaves the parameter file's value). */
export function addNodeParameterOptions(command: Command): Command {
  return command
    .option("--params <file>", "the node's ROS parameter file (config/*.param.yaml); flags override it")
    .option("--cfg <file>", "darknet .cfg (parameter model_cfg)")
    .option("--weights <file>", "darknet .weights (model_weights)")
    .option("--names <file>", "class names, one per line (names)")
    .option("--label-map <csv>", "darknet name → Autoware label CSV (label_map)")
    .addOption(new Option("--backend <name>", "inference backend (backend)").choices(["auto", "cpu", "cuda", "tensorrt"]))
    .addOption(new Option("--precision <p>", "engine precision (precision; the node defaults to fp16, the CPU backend needs fp32)").choices(["fp32", "fp16", "int8"]))
    .option("--score-threshold <s>", "minimum box score (score_threshold)", numberIn(0, 1))
    .option("--nms-threshold <iou>", "class-wise NMS IoU (nms_threshold)", numberIn(0, 1))
    .addOption(new Option("--mask-encoding <e>", "mask data: raw mono8 or Autoware run-length (mask_encoding)").choices(["raw", "rle"]))
    .option("--color-mask", "also write the colour mask (is_publish_color_mask)")
    .option("--roi-overlap-segment", "paint confident boxes into the mask (is_roi_overlap_segment)")
    .option("--cache-dir <dir>", "engine plan cache (engine_cache_dir)")
    .option("--calib-list <file>", "INT8 calibration images: a list file or a folder (calibration_image_list_path)")
    .option("--mp", "multi-precision: honour per-layer precision= of the cfg (multi_precision)")
    .option("--dla-core <n>", "Jetson DLA core, -1 none (dla_core_id)", Number)
    .option("--gpu-id <n>", "CUDA device (gpu_id)", Number);
}

/** The node parameters for this run: defaults ← --params file ← flags; each value checked by the node's rules. */
export function resolveNodeParameters(opts: Record<string, unknown>, overrides: Record<string, ParameterValue> = {}): NodeParameters {
  const values = typeof opts.params === "string" ? readParamsFile(opts.params) : new Map<string, ParameterValue>();
  for (const [flag, name] of Object.entries(FLAG_TO_PARAMETER)) {
    const v = opts[flag];
    if (v === undefined) continue;
    const reason = validateParameter(name, v as ParameterValue);
    if (reason !== null) throw new Error(`--${flag.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}: ${reason}`);
    values.set(name, v as ParameterValue);
  }
  for (const [name, v] of Object.entries(overrides)) values.set(name, v);
  const params = toNodeParameters(values);
  if (!params.modelCfg) throw new Error("no model: give --cfg, or --params with model_cfg set");
  return params;
}
