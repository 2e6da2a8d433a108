import { createRequire } from "node:module";

/**
 * Loads the first of `candidates` that loads as a Node addon; otherwise throws one Error listing each path
 * with its failure and the possible solutions.
 */
export function loadAddonFrom<T>(candidates: readonly string[]): T {
  const require = createRequire(import.meta.url);
  const failures: string[] = [];
  for (const candidate of candidates) {
    try {
      return require(candidate) as T;
    } catch (err) {
      failures.push(`  ${candidate}: ${(err as Error).message.split("\n")[0]}`);
    }
  }
  throw new Error(
    [
      "Could not load the lightnet native addon.",
      "Tried:",
      ...failures,
      "Possible solutions:",
      "- Build it: `export npm_config_nodedir=/usr && npm run build:native` (needs cmake, g++, libdnnl-dev, libopencv-dev; see README)",
      "- Set LIGHTNET_ADDON to the path of a built lightnet_addon.node",
      `- If it was built for another Node.js, rebuild it with this one (${process.version})`,
    ].join("\n"),
  );
}
