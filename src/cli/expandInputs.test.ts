import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { expandInputs } from "./expandInputs.js";

describe("expandInputs", () => {
  it("keeps files (even missing ones) and expands directories to their images, sorted", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "lightnet-inputs-"));
    for (const name of ["b.JPG", "a.png", "notes.txt"]) writeFileSync(path.join(dir, name), "");
    mkdirSync(path.join(dir, "sub.png"));
    expect(expandInputs(["missing.jpg", dir])).toEqual(["missing.jpg", path.join(dir, "a.png"), path.join(dir, "b.JPG")]);
  });
});
