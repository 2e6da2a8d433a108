import { PNG } from "pngjs";
import { describe, expect, it } from "vitest";
import { evaluateDetections } from "../detectionAp.js";
import { latencyStats } from "../latencyStats.js";
import { buildHtmlReport } from "./htmlReport.js";

describe("buildHtmlReport", () => {
  it("embeds every chart as a decodable PNG and escapes text", () => {
    const detection = evaluateDetections(
      [{ key: "a", objects: [{ classId: 0, x: 0, y: 0, width: 10, height: 10, crowd: false }] }],
      [{ key: "a", source: "a.jpg", width: 20, height: 20, objects: [{ classId: 0, score: 0.9, x: 0, y: 0, width: 10, height: 10 }] }],
      { labels: ["<car>"] },
    );
    const samplesMs = [1, 2, 3, 4, 10];
    const html = buildHtmlReport({ title: "t & t", run: { cfg: "x.cfg" }, detection, latency: { stats: latencyStats(samplesMs, 1)!, samplesMs } });
    expect(html).toContain("<title>t &#38; t</title>");
    expect(html).toContain("&#60;car&#62;");
    expect(html).not.toContain("<car>");
    expect(html).toContain("mAP@0.5 <b>1.0000</b>");
    const images = [...html.matchAll(/src="data:image\/png;base64,([^"]+)"/g)].map((m) => PNG.sync.read(Buffer.from(m[1]!, "base64")));
    expect(images).toHaveLength(2);
    for (const im of images) expect(im.width).toBeGreaterThan(100);
    expect(html).not.toMatch(/src="(?!data:)/); // self-contained: no external resources
  });
});
