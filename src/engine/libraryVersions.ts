import { loadNative } from "../native.js";

/** Versions of the libraries built into the addon: napi, onednn, opencv, cudaRuntime, cudaDriver (where present). */
export function libraryVersions(): Record<string, string> {
  return { node: process.versions.node, ...loadNative().versions() };
}
