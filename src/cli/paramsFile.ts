/**
 * `--params FILE`: the node's ROS parameter file (config/*.param.yaml), so an offline run uses exactly the
 * settings the node would. The file's `ros__parameters` (under `/**` or the node's name) are flattened to
 * dotted names (roi_overlay_segment_label.CAR) and checked with the node's own parameter table.
 */
import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { parameterSpec, validateParameter } from "../ros/parameters.js";
import type { ParameterValue } from "../ros/rosInterface.js";

function flatten(prefix: string, value: unknown, out: Map<string, unknown>): void {
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flatten(prefix ? `${prefix}.${k}` : k, v, out);
  } else {
    out.set(prefix, value);
  }
}

/** The parameter values the file sets (unset ones are left to the node's defaults). */
export function readParamsFile(file: string): Map<string, ParameterValue> {
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(file, "utf8"));
  } catch (e) {
    throw new Error(`${file}: cannot read parameter file (${(e as Error).message})`);
  }
  if (!doc || typeof doc !== "object") throw new Error(`${file}: expected a mapping "<node name or /**>: ros__parameters: …"`);
  const values = new Map<string, ParameterValue>();
  let found = false;
  for (const [node, body] of Object.entries(doc)) {
    const params = (body as { ros__parameters?: unknown } | null)?.ros__parameters;
    if (params === undefined) throw new Error(`${file}: "${node}" has no ros__parameters mapping`);
    found = true;
    const flat = new Map<string, unknown>();
    flatten("", params, flat);
    for (const [name, value] of flat) {
      // The shipped file leaves model_cfg empty for the launch file to fill: the command line gives it.
      if (value === "" && parameterSpec(name)?.file === "file") continue;
      const reason = validateParameter(name, value as ParameterValue);
      if (reason !== null) throw new Error(`${file}: ${reason}`);
      values.set(name, value as ParameterValue);
    }
  }
  if (!found) throw new Error(`${file}: no ros__parameters found`);
  return values;
}
