/** An Error for a bad argument: "Expected <expected> for <name> but received <actual>". */
export function invalidParameterError(name: string, expected: string, actual: unknown): Error {
  return new TypeError(`Expected ${expected} for ${name} but received ${describe(actual)}`);
}

function describe(value: unknown): string {
  if (typeof value === "string") return `'${value}' of type string`;
  if (value === null) return "null";
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (typeof value === "object") return `an object (${value.constructor?.name ?? "Object"})`;
  return `${String(value)} of type ${typeof value}`;
}
