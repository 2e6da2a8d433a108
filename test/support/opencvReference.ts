import { spawnSync } from "node:child_process";
import path from "node:path";
import type { ScoredBox } from "./matchDetections.js";
import { testPaths } from "./testPaths.js";

const PYTHON = "/usr/bin/python3"; // Debian's, which sees python3-opencv (a pyenv python on PATH may not)
const SCRIPT = path.join(testPaths.repoRoot, "test", "reference", "opencv_reference.py");

/** OpenCV DNN's detections carry the same fields as ours. */
export type ReferenceDetection = ScoredBox;

/**
 * OpenCV DNN (cv2.dnn.readNetFromDarknet) as the independent reference, via test/reference/opencv_reference.py.
 * `unavailable` holds the reason when python3-opencv / numpy cannot be imported (tests then skip, saying so).
 */
export const opencvReference = {
  unavailable: ((): string | undefined => {
    const r = spawnSync(PYTHON, ["-c", "import cv2, numpy"], { encoding: "utf8" });
    if (r.error) return `${PYTHON} not runnable (${r.error.message}); install python3-opencv python3-numpy`;
    return r.status === 0 ? undefined : `python3-opencv/numpy missing (${r.stderr.trim().split("\n").pop()}); apt-get install python3-opencv python3-numpy`;
  })(),

  /** Runs the script; returns its JSON lines (per-image detections, then {"npy": …} with compareNpy). */
  run(args: { cfg: string; weights: string; images: string[]; compareNpy?: string; scoreThreshold?: number; nmsThreshold?: number }): unknown[] {
    const argv = [SCRIPT, "--cfg", args.cfg, "--weights", args.weights];
    if (args.compareNpy) argv.push("--compare-npy", args.compareNpy);
    if (args.scoreThreshold !== undefined) argv.push("--score-threshold", String(args.scoreThreshold));
    if (args.nmsThreshold !== undefined) argv.push("--nms-threshold", String(args.nmsThreshold));
    const r = spawnSync(PYTHON, [...argv, ...args.images], { encoding: "utf8", maxBuffer: 256 << 20 });
    if (r.status !== 0) throw new Error(`opencv_reference.py failed (${r.status}): ${r.stderr}`);
    return r.stdout.split("\n").filter((l) => l.length > 0).map((l) => JSON.parse(l) as unknown);
  },
};
