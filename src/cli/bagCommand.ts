import { Command, Option } from "commander";
import { addNodeParameterOptions, resolveNodeParameters } from "./nodeParameterOptions.js";
import { runBag } from "./runBag.js";

/** `lightnet-trt bag`: what the node publishes for a recorded bag, written as a rosbag2 MCAP file. */
export function registerBagCommand(program: Command, reportError: (err: unknown) => void): void {
  const command = program
    .command("bag")
    .description("run the image topics of a rosbag2 (MCAP / sqlite3) and write the node's outputs to an MCAP bag")
    .requiredOption("--input <bag>", "rosbag2 directory, .mcap or .db3 file (zstd-compressed too)")
    .requiredOption("--output <file.mcap>", "MCAP bag to write (ros2 profile)")
    .option("--image-topic <topic...>", "image topics to run (default: every Image / CompressedImage topic)")
    .option("--node-name <name>", "outputs go to <name>/out/objects, …/mask, …/color_mask, …/image", "/lightnet_trt")
    .option("--debug-image", "also write the debug overlay (~/out/image)")
    .addOption(new Option("--compression <c>", "MCAP chunk compression").choices(["none", "zstd"]).default("zstd"));
  addNodeParameterOptions(command).action(async (opts) => {
    const params = resolveNodeParameters(opts);
    process.exitCode = await runBag(
      {
        input: opts.input,
        output: opts.output,
        imageTopics: opts.imageTopic ?? [],
        params,
        nodeName: opts.nodeName.startsWith("/") ? opts.nodeName : `/${opts.nodeName}`,
        debugImage: opts.debugImage === true,
        compression: opts.compression,
      },
      reportError,
    );
  });
}
