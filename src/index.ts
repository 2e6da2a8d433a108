/** lightnet_trt's public API: the engine, its data types, model inspection and image I/O. */
export { Engine, type ProgressListener } from "./engine/Engine.js";
export { modelInfo } from "./engine/modelInfo.js";
export { preprocess } from "./engine/preprocess.js";
export { availableBackends } from "./engine/availableBackends.js";
export { libraryVersions } from "./engine/libraryVersions.js";
export { loadLabels } from "./engine/loadLabels.js";
export { writeRandomWeights } from "./engine/writeRandomWeights.js";
export { readImage } from "./image/readImage.js";
export { writeImage } from "./image/writeImage.js";
export { encodeNpy } from "./npy/encodeNpy.js";
export type { NativeErrorFields } from "./errors/callNative.js";
export * from "./engine/types.js";
