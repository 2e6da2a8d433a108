/**
 * Test helper: a CDR writer/reader built straight from the .msg files in ../shared/interfaces (not
 * from the embedded copies), so message tests check the wire contract itself.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { parse } from "@foxglove/rosmsg";
import { MessageReader, MessageWriter } from "@foxglove/rosmsg2-serialization";
import { testPaths } from "../../../test/support/testPaths.js";
import { allDependencies, SCHEMA_SEPARATOR, shortTypeName } from "./schema.js";

function sourceText(type: string): string {
  const [pkg, name] = shortTypeName(type).split("/");
  const file = pkg === "lightnet_trt" ? path.join(testPaths.repoRoot, "msg", `${name}.msg`) : path.join(testPaths.interfaces, pkg as string, "msg", `${name}.msg`);
  return readFileSync(file, "utf8");
}

/** Serializes with the shared definitions and reads back. */
export function cdrRoundTrip<T>(type: string, message: T): { bytes: Uint8Array; decoded: T } {
  let schema = sourceText(type);
  for (const dep of allDependencies(type)) schema += `${SCHEMA_SEPARATOR}\nMSG: ${dep}\n${sourceText(dep)}`;
  const defs = parse(schema, { ros2: true });
  const bytes = new MessageWriter(defs).writeMessage(message);
  return { bytes, decoded: new MessageReader(defs).readMessage<T>(bytes) };
}
