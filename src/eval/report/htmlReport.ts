/**
 * The evaluation report as one self-contained HTML file: summary tables and PNG charts embedded as
 * base64 data URIs, so it can be mailed or attached to a review without its images.
 */
import type { AgreementReport } from "../agreement.js";
import type { DetectionReport } from "../detectionAp.js";
import type { LatencyStats } from "../latencyStats.js";
import type { SegmentationReport } from "../segmentationIou.js";
import { histogram, horizontalBarChart } from "./charts.js";

export interface ReportInput {
  title: string;
  /** key → value lines describing the run (model, backend, precision, ground truth, command) */
  run: Readonly<Record<string, string>>;
  detection?: DetectionReport;
  segmentation?: SegmentationReport;
  agreement?: AgreementReport;
  latency?: { stats: LatencyStats; samplesMs: readonly number[] };
  /** annotated frames, PNG */
  samples?: readonly { name: string; png: Buffer }[];
  /** warnings worth a reader's attention (unmatched classes, frames without ground truth …) */
  notes?: readonly string[];
}

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const fmt = (v: number | null | undefined, digits = 4) => (v === null || v === undefined ? "n/a" : v.toFixed(digits));
const img = (png: Buffer, alt: string) => `<img alt="${escape(alt)}" src="data:image/png;base64,${png.toString("base64")}">`;

function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const th = head.map((h) => `<th>${escape(h)}</th>`).join("");
  const tr = rows.map((r) => `<tr>${r.map((c) => `<td>${escape(c)}</td>`).join("")}</tr>`).join("\n");
  return `<table><thead><tr>${th}</tr></thead><tbody>\n${tr}\n</tbody></table>`;
}

function detectionSection(d: DetectionReport): string {
  const chart = horizontalBarChart(
    "AVERAGE PRECISION PER CLASS",
    [{ name: "AP@0.5", color: [70, 130, 180] }, { name: "AP@0.5:0.95", color: [230, 140, 40] }],
    d.classes.map((c) => ({ label: c.label, values: [c.ap50, c.ap] })),
  );
  return `<h2>Detection</h2>
<p class="big">mAP@0.5 <b>${fmt(d.map50)}</b> &nbsp; mAP@0.5:0.95 <b>${fmt(d.map50to95)}</b> &nbsp; over ${d.images} images</p>
${img(chart, "AP per class")}
${table(["class", "id", "ground truth", "detections", "AP@0.5", "AP@0.5:0.95"], d.classes.map((c) => [c.label, String(c.classId), String(c.groundTruth), String(c.detections), fmt(c.ap50), fmt(c.ap)]))}`;
}

function segmentationSection(s: SegmentationReport): string {
  const chart = horizontalBarChart("IOU PER CLASS", [{ name: "IoU", color: [60, 160, 90] }], s.classes.map((c) => ({ label: c.label, values: [c.iou] })));
  return `<h2>Segmentation</h2>
<p class="big">mIoU <b>${fmt(s.miou)}</b> &nbsp; pixel accuracy <b>${fmt(s.pixelAccuracy)}</b> &nbsp; over ${s.frames} frames</p>
${img(chart, "IoU per class")}
${table(["class", "id", "label pixels", "IoU"], s.classes.map((c) => [c.label, String(c.classId), String(c.groundTruthPixels), fmt(c.iou)]))}`;
}

function agreementSection(a: AgreementReport): string {
  return `<h2>Agreement between runs (A = reference)</h2>
${table(["measure", "value"], [
    ["frames compared", String(a.frames)],
    ["frames in one run only", String(a.unmatchedFrames.length)],
    [`boxes matched (same class, IoU ≥ ${a.iouThreshold})`, String(a.matched)],
    ["boxes only in A / only in B", `${a.onlyA} / ${a.onlyB}`],
    ["precision / recall / F1", `${fmt(a.precision)} / ${fmt(a.recall)} / ${fmt(a.f1)}`],
    ["mean IoU of matched boxes", fmt(a.meanMatchedIou)],
    ["mean |score A − score B|", fmt(a.meanAbsScoreDiff)],
    ["mask pixel agreement", fmt(a.maskPixelAgreement)],
    ["mask mIoU (B against A)", fmt(a.maskMiou)],
  ])}`;
}

function latencySection(l: NonNullable<ReportInput["latency"]>): string {
  const s = l.stats;
  const chart = histogram("LATENCY PER FRAME", "MS (PREPROCESS + INFERENCE + POSTPROCESS)", l.samplesMs, [
    { label: "P50", value: s.p50Ms, color: [40, 150, 40] },
    { label: "P90", value: s.p90Ms, color: [220, 140, 0] },
    { label: "P99", value: s.p99Ms, color: [200, 30, 30] },
  ]);
  return `<h2>Latency</h2>
${table(["frames", "mean ms", "p50 ms", "p90 ms", "p99 ms", "min ms", "max ms", "throughput fps"], [[
    String(s.frames), fmt(s.meanMs, 2), fmt(s.p50Ms, 2), fmt(s.p90Ms, 2), fmt(s.p99Ms, 2), fmt(s.minMs, 2), fmt(s.maxMs, 2), fmt(s.throughputFps, 2),
  ]])}
${img(chart, "latency histogram")}`;
}

export function buildHtmlReport(input: ReportInput): string {
  const sections = [
    `<h1>${escape(input.title)}</h1>`,
    table(["", ""], Object.entries(input.run)),
    input.notes?.length ? `<ul class="notes">${input.notes.map((n) => `<li>${escape(n)}</li>`).join("")}</ul>` : "",
    input.detection ? detectionSection(input.detection) : "",
    input.segmentation ? segmentationSection(input.segmentation) : "",
    input.agreement ? agreementSection(input.agreement) : "",
    input.latency ? latencySection(input.latency) : "",
    input.samples?.length ? `<h2>Sample frames</h2>${input.samples.map((s) => `<figure>${img(s.png, s.name)}<figcaption>${escape(s.name)}</figcaption></figure>`).join("\n")}` : "",
  ];
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${escape(input.title)}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; max-width: 1200px; }
table { border-collapse: collapse; margin: 1em 0; } td, th { border: 1px solid #ccc; padding: 3px 8px; text-align: right; }
td:first-child, th:first-child { text-align: left; } .big { font-size: 1.3em; } img { max-width: 100%; }
figure { display: inline-block; margin: 0.5em; max-width: 48%; } .notes { color: #a60; }
</style></head><body>
${sections.filter(Boolean).join("\n")}
</body></html>
`;
}
