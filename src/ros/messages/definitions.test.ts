import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { parse } from "@foxglove/rosmsg";
import { describe, expect, it } from "vitest";
import { testPaths } from "../../../test/support/testPaths.js";
import { MESSAGE_DEFINITIONS } from "./definitions.generated.js";

/** Every .msg source: ../shared/interfaces/<pkg>/msg/*.msg and this package's msg/*.msg. */
function sources(): Map<string, string> {
  const files = new Map<string, string>();
  for (const pkg of readdirSync(testPaths.interfaces)) {
    const dir = path.join(testPaths.interfaces, pkg, "msg");
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir).filter((f) => f.endsWith(".msg"))) files.set(`${pkg}/${f.slice(0, -4)}`, path.join(dir, f));
  }
  for (const f of readdirSync(path.join(testPaths.repoRoot, "msg")).filter((f) => f.endsWith(".msg"))) {
    files.set(`lightnet_trt/${f.slice(0, -4)}`, path.join(testPaths.repoRoot, "msg", f));
  }
  return files;
}

describe("embedded message definitions", () => {
  const files = sources();

  it("cover exactly the source files", () => {
    expect(Object.keys(MESSAGE_DEFINITIONS).sort()).toEqual([...files.keys()].sort());
    expect(files.has("tier4_perception_msgs/DetectedObjectsWithFeature")).toBe(true);
  });

  for (const [name, file] of files) {
    it(`${name} equals ${path.relative(testPaths.repoRoot, file)} field by field`, () => {
      const source = readFileSync(file, "utf8");
      const embedded = MESSAGE_DEFINITIONS[name];
      expect(embedded).toBeDefined();
      // Field by field first (names, types, arrays, constants, defaults), so a mismatch names the field.
      const opts = { ros2: true, skipTypeFixup: true };
      expect(parse(embedded ?? "", opts)).toEqual(parse(source, opts));
      expect(embedded).toBe(source);
    });
  }
});
