/**
 * Darknet class name → Autoware ObjectClassification label (or drop), from a small CSV file:
 * `name,label[,segmentation_class]`, `#` comments, an optional header row, `*` for a default.
 * Shipped defaults for BDD100K, VOC and COCO names live in config/label_map/.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { ObjectLabel, type ObjectLabelName } from "./messages/types.js";

/** What one model class becomes: an Autoware label (null = drop) and the segmentation class it paints. */
export interface ClassMapping {
  label: number | null;
  segmentationClass: number | null;
}

const HEADER = ["name", "label", "segmentation_class"];
const WILDCARD = "*";

function parseLabel(text: string, where: string): number | null {
  const upper = text.trim().toUpperCase();
  if (upper === "DROP") return null;
  if (upper in ObjectLabel) return ObjectLabel[upper as ObjectLabelName];
  if (/^\d+$/.test(upper)) {
    const n = Number(upper);
    if (n <= ObjectLabel.UNDER_DRIVABLE) return n;
  }
  throw new Error(`${where}: label "${text.trim()}", expected DROP, 0..11 or one of ${Object.keys(ObjectLabel).join(" ")}`);
}

function parseSegmentationClass(text: string | undefined, where: string): number | null {
  const t = (text ?? "").trim();
  if (t === "") return null;
  if (!/^\d+$/.test(t) || Number(t) > 255) throw new Error(`${where}: segmentation_class "${t}", expected empty or 0..255`);
  return Number(t);
}

export class LabelMap {
  readonly source: string;
  readonly #entries: ReadonlyMap<string, ClassMapping>;

  private constructor(source: string, entries: Map<string, ClassMapping>) {
    this.source = source;
    this.#entries = entries;
  }

  /** Parses CSV text; `source` names the file in error messages. */
  static parse(text: string, source: string): LabelMap {
    const entries = new Map<string, ClassMapping>();
    let sawRow = false;
    text.split(/\r?\n/).forEach((raw, i) => {
      const where = `${source}:${i + 1}`;
      const line = raw.trim();
      if (line === "" || line.startsWith("#")) return;
      const cells = line.split(",").map((c) => c.trim());
      if (!sawRow && cells.slice(0, HEADER.length).join(",") === HEADER.slice(0, cells.length).join(",")) {
        sawRow = true;
        return;
      }
      sawRow = true;
      if (cells.length < 2 || cells.length > 3) throw new Error(`${where}: ${cells.length} columns, expected name,label[,segmentation_class]`);
      const [name = "", label = "", seg] = cells;
      if (name === "") throw new Error(`${where}: empty class name`);
      if (entries.has(name)) throw new Error(`${where}: class "${name}" listed twice`);
      entries.set(name, { label: parseLabel(label, where), segmentationClass: parseSegmentationClass(seg, where) });
    });
    return new LabelMap(source, entries);
  }

  static load(file: string): LabelMap {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (e) {
      throw new Error(`label map ${file}: cannot read (${(e as Error).message})`);
    }
    return LabelMap.parse(text, file);
  }

  /** Class names the file lists (without the `*` default). */
  get names(): string[] {
    return [...this.#entries.keys()].filter((n) => n !== WILDCARD);
  }

  /** Whether every one of `classNames` has a row (or a `*` default applies). */
  covers(classNames: readonly string[]): boolean {
    return this.#entries.has(WILDCARD) || classNames.every((n) => this.#entries.has(n));
  }

  /** The mapping per model class id; throws naming the classes the file lacks. */
  resolve(classNames: readonly string[]): ClassMapping[] {
    const fallback = this.#entries.get(WILDCARD);
    const missing = classNames.filter((n) => !this.#entries.has(n));
    if (missing.length > 0 && fallback === undefined) {
      throw new Error(`${this.source}: no row for model classes ${missing.map((m) => `"${m}"`).join(", ")} (add them or a "*,LABEL" default)`);
    }
    return classNames.map((n) => this.#entries.get(n) ?? (fallback as ClassMapping));
  }
}

/** The shipped label maps (config/label_map/*.csv), in name order. */
export function shippedLabelMaps(configDir: string): LabelMap[] {
  const dir = path.join(configDir, "label_map");
  return readdirSync(dir)
    .filter((f) => f.endsWith(".csv"))
    .sort()
    .map((f) => LabelMap.load(path.join(dir, f)));
}

/**
 * The label map for a model: the file named by the label_map parameter, else the smallest shipped map
 * that lists every class name, else every class UNKNOWN (reported by `source`).
 */
export function chooseLabelMap(parameter: string, classNames: readonly string[], configDir: string): { mapping: ClassMapping[]; source: string } {
  if (parameter !== "") {
    const map = LabelMap.load(parameter);
    return { mapping: map.resolve(classNames), source: map.source };
  }
  // The tightest fit: COCO's names include all of VOC's, so a VOC model must get voc.csv.
  const shipped = shippedLabelMaps(configDir)
    .filter((m) => m.covers(classNames))
    .sort((a, b) => a.names.length - b.names.length)[0];
  if (shipped !== undefined) return { mapping: shipped.resolve(classNames), source: shipped.source };
  return {
    mapping: classNames.map(() => ({ label: ObjectLabel.UNKNOWN, segmentationClass: null })),
    source: "none (no shipped label map lists every class: all UNKNOWN)",
  };
}
