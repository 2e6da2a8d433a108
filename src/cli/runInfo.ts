import { modelInfo } from "../engine/modelInfo.js";
import { formatInfo } from "./formatInfo.js";

export interface InfoOptions {
  cfg: string;
  weights?: string;
  json?: boolean;
}

/** `lightnet-trt info`: the model's layers, shapes, GFLOPs, params and heads (weights checked when given). */
export function runInfo(options: InfoOptions): void {
  const info = modelInfo(options.cfg, options.weights);
  if (options.json) return void process.stdout.write(JSON.stringify(info) + "\n");
  process.stdout.write(formatInfo(info));
  if (options.weights !== undefined) process.stdout.write(`weights ${options.weights}: size matches the cfg\n`);
}
