/** Paths the ROS tests read: the repository root and ../shared next to it (never copied into the repo). */
import path from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
export const sharedDir = path.resolve(repoRoot, "..", "shared");
export const sharedInterfacesDir = path.join(sharedDir, "interfaces");
