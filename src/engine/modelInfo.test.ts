import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { modelInfo } from "./modelInfo.js";

const dir = mkdtempSync(path.join(tmpdir(), "lightnet-modelinfo-"));

describe("modelInfo", () => {
  it("reports layers, shapes, flops and params (hand-computed known answer)", () => {
    const cfg = path.join(dir, "tiny.cfg");
    writeFileSync(
      cfg,
      [
        "[net]", "width=8", "height=8", "channels=3", "",
        "[convolutional]", "batch_normalize=1", "filters=4", "size=3", "stride=1", "pad=1", "activation=leaky", "",
        "[convolutional]", "filters=18", "size=1", "stride=1", "pad=0", "activation=linear", "",
        "[yolo]", "mask=0,1,2", "anchors=1,1, 2,2, 3,3", "classes=1", "num=3", "",
      ].join("\n"),
    );
    const info = modelInfo(cfg);
    expect(info.input).toEqual({ channels: 3, height: 8, width: 8 });
    expect(info.layers.map((l) => [l.index, l.type, l.inputs, l.output])).toEqual([
      [0, "convolutional", [-1], [4, 8, 8]],
      [1, "convolutional", [0], [18, 8, 8]],
      [2, "yolo", [1], [18, 8, 8]],
    ]);
    // conv0: 2·(4·3·3·3)·64 = 13824 flops; conv1: 2·(18·4)·64 = 9216.
    expect(info.layers[0]!.flops).toBe(13824);
    expect(info.layers[1]!.flops).toBe(9216);
    expect(info.gflops).toBeCloseTo(23040e-9, 15);
    // conv0: 108 weights + 4 biases + 3×4 BN (scale, mean, variance); conv1: 72 weights + 18 biases.
    expect(info.params).toBe(108 + 4 + 12 + 72 + 18);
    expect(info.heads).toEqual([{ kind: "yolo", layer: 2, source: 1, classes: 1, colormap: [] }]);
    expect(info.layers[0]!.summary).toBe("3x3/1 4 bn leaky");
  });

  it("names the file and line of a malformed cfg", () => {
    const cfg = path.join(dir, "bad.cfg");
    writeFileSync(cfg, "[net]\nwidth=8\nheight=8\nchannels=3\n[maxpool]\nsize=x\n");
    expect(() => modelInfo(cfg)).toThrow(`${cfg}:6:`);
  });

  it("validates its arguments", () => {
    expect(() => modelInfo("")).toThrow("Expected a cfg file path for cfg");
  });
});
