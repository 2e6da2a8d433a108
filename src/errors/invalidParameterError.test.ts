import { describe, expect, it } from "vitest";
import { invalidParameterError } from "./invalidParameterError.js";

describe("invalidParameterError", () => {
  it("names the parameter, what was expected and what was received", () => {
    expect(invalidParameterError("precision", "one of fp32, fp16, int8", "fp64").message).toBe(
      "Expected one of fp32, fp16, int8 for precision but received 'fp64' of type string",
    );
    expect(invalidParameterError("batch", "an integer >= 1", 0).message).toBe(
      "Expected an integer >= 1 for batch but received 0 of type number",
    );
    expect(invalidParameterError("x", "y", null).message).toContain("received null");
    expect(invalidParameterError("x", "y", [1, 2]).message).toContain("an array of length 2");
  });
});
