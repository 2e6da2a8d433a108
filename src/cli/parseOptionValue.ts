import { InvalidArgumentError } from "commander";

/** commander value parser: a number in [min, max]. */
export function numberIn(min: number, max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (value.trim() === "" || !Number.isFinite(n) || n < min || n > max)
      throw new InvalidArgumentError(`expected a number in [${min}, ${max}], found '${value}'`);
    return n;
  };
}

/** commander value parser: an integer >= min. */
export function integerAtLeast(min: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^-?\d+$/.test(value.trim()) || n < min) throw new InvalidArgumentError(`expected an integer >= ${min}, found '${value}'`);
    return n;
  };
}
