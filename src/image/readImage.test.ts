import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { testPaths } from "../../test/support/testPaths.js";
import { readImage } from "./readImage.js";
import { writeImage } from "./writeImage.js";

const dir = mkdtempSync(path.join(tmpdir(), "lightnet-image-"));

describe("readImage / writeImage", () => {
  it("decodes a JPEG into tightly packed bgr8", async () => {
    const image = await readImage(path.join(testPaths.images, "dog.jpg"));
    expect(image).toMatchObject({ width: 768, height: 576, encoding: "bgr8", step: 768 * 3 });
    expect(image.data).toHaveLength(768 * 576 * 3);
  });

  it("round-trips pixels through PNG, storing rgb8 in the file's BGR order", async () => {
    const rgb = { width: 2, height: 1, encoding: "rgb8" as const, step: 6, data: Uint8Array.of(255, 0, 0, 0, 0, 255) };
    const file = path.join(dir, "red-blue.png");
    await writeImage(file, rgb);
    const back = await readImage(file);
    expect(back.encoding).toBe("bgr8");
    expect(Array.from(back.data)).toEqual([0, 0, 255, 255, 0, 0]);
  });

  it("honours row padding (step > width × channels)", async () => {
    const padded = { width: 1, height: 2, encoding: "mono8" as const, step: 4, data: Uint8Array.of(7, 99, 99, 99, 200) };
    const file = path.join(dir, "padded.png");
    await writeImage(file, padded);
    expect(Array.from((await readImage(file)).data)).toEqual([7, 7, 7, 200, 200, 200]);
  });

  it("names the file it cannot read, decode or write", async () => {
    const missing = path.join(dir, "missing.jpg");
    await expect(readImage(missing)).rejects.toThrow(`${missing}: no such file`);
    const text = path.join(dir, "text.jpg");
    writeFileSync(text, "not an image");
    await expect(readImage(text)).rejects.toMatchObject({ message: `${text}: cannot decode image (not a supported or intact image file)`, code: "LIGHTNET_MEDIA_ERROR", file: text });
    await expect(readImage(dir)).rejects.toThrow(`${dir}: is a directory`);
    const gray = { width: 1, height: 1, encoding: "mono8" as const, step: 1, data: Uint8Array.of(1) };
    await expect(writeImage(path.join(dir, "x.unknownext"), gray)).rejects.toThrow(`${path.join(dir, "x.unknownext")}: cannot write image`);
  });
});
