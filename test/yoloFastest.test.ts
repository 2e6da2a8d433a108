/**
 * Yolo-Fastest (trained darknet weights, VOC-20 and COCO-80) on every image in ../shared/images: our CLI's
 * detections against OpenCV DNN's (cv2.dnn.readNetFromDarknet, its own decoding, class-wise NMSBoxes), and our
 * --dump-outputs .npy files against OpenCV's raw head-conv outputs (loaded with numpy.load).
 */
import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { matchDetections, type ScoredBox } from "./support/matchDetections.js";
import { opencvReference } from "./support/opencvReference.js";
import { runCli } from "./support/runCli.js";
import { testPaths } from "./support/testPaths.js";

const SCORE_THRESHOLD = 0.25;
const NMS_THRESHOLD = 0.45;
const images = readdirSync(testPaths.images).sort().map((f) => path.join(testPaths.images, f));

interface Line {
  source: string;
  width: number;
  height: number;
  detections: ScoredBox[];
}

describe.skipIf(opencvReference.unavailable !== undefined)(
  `Yolo-Fastest vs OpenCV DNN${opencvReference.unavailable ? ` (skipped: ${opencvReference.unavailable})` : ""}`,
  () => {
    for (const [name, model] of Object.entries(testPaths.yoloFastest)) {
      describe(name, () => {
        const dump = mkdtempSync(path.join(tmpdir(), `lightnet-dump-${name}-`));
        let ours: Line[] = [];

        it("detects the same objects as OpenCV on every image", () => {
          const run = runCli([
            "infer", "--cfg", model.cfg, "--weights", model.weights, "--names", model.names, "--backend", "cpu",
            "--score-threshold", String(SCORE_THRESHOLD), "--nms-threshold", String(NMS_THRESHOLD),
            "--json", "--dump-outputs", dump, "--input", ...images,
          ]);
          expect(run.stderr).toBe("");
          expect(run.status).toBe(0);
          ours = run.lines.map((l) => JSON.parse(l) as Line);
          const reference = opencvReference.run({ ...model, images, scoreThreshold: SCORE_THRESHOLD, nmsThreshold: NMS_THRESHOLD }) as Line[];
          expect(ours.map((l) => l.source)).toEqual(images);

          let total = { ours: 0, reference: 0, matched: 0, exact: 0, minIou: 1, maxScoreDiff: 0 };
          images.forEach((image, k) => {
            const a = ours[k]!;
            const b = reference[k]!;
            expect([a.width, a.height]).toEqual([b.width, b.height]);
            const stats = matchDetections(a.detections, b.detections, 0.9);
            // A box may be in one list only if its score sits at the threshold (float rounding decides it).
            const borderline = (d: ScoredBox) => Math.abs(d.score - SCORE_THRESHOLD) < 1e-3;
            expect(stats.unmatchedOurs.filter((d) => !borderline(d)), `${image}: ours only`).toEqual([]);
            expect(stats.unmatchedReference.filter((d) => !borderline(d)), `${image}: OpenCV only`).toEqual([]);
            expect(stats.maxScoreDiff, image).toBeLessThanOrEqual(1e-3);
            total = {
              ours: total.ours + stats.ours, reference: total.reference + stats.reference,
              matched: total.matched + stats.matched, exact: total.exact + stats.exact,
              minIou: Math.min(total.minIou, stats.minIou), maxScoreDiff: Math.max(total.maxScoreDiff, stats.maxScoreDiff),
            };
          });
          expect(total.matched).toBeGreaterThan(0);
          console.info(
            `[${name}] ${images.length} images: ours ${total.ours}, OpenCV ${total.reference}, matched ${total.matched} ` +
              `(class + IoU >= 0.9; min IoU ${total.minIou.toFixed(6)}, max |score diff| ${total.maxScoreDiff.toExponential(2)}), ` +
              `exact (coords within 1e-3 px, score within 1e-6): ${total.exact}`,
          );
        });

        it("--dump-outputs writes numpy-readable float32 NCHW head outputs equal to OpenCV's", () => {
          expect(ours.length).toBe(images.length);
          const [report] = opencvReference.run({ ...model, images, compareNpy: dump }).slice(-1) as [
            { npy: Record<string, { shape: number[]; ref_shape: number[]; dtype: string; max_abs_diff?: number; max_abs_ref: number; missing?: string }> },
          ];
          const layers = Object.keys(report.npy);
          expect(layers.length).toBe(2);
          for (const layer of layers) {
            const entry = report.npy[layer]!;
            expect(entry.missing, `layer ${layer}`).toBeUndefined();
            expect(entry.dtype).toBe("float32");
            expect(entry.shape).toEqual(entry.ref_shape);
            expect(entry.shape[0]).toBe(images.length);
            // fp32 with different summation orders (measured ~3e-6): agreement to 1e-5 of the tensor's magnitude.
            expect(entry.max_abs_diff!, `layer ${layer}`).toBeLessThanOrEqual(1e-5 * entry.max_abs_ref);
            console.info(`[${name}] conv ${layer} ${JSON.stringify(entry.shape)}: max |ours - OpenCV| ${entry.max_abs_diff!.toExponential(2)} (max |OpenCV| ${entry.max_abs_ref.toFixed(2)})`);
          }
        });
      });
    }
  },
);
