/**
 * The ROS 2 package files, checked without ROS: package.xml dependencies, CMake interface generation
 * and installs, and the launch file's arguments and remaps (issue 5's list, Autoware's defaults).
 */
import { accessSync, constants, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { MessageType } from "./messages/types.js";
import { testPaths } from "../../test/support/testPaths.js";

const read = (f: string) => readFileSync(path.join(testPaths.repoRoot, f), "utf8");
const tagValues = (xml: string, tag: string) => [...xml.matchAll(new RegExp(`<${tag}>([^<]+)</${tag}>`, "g"))].map((m) => m[1]);

describe("package.xml", () => {
  const xml = read("package.xml");
  it("is format 3, ament_cmake, an interface package", () => {
    expect(xml).toMatch(/<package format="3">/);
    expect(tagValues(xml, "name")).toEqual(["lightnet_trt"]);
    expect(tagValues(xml, "build_type")).toEqual(["ament_cmake"]);
    expect(tagValues(xml, "buildtool_depend")).toEqual(expect.arrayContaining(["ament_cmake", "rosidl_default_generators"]));
    expect(tagValues(xml, "member_of_group")).toEqual(["rosidl_interface_packages"]);
    expect(tagValues(xml, "exec_depend")).toContain("rosidl_default_runtime");
  });

  it("depends on the package of every message type the node uses", () => {
    const deps = [...tagValues(xml, "depend"), ...tagValues(xml, "exec_depend")];
    for (const type of Object.values(MessageType)) {
      const pkg = type.split("/")[0] as string;
      if (pkg !== "lightnet_trt") expect(deps, type).toContain(pkg);
    }
    expect(deps).toEqual(expect.arrayContaining(["std_msgs", "sensor_msgs", "tier4_perception_msgs", "autoware_perception_msgs", "autoware_internal_debug_msgs"]));
  });
});

describe("CMakeLists.txt", () => {
  const cmake = read("CMakeLists.txt");
  it("generates every msg/*.msg and installs what the node needs", () => {
    for (const f of readdirSync(path.join(testPaths.repoRoot, "msg"))) expect(cmake).toContain(`"msg/${f}"`);
    expect(cmake).toMatch(/find_package\(ament_cmake REQUIRED\)/);
    expect(cmake).toMatch(/install\(DIRECTORY launch config schema DESTINATION \$\{SHARE_DIR\}\)/);
    expect(cmake).toMatch(/install\(PROGRAMS scripts\/lightnet_trt_node DESTINATION lib\/\$\{PROJECT_NAME\}\)/);
    expect(cmake).toMatch(/ament_package\(\)/);
    accessSync(path.join(testPaths.repoRoot, "scripts/lightnet_trt_node"), constants.X_OK);
  });

  it("builds the JS from a copy that leaves the source tree's build outputs behind", () => {
    expect(cmake).toContain("cmake/copy_js_sources.cmake");
    const copy = read("cmake/copy_js_sources.cmake");
    expect(copy).toMatch(/file\(COPY \$\{SRC\}\/native DESTINATION \$\{DST\}\s+PATTERN "build" EXCLUDE/);
    expect(cmake).toMatch(/npm_EXECUTABLE|NPM_EXECUTABLE\} ci/);
  });
});

describe("launch/lightnet_trt.launch.xml", () => {
  const xml = read("launch/lightnet_trt.launch.xml");
  const args = new Map([...xml.matchAll(/<arg name="([^"]+)" default="([^"]*)"/g)].map((m) => [m[1], m[2]]));
  const remaps = new Map([...xml.matchAll(/<remap from="([^"]+)" to="([^"]+)"\/>/g)].map((m) => [m[1], m[2]]));

  it("has the issue's arguments with Autoware's default topics", () => {
    expect(args.get("input/image")).toBe("/sensing/camera/camera0/image_rect_color");
    expect(args.get("output/objects")).toBe("/perception/object_recognition/detection/rois0");
    expect(args.get("output/mask")).toBe("/perception/object_recognition/detection/mask0");
    expect(args.get("param_path")).toBe("$(find-pkg-share lightnet_trt)/config/lightnet_trt.param.yaml");
    for (const a of ["model_cfg", "model_weights", "names", "node_name"]) expect(args.has(a), a).toBe(true);
  });

  it("remaps the private topics to the arguments and runs lightnet_trt_node", () => {
    expect(remaps.get("~/in/image")).toBe("$(var input/image)");
    expect(remaps.get("~/out/objects")).toBe("$(var output/objects)");
    expect(remaps.get("~/out/mask")).toBe("$(var output/mask)");
    expect(xml).toMatch(/<node pkg="lightnet_trt" exec="lightnet_trt_node" name="\$\(var node_name\)"/);
    for (const p of ["model_cfg", "model_weights", "names"]) expect(xml).toContain(`<param name="${p}" value="$(var ${p})"/>`);
    // every $(var x) names a declared argument
    for (const m of xml.matchAll(/\$\(var ([^)]+)\)/g)) expect(args.has(m[1] as string), m[1]).toBe(true);
  });
});
