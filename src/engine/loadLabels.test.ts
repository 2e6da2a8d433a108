import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadLabels } from "./loadLabels.js";
import type { ModelInfo } from "./types.js";

const info = (names: string[], classes = 3): ModelInfo =>
  ({ cfg: "m.cfg", names, heads: [{ kind: "yolo", layer: 5, source: 4, classes, colormap: [] }] }) as unknown as ModelInfo;
const dir = mkdtempSync(path.join(tmpdir(), "lightnet-labels-"));

describe("loadLabels", () => {
  it("prefers the names file (blank lines and spaces ignored)", () => {
    const names = path.join(dir, "a.names");
    writeFileSync(names, "cat\r\n dog \n\nbird\n");
    expect(loadLabels(info(["x", "y", "z"]), names)).toEqual(["cat", "dog", "bird"]);
  });
  it("falls back to the cfg's names=, trimmed, then to numbers", () => {
    expect(loadLabels(info(["car", "  bus", "person "]))).toEqual(["car", "bus", "person"]);
    expect(loadLabels(info([]))).toEqual(["0", "1", "2"]);
  });
  it("names the file when it is missing or has the wrong count", () => {
    expect(() => loadLabels(info([]), path.join(dir, "none.names"))).toThrow(`${path.join(dir, "none.names")}: cannot read names file (no such file)`);
    const two = path.join(dir, "two.names");
    writeFileSync(two, "a\nb\n");
    expect(() => loadLabels(info([]), two)).toThrow(`${two}: 2 class names, expected 3 (classes= of m.cfg)`);
  });
});
