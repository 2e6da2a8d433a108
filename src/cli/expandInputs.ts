import { readdirSync, statSync } from "node:fs";
import path from "node:path";

const IMAGE_EXTENSIONS = new Set([".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff", ".ppm", ".pgm", ".pnm"]);

/** Each input path as given, except that a directory stands for its image files (sorted by name). */
export function expandInputs(inputs: readonly string[]): string[] {
  return inputs.flatMap((input) => {
    let isDirectory = false;
    try {
      isDirectory = statSync(input).isDirectory();
    } catch {
      return [input]; // missing: reported by the reader, with the other inputs still processed
    }
    if (!isDirectory) return [input];
    return readdirSync(input, { withFileTypes: true })
      .filter((entry) => entry.isFile() && IMAGE_EXTENSIONS.has(path.extname(entry.name).toLowerCase()))
      .map((entry) => entry.name)
      .sort()
      .map((name) => path.join(input, name));
  });
}
