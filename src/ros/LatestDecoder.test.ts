import { describe, expect, it } from "vitest";
import type { RawImage } from "../engine/types.js";
import { LatestDecoder } from "./LatestDecoder.js";
import type { CompressedImage } from "./messages/types.js";

const message = (sec: number): CompressedImage => ({ header: { stamp: { sec, nanosec: 0 }, frame_id: "" }, format: "png", data: new Uint8Array(1) });

describe("LatestDecoder", () => {
  it("decodes one frame at a time; a newer frame replaces the one waiting; errors skip only their frame", async () => {
    const pending: { sec: number; resolve: (image: RawImage) => void; reject: (e: Error) => void }[] = [];
    const delivered: number[] = [];
    const errors: string[] = [];
    const decoder = new LatestDecoder({
      decode: (m) => new Promise((resolve, reject) => pending.push({ sec: m.header.stamp.sec, resolve, reject })),
      onImage: (h) => delivered.push(h.stamp.sec),
      onError: (e) => errors.push(e.message),
    });
    const image: RawImage = { width: 1, height: 1, encoding: "mono8", step: 1, data: new Uint8Array(1) };
    decoder.push(message(1));
    decoder.push(message(2));
    decoder.push(message(3)); // replaces 2
    expect(pending.map((p) => p.sec)).toEqual([1]);
    expect(decoder.dropped).toBe(1);
    pending[0]!.resolve(image);
    await new Promise((r) => setImmediate(r));
    expect(pending.map((p) => p.sec)).toEqual([1, 3]);
    pending[1]!.reject(new Error("corrupt"));
    await decoder.whenIdle();
    expect(delivered).toEqual([1]);
    expect(errors).toEqual(["corrupt"]);
    decoder.push(message(4));
    pending[2]!.resolve(image);
    await decoder.whenIdle();
    expect(delivered).toEqual([1, 4]);
  });
});
