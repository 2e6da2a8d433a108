import { callNativeSync } from "../errors/callNative.js";
import { invalidParameterError } from "../errors/invalidParameterError.js";
import { loadNative } from "../native.js";
import type { ModelInfo } from "./types.js";

/**
 * Parses a darknet cfg (and, when given, checks a weights file against it) without building an engine.
 * Errors name the file and line ("<cfg>:12: [convolutional] filters=0, expected > 0").
 */
export function modelInfo(cfg: string, weights?: string): ModelInfo {
  if (typeof cfg !== "string" || cfg.length === 0) throw invalidParameterError("cfg", "a cfg file path", cfg);
  if (weights !== undefined && (typeof weights !== "string" || weights.length === 0))
    throw invalidParameterError("weights", "a weights file path", weights);
  const native = loadNative();
  return callNativeSync(() => native.modelInfo(cfg, weights));
}
