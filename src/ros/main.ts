#!/usr/bin/env node
/**
 * Entry of `lightnet_trt_node` (ROS 2): creates the rclnodejs node, starts LightnetNode on the native
 * engine and spins. ROS arguments (--ros-args, remaps, params files) come from argv as usual.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { DetectorFactory } from "./detector.js";
import { LightnetNode } from "./LightnetNode.js";
import { RclnodejsNode } from "./rclnodejsAdapter.js";

/** The package root: dist/ros/main.js → ../.. (also in the installed share/lightnet_trt). */
const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

async function loadEngineFactory(): Promise<DetectorFactory> {
  // Imported lazily so that a missing or broken addon is reported on ~/out/status, not as a crash.
  const { Engine } = await import("../engine/Engine.js");
  return (options, onProgress) => Engine.build(options, onProgress);
}

async function main(): Promise<void> {
  const ros = await RclnodejsNode.create("lightnet_trt");
  let createDetector: DetectorFactory;
  try {
    createDetector = await loadEngineFactory();
  } catch (e) {
    // Without the native addon the node still starts and reports the failure on ~/out/status.
    const reason = `cannot load the native engine: ${(e as Error).message}`;
    createDetector = () => Promise.reject(new Error(reason));
  }
  const node = LightnetNode.start(ros, { createDetector, configDir: path.join(packageRoot, "config") });
  const stop = () => {
    void node.close().finally(() => ros.shutdown(0));
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  ros.spin();
}

main().catch((e: unknown) => {
  console.error(`lightnet_trt_node: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
});
