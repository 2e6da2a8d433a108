import { loadNative } from "../native.js";
import type { BackendName } from "./types.js";

/** Backends compiled into the addon and usable here, best first ("auto" picks the first). */
export function availableBackends(): Exclude<BackendName, "auto">[] {
  return loadNative().availableBackends() as Exclude<BackendName, "auto">[];
}
