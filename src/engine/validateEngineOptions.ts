import { invalidParameterError } from "../errors/invalidParameterError.js";
import type { EngineOptions } from "./types.js";

const BACKENDS = ["cpu", "cuda", "tensorrt", "auto"] as const;
const PRECISIONS = ["fp32", "fp16", "int8"] as const;
const CALIBRATION_ALGORITHMS = ["entropy", "minmax", "percentile"] as const;

type Check = (value: unknown, name: string) => void;

const nonEmptyString: Check = (v, name) => {
  if (typeof v !== "string" || v.length === 0) throw invalidParameterError(name, "a non-empty string", v);
};
const boolean: Check = (v, name) => {
  if (typeof v !== "boolean") throw invalidParameterError(name, "a boolean", v);
};
const oneOf =
  (values: readonly string[]): Check =>
  (v, name) => {
    if (typeof v !== "string" || !values.includes(v)) throw invalidParameterError(name, `one of ${values.join(", ")}`, v);
  };
const integerAtLeast =
  (min: number): Check =>
  (v, name) => {
    if (typeof v !== "number" || !Number.isInteger(v) || v < min) throw invalidParameterError(name, `an integer >= ${min}`, v);
  };
const numberIn =
  (min: number, max: number, minExclusive: boolean): Check =>
  (v, name) => {
    const low = minExclusive ? `> ${min}` : `>= ${min}`;
    if (typeof v !== "number" || !Number.isFinite(v) || (minExclusive ? v <= min : v < min) || v > max)
      throw invalidParameterError(name, `a number ${low} and <= ${max}`, v);
  };

/** Every EngineOptions key and its check; keys outside this table are rejected, never ignored. */
const CHECKS: Record<keyof EngineOptions, Check> = {
  cfg: nonEmptyString,
  weights: nonEmptyString,
  names: nonEmptyString,
  backend: oneOf(BACKENDS),
  precision: oneOf(PRECISIONS),
  batch: integerAtLeast(1),
  threads: integerAtLeast(0),
  gpuId: integerAtLeast(0),
  multiPrecision: boolean,
  sparsity: boolean,
  dlaCore: integerAtLeast(-1),
  cacheDir: nonEmptyString,
  calibrationTable: nonEmptyString,
  calibrationList: nonEmptyString,
  calibrationAlgorithm: oneOf(CALIBRATION_ALGORITHMS),
  percentile: numberIn(0, 100, true),
  clipValue: numberIn(0, Number.MAX_VALUE, false),
  quantizeFirstLayer: boolean,
  quantizeLastLayer: boolean,
  profile: boolean,
  seed: integerAtLeast(0),
};

/** Throws a TypeError naming the first bad option (unknown key, wrong type or out-of-range value). */
export function validateEngineOptions(options: unknown): asserts options is EngineOptions {
  if (typeof options !== "object" || options === null || Array.isArray(options))
    throw invalidParameterError("options", "an EngineOptions object", options);
  const known = Object.keys(CHECKS);
  for (const [key, value] of Object.entries(options)) {
    const check = CHECKS[key as keyof EngineOptions];
    if (!check) throw invalidParameterError("options", `only known keys (${known.join(", ")})`, key);
    if (value === undefined) continue;
    check(value, `options.${key}`);
  }
  if ((options as EngineOptions).cfg === undefined) throw invalidParameterError("options.cfg", "a cfg file path", undefined);
}
