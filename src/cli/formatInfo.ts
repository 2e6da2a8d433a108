import type { ModelInfo } from "../engine/types.js";

/** `info` without --json: a summary line, one row per layer, then the heads. */
export function formatInfo(info: ModelInfo): string {
  const { channels, height, width } = info.input;
  const lines = [
    info.cfg,
    `input ${channels}x${height}x${width}, ${info.gflops.toFixed(2)} GFLOPs, ${(info.params / 1e6).toFixed(1)} M params (${info.params})`,
    "",
    `${"layer".padStart(5)}  ${"type".padEnd(13)}  ${"output (CxHxW)".padEnd(15)}  ${"GFLOPs".padStart(7)}  inputs      summary`,
  ];
  for (const l of info.layers) {
    const inputs = l.inputs.map((i) => (i < 0 ? "in" : String(i))).join(",");
    lines.push(
      `${String(l.index).padStart(5)}  ${l.type.padEnd(13)}  ${l.output.join("x").padEnd(15)}  ${(l.flops / 1e9).toFixed(3).padStart(7)}  ${inputs.padEnd(10)}  ${l.summary}`,
    );
  }
  lines.push("", "heads:");
  for (const h of info.heads) lines.push(`  ${h.kind} layer ${h.layer} (fed by conv ${h.source}), ${h.classes} classes`);
  return lines.join("\n") + "\n";
}
