import path from "node:path";
import { fileURLToPath } from "node:url";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const shared = path.resolve(repoRoot, "..", "shared");

/** Where tests find the built CLI and the shared models and images (../shared beside the repository). */
export const testPaths = {
  repoRoot,
  shared,
  cli: path.join(repoRoot, "dist", "cli", "main.js"),
  images: path.join(shared, "images"),
  /** ROS 2 message definitions (../shared/interfaces/<pkg>/msg) */
  interfaces: path.join(shared, "interfaces"),
  lightnetDet: path.join(shared, "models", "lightnet", "lightNet-BDD100K-1280x960.cfg"),
  lightnetSeg: path.join(shared, "models", "lightnet", "lightNet-BDD100K-det-semaseg-1280x960.cfg"),
  yoloFastest: {
    voc: {
      cfg: path.join(shared, "models", "yolo-fastest", "yolo-fastest-xl-voc.cfg"),
      weights: path.join(shared, "models", "yolo-fastest", "yolo-fastest-xl-voc.weights"),
      names: path.join(shared, "models", "yolo-fastest", "voc.names"),
    },
    coco: {
      cfg: path.join(shared, "models", "yolo-fastest", "yolo-fastest-1.1-xl.cfg"),
      weights: path.join(shared, "models", "yolo-fastest", "yolo-fastest-1.1-xl.weights"),
      names: path.join(shared, "models", "yolo-fastest", "coco.names"),
    },
  },
} as const;
