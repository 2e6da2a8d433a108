/**
 * BDD100K detection labels (the 2020 `det_20` layout and the older 100k one): a JSON array of frames
 * `{name, labels: [{category, box2d: {x1, y1, x2, y2}, attributes?: {crowd?}}]}`. Labels without box2d
 * (lanes, drivable area) are skipped. Box corners are inclusive pixel coordinates, so width = x2 − x1 + 1,
 * as BDD100K's own evaluation (scalabel's box2d_to_bbox) converts them.
 */
import type { GroundTruthImage, GroundTruthObject } from "../types.js";
import { imageKey } from "../types.js";
import type { ClassNameMap } from "./classNameMap.js";
import { expectArray, expectNumber, expectObject, expectString } from "./jsonFields.js";

export function readBdd100k(json: unknown, classes: ClassNameMap, file: string): GroundTruthImage[] {
  return expectArray(json, `${file}: top level`).map((frame, i) => {
    const where = `${file}: frames[${i}]`;
    const f = expectObject(frame, where);
    const name = expectString(f.name, `${where}.name`);
    const labels = f.labels === undefined || f.labels === null ? [] : expectArray(f.labels, `${where}.labels`);
    const objects: GroundTruthObject[] = [];
    labels.forEach((label, j) => {
      const at = `${where}.labels[${j}]`;
      const l = expectObject(label, at);
      if (l.box2d === undefined || l.box2d === null) return;
      const b = expectObject(l.box2d, `${at}.box2d`);
      const x1 = expectNumber(b.x1, `${at}.box2d.x1`);
      const y1 = expectNumber(b.y1, `${at}.box2d.y1`);
      const x2 = expectNumber(b.x2, `${at}.box2d.x2`);
      const y2 = expectNumber(b.y2, `${at}.box2d.y2`);
      const classId = classes.resolve(expectString(l.category, `${at}.category`));
      if (classId === undefined) return;
      const attributes = typeof l.attributes === "object" && l.attributes !== null ? (l.attributes as Record<string, unknown>) : {};
      objects.push({ classId, x: x1, y: y1, width: x2 - x1 + 1, height: y2 - y1 + 1, crowd: attributes.crowd === true });
    });
    return { key: imageKey(name), objects };
  });
}
