/**
 * COCO detection annotations: `images[{id, file_name}]`, `annotations[{image_id, category_id,
 * bbox: [x, y, w, h], iscrowd}]`, `categories[{id, name}]`. Category names are mapped to model classes by
 * name. Every image listed counts, also those without annotations.
 */
import type { GroundTruthImage } from "../types.js";
import { imageKey } from "../types.js";
import type { ClassNameMap } from "./classNameMap.js";
import { expectArray, expectNumber, expectObject, expectString } from "./jsonFields.js";

export function readCoco(json: unknown, classes: ClassNameMap, file: string): GroundTruthImage[] {
  const root = expectObject(json, `${file}: top level`);
  const categories = new Map<number, number | undefined>();
  const categoryNames = new Map<number, string>();
  expectArray(root.categories, `${file}: categories`).forEach((c, i) => {
    const o = expectObject(c, `${file}: categories[${i}]`);
    categoryNames.set(expectNumber(o.id, `${file}: categories[${i}].id`), expectString(o.name, `${file}: categories[${i}].name`));
  });
  const images = new Map<number, GroundTruthImage>();
  expectArray(root.images, `${file}: images`).forEach((im, i) => {
    const o = expectObject(im, `${file}: images[${i}]`);
    const id = expectNumber(o.id, `${file}: images[${i}].id`);
    images.set(id, { key: imageKey(expectString(o.file_name, `${file}: images[${i}].file_name`)), objects: [] });
  });
  expectArray(root.annotations, `${file}: annotations`).forEach((a, i) => {
    const at = `${file}: annotations[${i}]`;
    const o = expectObject(a, at);
    const imageId = expectNumber(o.image_id, `${at}.image_id`);
    const image = images.get(imageId);
    if (!image) throw new Error(`${at}.image_id=${imageId}, expected the id of an entry in images`);
    const categoryId = expectNumber(o.category_id, `${at}.category_id`);
    const name = categoryNames.get(categoryId);
    if (name === undefined) throw new Error(`${at}.category_id=${categoryId}, expected the id of an entry in categories`);
    const bbox = expectArray(o.bbox, `${at}.bbox`);
    if (bbox.length !== 4) throw new Error(`${at}.bbox has ${bbox.length} numbers, expected 4 (x, y, width, height)`);
    const [x, y, width, height] = bbox.map((v, k) => expectNumber(v, `${at}.bbox[${k}]`)) as [number, number, number, number];
    if (!categories.has(categoryId)) categories.set(categoryId, classes.resolve(name));
    const classId = categories.get(categoryId);
    if (classId === undefined) return;
    image.objects.push({ classId, x, y, width, height, crowd: o.iscrowd === 1 || o.iscrowd === true });
  });
  return [...images.values()];
}
