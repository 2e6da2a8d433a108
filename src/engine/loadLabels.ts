import { readFileSync } from "node:fs";
import type { ModelInfo } from "./types.js";

/** Detection classes of a model: the largest `classes=` of its [yolo] heads, else of its segmentation head. */
function classCount(info: ModelInfo): number {
  const yolo = info.heads.filter((h) => h.kind === "yolo");
  const heads = yolo.length > 0 ? yolo : info.heads;
  return Math.max(0, ...heads.map((h) => h.classes));
}

/**
 * Class labels: from a names file (one per line, blank lines skipped), else the cfg's `names=`, else "0",
 * "1", …. A names file whose count differs from the model's classes is an error naming the file.
 */
export function loadLabels(info: ModelInfo, namesFile?: string): string[] {
  const classes = classCount(info);
  if (namesFile !== undefined) {
    let text: string;
    try {
      text = readFileSync(namesFile, "utf8");
    } catch (err) {
      const reason = (err as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (err as Error).message;
      throw new Error(`${namesFile}: cannot read names file (${reason})`);
    }
    const names = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length > 0);
    if (names.length !== classes)
      throw new Error(`${namesFile}: ${names.length} class names, expected ${classes} (classes= of ${info.cfg})`);
    return names;
  }
  const cfgNames = info.names.map((n) => n.trim()).filter((n) => n.length > 0);
  if (cfgNames.length === classes && classes > 0) return cfgNames;
  return Array.from({ length: classes }, (_, i) => String(i));
}
