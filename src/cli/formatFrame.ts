import type { InferJsonLine } from "./frameToJson.js";

/** `infer` without --json: a header line per image, a table of detections, the mask's class histogram. */
export function formatFrame(line: InferJsonLine, maskLabels: (classId: number) => string): string {
  const t = line.timing_ms;
  const out = [
    `${line.source} (${line.width}x${line.height}): ${line.detections.length} detections; ` +
      `preprocess ${t.preprocess.toFixed(1)} ms, inference ${t.inference.toFixed(1)} ms, postprocess ${t.postprocess.toFixed(1)} ms`,
  ];
  if (line.detections.length > 0) {
    out.push(`  ${"label".padEnd(16)} ${"score".padStart(6)} ${"x".padStart(7)} ${"y".padStart(7)} ${"width".padStart(7)} ${"height".padStart(7)}`);
    for (const d of line.detections) {
      const nums = [d.x, d.y, d.width, d.height].map((v) => v.toFixed(1).padStart(7)).join(" ");
      out.push(`  ${d.label.padEnd(16)} ${d.score.toFixed(3).padStart(6)} ${nums}`);
    }
  }
  if (line.mask) {
    const total = line.mask.width * line.mask.height;
    const classes = line.mask.class_pixels
      .map((n, k) => ({ n, k }))
      .filter(({ n }) => n > 0)
      .map(({ n, k }) => `${maskLabels(k)} ${((100 * n) / total).toFixed(1)}%`);
    out.push(`  mask ${line.mask.width}x${line.mask.height}: ${classes.join(", ")}`);
  }
  return out.join("\n") + "\n";
}
