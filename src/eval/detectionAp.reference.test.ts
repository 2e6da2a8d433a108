/**
 * detectionAp against pycocotools' COCOeval (the definition of COCO mAP) on seeded random scenes: objects,
 * crowd regions, jittered hits, duplicates, misses and false positives. Runs where /usr/bin/python3 can
 * import pycocotools (PYTHONPATH may point at an unpacked wheel); otherwise the skip says why.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { testPaths } from "../../test/support/testPaths.js";
import { evaluateDetections } from "./detectionAp.js";
import type { GroundTruthImage, PredictedImage } from "./types.js";

const hasPycocotools = spawnSync("/usr/bin/python3", ["-c", "import pycocotools"]).status === 0;

/** mulberry32: a small seeded generator, so a failure reproduces */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function scene(seed: number, images: number, classes: number) {
  const rnd = random(seed);
  const gts: GroundTruthImage[] = [];
  const preds: PredictedImage[] = [];
  for (let i = 0; i < images; i++) {
    const key = `img${i}`;
    const g: GroundTruthImage = { key, objects: [] };
    const p: PredictedImage = { key, source: `${key}.jpg`, width: 640, height: 480, objects: [] };
    const n = Math.floor(rnd() * 8);
    for (let k = 0; k < n; k++) {
      const box = { x: rnd() * 500, y: rnd() * 380, width: 8 + rnd() * 120, height: 8 + rnd() * 90 };
      const classId = Math.floor(rnd() * classes);
      const crowd = rnd() < 0.08;
      g.objects.push({ ...box, classId, crowd });
      const r = rnd();
      if (r < 0.75) {
        const j = () => (rnd() - 0.5) * 0.4;
        p.objects.push({ classId, score: rnd(), x: box.x + j() * box.width, y: box.y + j() * box.height, width: box.width * (1 + j()), height: box.height * (1 + j()) });
        if (rnd() < 0.15) p.objects.push({ classId, score: rnd(), x: box.x + 2, y: box.y + 1, width: box.width, height: box.height });
      }
    }
    const fps = Math.floor(rnd() * 3);
    for (let k = 0; k < fps; k++) {
      p.objects.push({ classId: Math.floor(rnd() * classes), score: rnd(), x: rnd() * 500, y: rnd() * 380, width: 10 + rnd() * 80, height: 10 + rnd() * 80 });
    }
    gts.push(g);
    preds.push(p);
  }
  return { gts, preds };
}

describe("evaluateDetections vs pycocotools", () => {
  it.skipIf(!hasPycocotools)("gives COCOeval's mAP@0.5:0.95, mAP@0.5 and per-class AP (needs pycocotools importable by /usr/bin/python3)", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "coco-"));
    for (const seed of [1, 2, 3]) {
      const classes = 5;
      const { gts, preds } = scene(seed, 40, classes);
      const images = gts.map((g, i) => ({ id: i + 1, file_name: `${g.key}.jpg`, width: 640, height: 480 }));
      let id = 1;
      const annotations = gts.flatMap((g, i) => g.objects.map((o) => ({ id: id++, image_id: i + 1, category_id: o.classId + 1, bbox: [o.x, o.y, o.width, o.height], area: o.width * o.height, iscrowd: o.crowd ? 1 : 0 })));
      const categories = Array.from({ length: classes }, (_, c) => ({ id: c + 1, name: `c${c}` }));
      const results = preds.flatMap((p, i) => p.objects.map((o) => ({ image_id: i + 1, category_id: o.classId + 1, bbox: [o.x, o.y, o.width, o.height], score: o.score })));
      writeFileSync(path.join(dir, "gt.json"), JSON.stringify({ images, annotations, categories }));
      writeFileSync(path.join(dir, "dt.json"), JSON.stringify(results));
      const ref = JSON.parse(execFileSync("/usr/bin/python3", [path.join(testPaths.repoRoot, "test", "reference", "coco_eval.py"), path.join(dir, "gt.json"), path.join(dir, "dt.json")], { encoding: "utf8" }));
      const ours = evaluateDetections(gts, preds, { labels: categories.map((c) => c.name) });
      expect(ours.map50to95).toBeCloseTo(ref.map50to95, 10);
      expect(ours.map50).toBeCloseTo(ref.map50, 10);
      for (const c of ours.classes) {
        const r = ref.per_class[String(c.classId + 1)];
        if (c.ap50 === null) expect(r).toBeUndefined();
        else {
          expect(c.ap50).toBeCloseTo(r[0], 10);
          expect(c.ap).toBeCloseTo(r[1], 10);
        }
      }
    }
  });
});
