import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { chooseLabelMap, LabelMap, shippedLabelMaps } from "./labelMap.js";
import { ObjectLabel } from "./messages/types.js";
import { testPaths } from "../../test/support/testPaths.js";

const configDir = path.join(testPaths.repoRoot, "config");
const namesOf = (file: string): string[] => readFileSync(file, "utf8").split("\n").map((s) => s.trim()).filter((s) => s !== "");

describe("LabelMap.parse", () => {
  it("reads names, labels by name or number, drop and segmentation classes", () => {
    const map = LabelMap.parse("# comment\nname,label,segmentation_class\ncar,CAR,13\nperson,7\nsign,drop,7\n", "m.csv");
    expect(map.resolve(["person", "car", "sign"])).toEqual([
      { label: 7, segmentationClass: null },
      { label: ObjectLabel.CAR, segmentationClass: 13 },
      { label: null, segmentationClass: 7 },
    ]);
  });

  it("a * row is the default for unlisted classes", () => {
    const map = LabelMap.parse("car,CAR\n*,UNKNOWN\n", "m.csv");
    expect(map.resolve(["car", "tram"]).map((m) => m.label)).toEqual([1, 0]);
  });

  it("rejects bad rows naming file, line, expected and found", () => {
    expect(() => LabelMap.parse("car,VAN\n", "m.csv")).toThrow('m.csv:1: label "VAN", expected DROP, 0..11 or one of UNKNOWN CAR');
    expect(() => LabelMap.parse("\ncar,12\n", "m.csv")).toThrow('m.csv:2: label "12"');
    expect(() => LabelMap.parse("car\n", "m.csv")).toThrow("m.csv:1: 1 columns, expected name,label[,segmentation_class]");
    expect(() => LabelMap.parse("car,CAR\ncar,BUS\n", "m.csv")).toThrow('m.csv:2: class "car" listed twice');
    expect(() => LabelMap.parse("car,CAR,300\n", "m.csv")).toThrow('m.csv:1: segmentation_class "300", expected empty or 0..255');
  });

  it("names the model classes a map lacks", () => {
    expect(() => LabelMap.parse("car,CAR\n", "m.csv").resolve(["car", "bus", "van"])).toThrow(
      'm.csv: no row for model classes "bus", "van"',
    );
  });
});

describe("shipped label maps", () => {
  const maps = shippedLabelMaps(configDir);
  const byName = (n: string) => maps.find((m) => path.basename(m.source) === `${n}.csv`) as LabelMap;

  it("BDD100K: every LightNet class, documented labels", () => {
    const names = namesOf(path.join(testPaths.shared, "models/lightnet/bdd100k.names"));
    const mapping = byName("bdd100k").resolve(names);
    const labels = Object.fromEntries(names.map((n, i) => [n, mapping[i]?.label]));
    expect(labels).toEqual({
      car: 1, bus: 3, person: 7, bike: 6, truck: 2, motor: 5, train: 0, rider: 7, traffic_sign: null, traffic_light: null,
    });
  });

  it("VOC and COCO cover their darknet name files", () => {
    const voc = namesOf(path.join(testPaths.shared, "models/yolo-fastest/voc.names"));
    const coco = namesOf(path.join(testPaths.shared, "models/yolo-fastest/coco.names"));
    expect(byName("voc").names.sort()).toEqual([...voc].sort());
    expect(byName("coco").covers(coco)).toBe(true);
    const vocMap = byName("voc").resolve(voc);
    expect(vocMap[voc.indexOf("motorbike")]?.label).toBe(ObjectLabel.MOTORCYCLE);
    expect(vocMap[voc.indexOf("dog")]?.label).toBe(ObjectLabel.ANIMAL);
    expect(vocMap[voc.indexOf("sofa")]?.label).toBeNull();
    const cocoMap = byName("coco").resolve(coco);
    expect(cocoMap[coco.indexOf("truck")]?.label).toBe(ObjectLabel.TRUCK);
    expect(cocoMap[coco.indexOf("traffic light")]?.label).toBeNull();
  });

  it("chooseLabelMap picks the shipped map covering the model, else all UNKNOWN", () => {
    const voc = namesOf(path.join(testPaths.shared, "models/yolo-fastest/voc.names"));
    expect(path.basename(chooseLabelMap("", voc, configDir).source)).toBe("voc.csv");
    const none = chooseLabelMap("", ["0", "1"], configDir);
    expect(none.mapping).toEqual([{ label: 0, segmentationClass: null }, { label: 0, segmentationClass: null }]);
    expect(() => chooseLabelMap("/nonexistent.csv", voc, configDir)).toThrow("label map /nonexistent.csv: cannot read");
  });
});
