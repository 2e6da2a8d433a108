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
  process.stdout.write(options.json ? JSON.stringify(info) + "\n" : formatInfo(info));
}
