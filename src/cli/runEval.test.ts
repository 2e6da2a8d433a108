/**
 * `eval` end to end with the real engine. Known answers come from ground truth built out of the run
 * itself: identical labels give mAP 1 and mIoU 1; one extra unfindable object caps recall at n/(n+1),
 * so that class's AP is the share of COCO's 101 recall points at or below it.
 */
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync, copyFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { PNG } from "pngjs";
import { describe, expect, it } from "vitest";
import { decodeLabelPng, encodeClassIdPng } from "../eval/labelPng.js";
import { resizeNearest } from "../eval/segmentationIou.js";
import { toNodeParameters } from "../ros/parameters.js";
import { testPaths } from "../../test/support/testPaths.js";
import { runEval, type EvalOptions } from "./runEval.js";

const yolo = path.join(testPaths.shared, "models", "yolo-fastest");
const dir = mkdtempSync(path.join(tmpdir(), "eval-"));
const base: EvalOptions = { images: [], iouThreshold: 0.5, samples: 2 };
const noErrors = (e: unknown) => {
  throw e;
};

describe("runEval", () => {
  it("scores a run against ground truth made from it, and compares runs", async () => {
    const params = toNodeParameters(new Map<string, string | number | boolean>([
      ["model_cfg", path.join(yolo, "yolo-fastest-1.1-xl.cfg")], ["model_weights", path.join(yolo, "yolo-fastest-1.1-xl.weights")],
      ["names", path.join(yolo, "coco.names")], ["backend", "cpu"], ["precision", "fp32"], ["score_threshold", 0.3],
    ]));
    const run = path.join(dir, "run.jsonl");
    const report = path.join(dir, "report.html");
    const first = await runEval({ ...base, images: [path.join(testPaths.shared, "images")], params, savePredictions: run, report }, noErrors);
    expect(first.latency!.frames).toBe(4);
    const lines = readFileSync(run, "utf8").trim().split("\n").map((l) => JSON.parse(l));
    expect(lines).toHaveLength(4);

    // COCO ground truth = the run's own boxes, plus one car where nothing was detected
    const names = readFileSync(path.join(yolo, "coco.names"), "utf8").split("\n").filter(Boolean);
    const annotations: object[] = [];
    lines.forEach((l, i) => l.detections.forEach((d: { class_id: number; x: number; y: number; width: number; height: number }) =>
      annotations.push({ id: annotations.length + 1, image_id: i + 1, category_id: d.class_id + 1, bbox: [d.x, d.y, d.width, d.height], iscrowd: 0 })));
    const cars = lines.flatMap((l) => l.detections).filter((d: { label: string }) => d.label === "car").length;
    expect(cars).toBeGreaterThan(1);
    annotations.push({ id: annotations.length + 1, image_id: 1, category_id: 3, bbox: [0, 0, 1, 1], iscrowd: 0 });
    const gt = path.join(dir, "gt.json");
    writeFileSync(gt, JSON.stringify({
      images: lines.map((l, i) => ({ id: i + 1, file_name: path.basename(l.source) })),
      annotations,
      categories: names.map((name, i) => ({ id: i + 1, name })),
    }));

    const scored = await runEval({ ...base, predictions: run, groundTruth: gt, against: run }, noErrors);
    const d = scored.detection!;
    const present = d.classes.filter((c) => c.ap50 !== null);
    // recall of car tops out at n/(n+1) with precision 1: AP = #{levels i/100 ≤ n/(n+1)} / 101
    const levels = Array.from({ length: 101 }, (_, i) => i * 0.01).filter((r) => r <= cars / (cars + 1)).length;
    const carAp = levels / 101;
    expect(d.classes[2]!.ap50).toBeCloseTo(carAp, 12);
    expect(d.classes[2]!.ap).toBeCloseTo(carAp, 12);
    for (const c of present.filter((c) => c.classId !== 2)) expect(c.ap).toBe(1);
    expect(d.map50).toBeCloseTo((present.length - 1 + carAp) / present.length, 12);
    expect(scored.agreement!.f1).toBe(1);
    expect(scored.agreement!.meanMatchedIou).toBe(1);

    const html = readFileSync(report, "utf8");
    expect(html).toContain("<h2>Latency</h2>");
    expect(html).toContain("<h2>Sample frames</h2>");
    const pngs = [...html.matchAll(/data:image\/png;base64,([^"]+)/g)].map((m) => PNG.sync.read(Buffer.from(m[1]!, "base64")));
    expect(pngs.length).toBe(3); // latency histogram + 2 samples
  });

  it("gives mIoU 1 against label PNGs made from the run's own masks", async () => {
    const imageDir = path.join(dir, "seg-images");
    mkdirSync(imageDir);
    copyFileSync(path.join(testPaths.shared, "images", "dog.jpg"), path.join(imageDir, "dog.jpg"));
    const params = toNodeParameters(new Map<string, string | number | boolean>([
      ["model_cfg", path.join(testPaths.shared, "models", "lightnet", "lightNet-BDD100K-chPruning-det-semaseg-1280x960.cfg")], ["backend", "cpu"], ["precision", "fp32"],
      ["score_threshold", 0.95], // random weights: keep the box count small
    ]));
    const masks = path.join(dir, "masks");
    const run = path.join(dir, "seg.jsonl");
    await runEval({ ...base, images: [imageDir], params, saveMasks: masks, savePredictions: run }, noErrors);
    const mask = decodeLabelPng(readFileSync(path.join(masks, "dog.png")), "dog.png");
    expect([mask.width, mask.height]).toEqual([640, 480]);
    // labels at full image resolution (768×576): the head's mask resized by nearest neighbour
    const labels = path.join(dir, "labels");
    mkdirSync(labels);
    writeFileSync(path.join(labels, "dog.png"), encodeClassIdPng(resizeNearest(mask, 768, 576)));
    const r = await runEval({ ...base, predictions: run, predictionMasks: masks, segLabels: labels, against: run, againstMasks: masks }, noErrors);
    expect(r.segmentation!.miou).toBe(1);
    expect(r.segmentation!.pixelAccuracy).toBe(1);
    expect(r.agreement!.maskPixelAgreement).toBe(1);
  });
});
