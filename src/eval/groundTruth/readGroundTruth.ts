/**
 * Loads detection ground truth in whichever format the path holds: a directory of darknet `.txt` labels,
 * a BDD100K JSON (a top-level array of frames) or a COCO JSON (an object with images/annotations).
 */
import { readFileSync, statSync } from "node:fs";
import type { GroundTruthImage } from "../types.js";
import { ClassNameMap } from "./classNameMap.js";
import { readBdd100k } from "./readBdd100k.js";
import { readCoco } from "./readCoco.js";
import { readDarknetLabelDir, type ImageSize } from "./readDarknetLabels.js";

export type GroundTruthFormat = "bdd100k" | "coco" | "darknet";

export interface GroundTruthSet {
  format: GroundTruthFormat;
  images: GroundTruthImage[];
  /** ground-truth class names that matched no model class, with the number of objects dropped */
  unmatchedClasses: Map<string, number>;
}

export interface ReadGroundTruthOptions {
  labels: readonly string[];
  /** sizes of the evaluated images: darknet labels are normalised and need them */
  imageSizes: readonly ImageSize[];
  /** explicit name mapping, ground-truth name → model label */
  classMap?: Readonly<Record<string, string>>;
}

export function readGroundTruth(path: string, options: ReadGroundTruthOptions): GroundTruthSet {
  const classes = new ClassNameMap(options.labels, options.classMap);
  if (statSync(path).isDirectory()) {
    return { format: "darknet", images: readDarknetLabelDir(path, options.imageSizes, Math.max(1, options.labels.length)), unmatchedClasses: classes.unmatched };
  }
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new Error(`${path}: not valid JSON (${(e as Error).message}); expected BDD100K or COCO labels, or a directory of darknet .txt labels`);
  }
  if (Array.isArray(json)) return { format: "bdd100k", images: readBdd100k(json, classes, path), unmatchedClasses: classes.unmatched };
  if (typeof json === "object" && json !== null && "annotations" in json) {
    return { format: "coco", images: readCoco(json, classes, path), unmatchedClasses: classes.unmatched };
  }
  throw new Error(`${path}: unknown ground-truth layout, expected a BDD100K array of frames or a COCO object with "images", "annotations", "categories"`);
}
