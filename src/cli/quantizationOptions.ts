import { type Command, Option } from "commander";
import type { CalibrationAlgorithm, EngineOptions } from "../engine/types.js";
import { numberIn } from "./parseOptionValue.js";

/** The INT8 / multi-precision / sparsity flags shared by `infer`, `bench` and `build` (issue 4). */
export interface QuantizationFlags {
  calibList?: string;
  calibAlgo?: CalibrationAlgorithm;
  calibTable?: string;
  percentile?: number;
  clipValue?: number;
  mp?: boolean;
  sparsity?: "on" | "off";
  quantizeFirstLayer?: boolean;
  quantizeLastLayer?: boolean;
}

/** Adds the quantization flags to `command` (original LightNet-TRT names where it had them). */
export function addQuantizationOptions(command: Command): Command {
  return command
    .option("--calib-list <file>", "INT8 calibration images: an image list file (one path per line) or a folder")
    .addOption(
      new Option("--calib-algo <name>", "INT8 calibration algorithm").choices(["entropy", "minmax", "percentile"]).default("entropy"),
    )
    .option("--calib-table <file>", "INT8 calibration table: reused when it matches the model and algorithm, else (re)written")
    .option("--percentile <p>", "percentile for --calib-algo percentile", numberIn(0, 100), 99.99)
    .option("--clip-value <x>", "INT8 ranges [0, x] for every activation, no calibration images", numberIn(Number.MIN_VALUE, Number.MAX_VALUE))
    .option("--mp", "multi-precision: honour each [convolutional] layer's precision= key")
    .addOption(new Option("--sparsity <on|off>", "2:4 sparsity for sparse=1 layers (pruned by magnitude where needed)").choices(["on", "off"]).default("on"))
    .option("--quantize-first-layer", "INT8 for the first conv too (default: FP16)")
    .option("--quantize-last-layer", "INT8 for the head convs too (default: FP16)");
}

/** The EngineOptions those flags stand for (only the ones given, so defaults stay the engine's). */
export function quantizationEngineOptions(flags: QuantizationFlags): Partial<EngineOptions> {
  return {
    ...(flags.calibList !== undefined && { calibrationList: flags.calibList }),
    ...(flags.calibAlgo !== undefined && { calibrationAlgorithm: flags.calibAlgo }),
    ...(flags.calibTable !== undefined && { calibrationTable: flags.calibTable }),
    ...(flags.percentile !== undefined && { percentile: flags.percentile }),
    ...(flags.clipValue !== undefined && { clipValue: flags.clipValue }),
    ...(flags.mp === true && { multiPrecision: true }),
    ...(flags.sparsity !== undefined && { sparsity: flags.sparsity === "on" }),
    ...(flags.quantizeFirstLayer === true && { quantizeFirstLayer: true }),
    ...(flags.quantizeLastLayer === true && { quantizeLastLayer: true }),
  };
}

/** Build progress worth a line on stderr: calibration, table reuse and pruning warnings. */
export function reportQuantizationProgress(_fraction: number, message: string): void {
  if (/^(calibration|INT8|warning)/.test(message)) process.stderr.write(`lightnet-trt: ${message}\n`);
}
