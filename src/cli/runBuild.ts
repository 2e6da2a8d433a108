import { Engine } from "../engine/Engine.js";
import type { BackendName, Precision } from "../engine/types.js";
import { type QuantizationFlags, quantizationEngineOptions } from "./quantizationOptions.js";

export interface BuildCommandOptions extends QuantizationFlags {
  cfg: string;
  weights?: string;
  backend: BackendName;
  precision: Precision;
  batch: number;
  json?: boolean;
}

/**
 * `lightnet-trt build`: builds the engine once (INT8: calibrates and writes --calib-table) and reports it.
 * Every build message goes to stderr; stdout gets one summary line.
 */
export async function runBuild(options: BuildCommandOptions): Promise<void> {
  const started = Date.now();
  const engine = await Engine.build(
    {
      cfg: options.cfg,
      ...(options.weights !== undefined && { weights: options.weights }),
      backend: options.backend,
      precision: options.precision,
      batch: options.batch,
      ...quantizationEngineOptions(options),
    },
    (_fraction, message) => process.stderr.write(`lightnet-trt: ${message}\n`),
  );
  const summary = {
    cfg: options.cfg,
    backend: engine.backend,
    precision: engine.precision,
    batch: engine.maxBatch,
    build_ms: Date.now() - started,
    ...(options.calibTable !== undefined && { calibration_table: options.calibTable }),
  };
  engine.close();
  process.stdout.write(
    options.json
      ? JSON.stringify(summary) + "\n"
      : `built ${summary.cfg}: ${summary.backend} ${summary.precision} batch ${summary.batch} in ${summary.build_ms} ms` +
          (summary.calibration_table ? `, calibration table ${summary.calibration_table}` : "") + "\n",
  );
}
