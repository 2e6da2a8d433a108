import { describe, expect, it } from "vitest";
import { validateEngineOptions } from "./validateEngineOptions.js";

describe("validateEngineOptions", () => {
  it("accepts a full, valid set", () => {
    expect(() =>
      validateEngineOptions({
        cfg: "a.cfg",
        weights: "a.weights",
        backend: "cpu",
        precision: "fp16",
        batch: 4,
        threads: 0,
        dlaCore: -1,
        percentile: 99.99,
        clipValue: 0,
        calibrationAlgorithm: "minmax",
        profile: true,
        seed: 3,
      }),
    ).not.toThrow();
  });

  it("rejects an unknown key even when its value is undefined", () => {
    expect(() => validateEngineOptions({ cfg: "a.cfg", weightsFile: undefined } as never)).toThrow(/only known keys/);
  });

  it("accepts valid options", () => {
    expect(() => validateEngineOptions({ cfg: "a.cfg", backend: "auto", precision: "int8", batch: 1 })).not.toThrow();
  });

  it("requires cfg", () => {
    expect(() => validateEngineOptions({ weights: "w" })).toThrow("Expected a cfg file path for options.cfg but received undefined");
  });

  it("rejects unknown keys, listing the valid ones", () => {
    expect(() => validateEngineOptions({ cfg: "a", batchSize: 2 })).toThrow(
      /Expected only known keys \(cfg, weights, names, backend, .*\) for options but received 'batchSize'/,
    );
  });

  it.each([
    [{ backend: "gpu" }, "Expected one of cpu, cuda, tensorrt, auto for options.backend but received 'gpu' of type string"],
    [{ precision: "fp64" }, "Expected one of fp32, fp16, int8 for options.precision but received 'fp64'"],
    [{ batch: 0 }, "Expected an integer >= 1 for options.batch but received 0"],
    [{ batch: 1.5 }, "Expected an integer >= 1 for options.batch but received 1.5"],
    [{ threads: -1 }, "Expected an integer >= 0 for options.threads"],
    [{ percentile: 0 }, "Expected a number > 0 and <= 100 for options.percentile"],
    [{ profile: "yes" }, "Expected a boolean for options.profile"],
    [{ calibrationAlgorithm: "kl" }, "Expected one of entropy, minmax, percentile"],
    [{ weights: "" }, "Expected a non-empty string for options.weights"],
  ])("rejects %o", (bad, message) => {
    expect(() => validateEngineOptions({ cfg: "a.cfg", ...bad })).toThrow(message);
  });
});
