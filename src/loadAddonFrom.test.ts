import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadAddonFrom } from "./loadAddonFrom.js";

describe("loadAddonFrom", () => {
  it("lists every path tried, why it failed, and possible solutions", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "lightnet-addon-"));
    const corrupt = path.join(dir, "corrupt.node");
    writeFileSync(corrupt, "not a shared object");
    const missing = path.join(dir, "missing.node");
    let message = "";
    try {
      loadAddonFrom([missing, corrupt]);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/^Could not load the lightnet native addon\.\nTried:\n/);
    expect(message).toContain(`  ${missing}: Cannot find module`);
    expect(message).toContain(`  ${corrupt}: `);
    expect(message).toContain("Possible solutions:\n- Build it: `export npm_config_nodedir=/usr && npm run build:native`");
  });
});
