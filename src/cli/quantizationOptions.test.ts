import { Command } from "commander";
import { describe, expect, it } from "vitest";
import { addQuantizationOptions, quantizationEngineOptions } from "./quantizationOptions.js";

function parse(args: string[]) {
  const cmd = addQuantizationOptions(new Command("x").exitOverride().configureOutput({ writeErr: () => {} }));
  cmd.parse(args, { from: "user" });
  return cmd.opts();
}

describe("quantization flags", () => {
  it("map to EngineOptions, defaults left to the engine except the documented ones", () => {
    expect(quantizationEngineOptions(parse([]))).toEqual({ calibrationAlgorithm: "entropy", percentile: 99.99, sparsity: true });
    expect(
      quantizationEngineOptions(
        parse(["--calib-list", "l.txt", "--calib-algo", "percentile", "--percentile", "99.9", "--calib-table", "t.table",
          "--clip-value", "6", "--mp", "--sparsity", "off", "--quantize-first-layer", "--quantize-last-layer"]),
      ),
    ).toEqual({
      calibrationList: "l.txt", calibrationAlgorithm: "percentile", percentile: 99.9, calibrationTable: "t.table",
      clipValue: 6, multiPrecision: true, sparsity: false, quantizeFirstLayer: true, quantizeLastLayer: true,
    });
  });

  it("rejects values outside their ranges and choices", () => {
    expect(() => parse(["--calib-algo", "kl"])).toThrow(/Allowed choices are entropy, minmax, percentile/);
    expect(() => parse(["--percentile", "101"])).toThrow(/expected a number in \[0, 100\], found '101'/);
    expect(() => parse(["--clip-value", "0"])).toThrow(/expected a number in/);
    expect(() => parse(["--sparsity", "yes"])).toThrow(/Allowed choices are on, off/);
  });
});
