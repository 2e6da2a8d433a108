import { readFileSync } from "node:fs";
import path from "node:path";
import { Ajv } from "ajv";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import {
  descriptorOf, engineOptionsOf, OVERLAY_LABELS, PARAMETER_SPECS, parameterSpec, toNodeParameters, validateParameter,
} from "./parameters.js";
import type { ParameterValue } from "./rosInterface.js";
import { testPaths } from "../../test/support/testPaths.js";

const cfg = path.join(testPaths.shared, "models/yolo-fastest/yolo-fastest-xl-voc.cfg");
const schema = JSON.parse(readFileSync(path.join(testPaths.repoRoot, "schema/lightnet_trt.schema.json"), "utf8"));
const yamlDoc = parseYaml(readFileSync(path.join(testPaths.repoRoot, "config/lightnet_trt.param.yaml"), "utf8"));

/** The yaml's ros__parameters flattened to ROS names (nested maps → dotted names). */
function flatten(obj: Record<string, unknown>, prefix = ""): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const [k, v] of Object.entries(obj)) {
    if (v !== null && typeof v === "object" && !Array.isArray(v)) for (const [kk, vv] of flatten(v as Record<string, unknown>, `${prefix}${k}.`)) out.set(kk, vv);
    else out.set(`${prefix}${k}`, v);
  }
  return out;
}

describe("parameter file and schema", () => {
  const validate = new Ajv({ allErrors: true }).compile(schema);

  it("config/lightnet_trt.param.yaml validates against schema/lightnet_trt.schema.json", () => {
    expect(validate(yamlDoc), JSON.stringify(validate.errors)).toBe(true);
  });

  it("the schema rejects unknown keys, bad enums and out-of-range values", () => {
    const params = () => structuredClone(yamlDoc["/**"].ros__parameters);
    for (const [key, value] of [["score_treshold", 0.5], ["precision", "fp64"], ["nms_threshold", 1.5], ["input_topics", []]] as const) {
      const p = params();
      p[key] = value;
      expect(validate({ "/**": { ros__parameters: p } }), `${key}=${JSON.stringify(value)}`).toBe(false);
    }
  });

  it("yaml, schema and the descriptor table agree on every parameter and default", () => {
    const yamlParams = flatten(yamlDoc["/**"].ros__parameters);
    expect([...yamlParams.keys()].sort()).toEqual(PARAMETER_SPECS.map((s) => s.name).sort());
    const props = schema.definitions.lightnet_trt.properties;
    for (const spec of PARAMETER_SPECS) {
      expect(yamlParams.get(spec.name), spec.name).toEqual(spec.default);
      const [top, sub] = spec.name.split(".");
      const p = sub === undefined ? props[spec.name] : props[top as string].properties[sub];
      expect(p.default, spec.name).toEqual(spec.default);
      expect(p.description, spec.name).toBe(spec.description);
      if (spec.choices) expect(p.enum, spec.name).toEqual(spec.choices);
      if (spec.range) expect([p.minimum, p.maximum], spec.name).toEqual([spec.range.from, spec.range.to]);
    }
  });
});

describe("descriptors", () => {
  it("carry type, range, choices and read_only where a restart is needed", () => {
    expect(descriptorOf(parameterSpec("score_threshold")!)).toEqual({
      name: "score_threshold", type: "double", readOnly: false, range: { from: 0, to: 1, step: 0 },
      description: "minimum objectness x class probability of a published box",
    });
    expect(descriptorOf(parameterSpec("precision")!).additionalConstraints).toBe("one of: fp32, fp16, int8");
    const readOnly = PARAMETER_SPECS.filter((s) => descriptorOf(s).readOnly).map((s) => s.name);
    expect(readOnly).toEqual(["build_only", "input_topics", "input_transport"]);
    expect(PARAMETER_SPECS.filter((s) => s.name.startsWith("roi_overlay_segment_label.")).map((s) => s.name.split(".")[1])).toEqual([...OVERLAY_LABELS]);
  });
});

describe("validateParameter", () => {
  const cases: [string, ParameterValue, string | null][] = [
    ["score_threshold", 0.5, null],
    ["score_threshold", 1.5, "score_threshold: expected 0..1, found 1.5"],
    ["score_threshold", "high", 'score_threshold: expected double, found "high"'],
    ["nms_threshold", 1, null],
    ["gpu_id", 1.5, "gpu_id: expected integer, found 1.5"],
    ["dla_core_id", -2, "dla_core_id: expected -1..1, found -2"],
    ["precision", "int8", null],
    ["precision", "fp64", 'precision: expected one of fp32|fp16|int8, found "fp64"'],
    ["mask_encoding", "png", 'mask_encoding: expected one of raw|rle, found "png"'],
    ["is_publish_color_mask", 1, "is_publish_color_mask: expected bool, found 1"],
    ["model_cfg", "", 'model_cfg: expected a file path, found ""'],
    ["model_cfg", "/nonexistent/x.cfg", 'model_cfg: file "/nonexistent/x.cfg" does not exist'],
    ["model_cfg", cfg, null],
    ["model_weights", "", null],
    ["label_map", testPaths.shared, `label_map: file "${testPaths.shared}" does not exist`],
    ["input_topics", [], "input_topics: expected a non-empty list of topic names, found []"],
    ["input_topics", ["/a", "/a"], 'input_topics: topics listed twice in ["/a","/a"]'],
    ["no_such_param", 1, "no_such_param: unknown parameter"],
  ];
  for (const [name, value, reason] of cases) {
    it(`${name}=${JSON.stringify(value)} → ${reason ?? "ok"}`, () => expect(validateParameter(name, value)).toBe(reason));
  }
});

describe("typed view", () => {
  it("defaults and engine options", () => {
    const p = toNodeParameters(new Map<string, ParameterValue>([["model_cfg", cfg], ["precision", "fp32"], ["dla_core_id", 0], ["input_topics", ["/a", "/b"]]]));
    expect(p.scoreThreshold).toBe(0.35);
    expect(p.roiOverlaySegmentLabels.has("CAR")).toBe(true);
    expect(p.roiOverlaySegmentLabels.has("UNKNOWN")).toBe(false);
    expect(engineOptionsOf(p)).toEqual({
      cfg, backend: "auto", precision: "fp32", batch: 2, gpuId: 0, multiPrecision: false, sparsity: false,
      calibrationAlgorithm: "entropy", clipValue: 0, quantizeFirstLayer: false, quantizeLastLayer: false, dlaCore: 0,
    });
  });
});
