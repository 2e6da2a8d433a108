/** Typed access to parsed JSON with errors that name the field and what was expected. */

const describe = (v: unknown) => (v === null ? "null" : Array.isArray(v) ? "an array" : typeof v === "string" ? `"${v}"` : typeof v === "object" ? "an object" : String(v));

export function expectObject(v: unknown, where: string): Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new Error(`${where}: expected an object, found ${describe(v)}`);
  return v as Record<string, unknown>;
}

export function expectArray(v: unknown, where: string): unknown[] {
  if (!Array.isArray(v)) throw new Error(`${where}: expected an array, found ${describe(v)}`);
  return v;
}

export function expectNumber(v: unknown, where: string): number {
  if (typeof v !== "number" || !Number.isFinite(v)) throw new Error(`${where}: expected a number, found ${describe(v)}`);
  return v;
}

export function expectString(v: unknown, where: string): string {
  if (typeof v !== "string") throw new Error(`${where}: expected a string, found ${describe(v)}`);
  return v;
}
