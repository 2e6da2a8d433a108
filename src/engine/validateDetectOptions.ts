import { invalidParameterError } from "../errors/invalidParameterError.js";
import { DEFAULT_DETECT_OPTIONS, type DetectOptions } from "./types.js";

/** Fills defaults and checks both thresholds are numbers in [0, 1]; unknown keys are an error. */
export function validateDetectOptions(options: Partial<DetectOptions> = {}): DetectOptions {
  if (typeof options !== "object" || options === null) throw invalidParameterError("options", "a DetectOptions object", options);
  for (const key of Object.keys(options)) {
    if (!(key in DEFAULT_DETECT_OPTIONS)) throw invalidParameterError("options", "only scoreThreshold, nmsThreshold", key);
  }
  const merged = { ...DEFAULT_DETECT_OPTIONS, ...options };
  for (const key of ["scoreThreshold", "nmsThreshold"] as const) {
    const v = merged[key];
    if (typeof v !== "number" || !(v >= 0 && v <= 1)) throw invalidParameterError(`options.${key}`, "a number in [0, 1]", v);
  }
  return merged;
}
