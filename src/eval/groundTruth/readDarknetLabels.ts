/**
 * darknet / YOLO training labels: one `<image stem>.txt` per image, lines `class cx cy w h` with the centre
 * and size normalised to the image (0..1). Pixel boxes need the image size, which the caller supplies
 * (from the predictions, which record it, or by reading the image). A missing file means "no objects".
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { GroundTruthImage, GroundTruthObject } from "../types.js";

export interface ImageSize {
  key: string;
  width: number;
  height: number;
}

export function parseDarknetLabels(text: string, size: ImageSize, file: string, classCount: number): GroundTruthImage {
  const objects: GroundTruthObject[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line) return;
    const fields = line.split(/\s+/);
    const where = `${file}:${i + 1}`;
    if (fields.length !== 5) throw new Error(`${where}: ${fields.length} fields, expected 5 (class cx cy w h)`);
    const [cls, cx, cy, w, h] = fields.map(Number) as [number, number, number, number, number];
    if (!Number.isInteger(cls) || cls < 0 || cls >= classCount) {
      throw new Error(`${where}: class ${fields[0]}, expected an integer in 0..${classCount - 1}`);
    }
    for (const [name, v] of [["cx", cx], ["cy", cy], ["w", w], ["h", h]] as const) {
      if (!Number.isFinite(v) || v < 0 || v > 1) throw new Error(`${where}: ${name}=${fields[["cx", "cy", "w", "h"].indexOf(name) + 1]}, expected a number in 0..1`);
    }
    objects.push({
      classId: cls,
      x: (cx - w / 2) * size.width,
      y: (cy - h / 2) * size.height,
      width: w * size.width,
      height: h * size.height,
      crowd: false,
    });
  });
  return { key: size.key, objects };
}

/** Reads `<dir>/<key>.txt` for each image. */
export function readDarknetLabelDir(dir: string, images: readonly ImageSize[], classCount: number): GroundTruthImage[] {
  return images.map((size) => {
    const file = join(dir, `${size.key}.txt`);
    return existsSync(file) ? parseDarknetLabels(readFileSync(file, "utf8"), size, file, classCount) : { key: size.key, objects: [] };
  });
}
