import { callNative } from "../errors/callNative.js";
import { invalidParameterError } from "../errors/invalidParameterError.js";
import { loadNative } from "../native.js";

/**
 * Writes a darknet .weights file of seeded random parameters for `cfg` (the same ones Engine.build uses when
 * no weights are given), for models whose trained weights are unavailable; OpenCV can load it as well.
 */
export async function writeRandomWeights(cfg: string, path: string, seed = 1): Promise<void> {
  if (typeof cfg !== "string" || cfg.length === 0) throw invalidParameterError("cfg", "a cfg file path", cfg);
  if (typeof path !== "string" || path.length === 0) throw invalidParameterError("path", "an output file path", path);
  if (!Number.isSafeInteger(seed) || seed < 0) throw invalidParameterError("seed", "an integer >= 0", seed);
  const native = loadNative();
  return callNative(() => native.writeRandomWeights(cfg, path, seed));
}
