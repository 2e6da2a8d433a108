import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ClassNameMap } from "./classNameMap.js";
import { parseDarknetLabels } from "./readDarknetLabels.js";
import { readGroundTruth } from "./readGroundTruth.js";

const labels = ["car", "bus", "person", "bike", "truck", "motor", "train", "rider", "traffic_sign", "traffic_light"];

describe("ClassNameMap", () => {
  it("matches names loosely, through synonyms and explicit overrides", () => {
    const m = new ClassNameMap(labels, { "other vehicle": "truck" });
    expect(m.resolve("Traffic Light")).toBe(9);
    expect(m.resolve("pedestrian")).toBe(2);
    expect(m.resolve("motorcycle")).toBe(5);
    expect(m.resolve("bicycle")).toBe(3);
    expect(m.resolve("other vehicle")).toBe(4);
    expect(m.resolve("lane")).toBeUndefined();
    expect(m.resolve("lane")).toBeUndefined();
    expect(m.unmatched.get("lane")).toBe(2);
    expect(() => new ClassNameMap(labels, { a: "plane" })).toThrow('"plane" is not a model class');
  });
});

describe("readGroundTruth", () => {
  const dir = mkdtempSync(join(tmpdir(), "gt-"));

  it("reads BDD100K frames with inclusive corners and crowd flags", () => {
    const file = join(dir, "bdd.json");
    writeFileSync(file, JSON.stringify([
      { name: "a/b/0001.jpg", labels: [
        { category: "car", box2d: { x1: 10, y1: 20, x2: 19, y2: 39 } },
        { category: "pedestrian", box2d: { x1: 0, y1: 0, x2: 9, y2: 9 }, attributes: { crowd: true } },
        { category: "lane", poly2d: [] },
        { category: "drivable area" },
      ] },
      { name: "0002.jpg", labels: null },
    ]));
    const r = readGroundTruth(file, { labels, imageSizes: [] });
    expect(r.format).toBe("bdd100k");
    expect(r.images).toEqual([
      { key: "0001", objects: [
        { classId: 0, x: 10, y: 20, width: 10, height: 20, crowd: false },
        { classId: 2, x: 0, y: 0, width: 10, height: 10, crowd: true },
      ] },
      { key: "0002", objects: [] },
    ]);
  });

  it("reads COCO, mapping categories by name", () => {
    const file = join(dir, "coco.json");
    writeFileSync(file, JSON.stringify({
      images: [{ id: 7, file_name: "x.jpg" }, { id: 8, file_name: "empty.png" }],
      categories: [{ id: 3, name: "bus" }, { id: 90, name: "toothbrush" }],
      annotations: [
        { image_id: 7, category_id: 3, bbox: [1, 2, 3, 4], iscrowd: 0 },
        { image_id: 7, category_id: 90, bbox: [1, 2, 3, 4], iscrowd: 0 },
        { image_id: 7, category_id: 3, bbox: [5, 5, 50, 50], iscrowd: 1 },
      ],
    }));
    const r = readGroundTruth(file, { labels, imageSizes: [] });
    expect(r.format).toBe("coco");
    expect(r.images).toEqual([
      { key: "x", objects: [{ classId: 1, x: 1, y: 2, width: 3, height: 4, crowd: false }, { classId: 1, x: 5, y: 5, width: 50, height: 50, crowd: true }] },
      { key: "empty", objects: [] },
    ]);
    expect(r.unmatchedClasses.get("toothbrush")).toBe(1);
  });

  it("reads darknet labels with the image sizes", () => {
    writeFileSync(join(dir, "img1.txt"), "1 0.5 0.5 0.5 0.25\n\n");
    const r = readGroundTruth(dir, { labels, imageSizes: [{ key: "img1", width: 200, height: 100 }, { key: "none", width: 5, height: 5 }] });
    expect(r.format).toBe("darknet");
    expect(r.images).toEqual([
      { key: "img1", objects: [{ classId: 1, x: 50, y: 37.5, width: 100, height: 25, crowd: false }] },
      { key: "none", objects: [] },
    ]);
  });

  it("names the file, line and field of bad input", () => {
    const size = { key: "k", width: 10, height: 10 };
    expect(() => parseDarknetLabels("0 0.5 0.5 0.1\n", size, "k.txt", 3)).toThrow("k.txt:1: 4 fields, expected 5");
    expect(() => parseDarknetLabels("\n7 0.5 0.5 0.1 0.1", size, "k.txt", 3)).toThrow("k.txt:2: class 7, expected an integer in 0..2");
    expect(() => parseDarknetLabels("0 0.5 1.5 0.1 0.1", size, "k.txt", 3)).toThrow("k.txt:1: cy=1.5, expected a number in 0..1");
    const bad = join(dir, "bad.json");
    writeFileSync(bad, JSON.stringify([{ name: "a.jpg", labels: [{ category: "car", box2d: { x1: 0, y1: 0, x2: "9", y2: 9 } }] }]));
    expect(() => readGroundTruth(bad, { labels, imageSizes: [] })).toThrow(`${bad}: frames[0].labels[0].box2d.x2: expected a number, found "9"`);
    writeFileSync(bad, "{");
    expect(() => readGroundTruth(bad, { labels, imageSizes: [] })).toThrow("not valid JSON");
    writeFileSync(bad, JSON.stringify({ images: [], categories: [], annotations: [{ image_id: 1, category_id: 1, bbox: [0, 0, 1, 1] }] }));
    expect(() => readGroundTruth(bad, { labels, imageSizes: [] })).toThrow("annotations[0].image_id=1, expected the id of an entry in images");
  });
});
