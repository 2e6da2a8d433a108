/**
 * ROS 2 message definitions → rosbag2 `ros2msg` schema text and parsed definitions for CDR.
 * The definitions are the embedded copies of ../shared/interfaces (see definitions.generated.ts).
 */
import { parse } from "@foxglove/rosmsg";
import type { MessageDefinition } from "@foxglove/message-definition";
import { MESSAGE_DEFINITIONS } from "./definitions.generated.js";

/** The separator rosbag2 writes between a schema's definitions: 80 '=' characters. */
export const SCHEMA_SEPARATOR = "=".repeat(80);

const BUILTIN_TYPES = new Set([
  "bool", "byte", "char", "float32", "float64", "int8", "uint8", "int16", "uint16", "int32", "uint32",
  "int64", "uint64", "string", "wstring",
]);
/** The ROS 2 parser reads builtin_interfaces/Time and Duration as the primitives time/duration. */
const BUILTIN_ALIASES: Readonly<Record<string, string>> = {
  time: "builtin_interfaces/Time",
  duration: "builtin_interfaces/Duration",
};

/** `pkg/msg/Type` or `pkg/Type` → `pkg/Type` (the key of MESSAGE_DEFINITIONS and the schema's MSG: form). */
export function shortTypeName(type: string): string {
  const parts = type.split("/");
  if (parts.length === 3 && parts[1] === "msg") return `${parts[0]}/${parts[2]}`;
  if (parts.length === 2) return type;
  throw new Error(`message type "${type}": expected "pkg/Type" or "pkg/msg/Type"`);
}

/** `pkg/Type` or `pkg/msg/Type` → `pkg/msg/Type` (the name rclnodejs and rosbag2 channels use). */
export function fullTypeName(type: string): string {
  const [pkg, name] = shortTypeName(type).split("/");
  return `${pkg}/msg/${name}`;
}

/** The .msg text of one type, as in ../shared/interfaces (or this package's msg/). */
export function definitionText(type: string): string {
  const key = shortTypeName(type);
  const text = MESSAGE_DEFINITIONS[key];
  if (text === undefined) {
    throw new Error(`message type "${type}": no embedded definition (known: ${Object.keys(MESSAGE_DEFINITIONS).join(", ")})`);
  }
  return text;
}

/** Complex field types a definition references, resolved to `pkg/Type` (a bare name is in the same package). */
export function directDependencies(type: string): string[] {
  const key = shortTypeName(type);
  const pkg = key.split("/")[0];
  const [top] = parse(definitionText(key), { ros2: true, skipTypeFixup: true });
  const deps: string[] = [];
  for (const field of top?.definitions ?? []) {
    if (field.isConstant === true || BUILTIN_TYPES.has(field.type)) continue;
    const alias = BUILTIN_ALIASES[field.type];
    const dep = alias !== undefined ? alias : field.type.includes("/") ? shortTypeName(field.type) : `${pkg}/${field.type}`;
    if (!deps.includes(dep)) deps.push(dep);
  }
  return deps;
}

/** Every type nested in `type`, depth-first in order of first use, each once. */
export function allDependencies(type: string): string[] {
  const seen: string[] = [];
  const visit = (t: string): void => {
    for (const dep of directDependencies(t)) {
      if (seen.includes(dep)) continue;
      seen.push(dep);
      visit(dep);
    }
  };
  visit(shortTypeName(type));
  return seen;
}

function withNewline(text: string): string {
  return text.endsWith("\n") ? text : `${text}\n`;
}

/**
 * The rosbag2 / MCAP `ros2msg` schema of a type: its definition, then per nested type a line of 80 '=',
 * a line `MSG: pkg/Type` and that type's definition.
 */
export function ros2msgSchema(type: string): string {
  let schema = withNewline(definitionText(type));
  for (const dep of allDependencies(type)) {
    schema += `${SCHEMA_SEPARATOR}\nMSG: ${dep}\n${withNewline(definitionText(dep))}`;
  }
  return schema;
}

/** Parsed definitions (top-level first) as the @foxglove CDR reader and writer take them. */
export function parsedDefinitions(type: string): MessageDefinition[] {
  return parse(ros2msgSchema(type), { ros2: true });
}
