import { expect, it } from "vitest";
import { Throttle } from "./Throttle.js";

it("Throttle lets one message per period and key through, counting the rest", () => {
  let t = 0;
  const th = new Throttle(1000, () => t);
  expect(th.take("a")).toBe(0);
  expect(th.take("a")).toBeNull();
  expect(th.take("b")).toBe(0);
  t = 999;
  expect(th.take("a")).toBeNull();
  t = 1000;
  expect(th.take("a")).toBe(2);
});
