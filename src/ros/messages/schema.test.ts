import { describe, expect, it } from "vitest";
import { MESSAGE_DEFINITIONS } from "./definitions.generated.js";
import {
  allDependencies, definitionText, directDependencies, fullTypeName, parsedDefinitions, ros2msgSchema,
  SCHEMA_SEPARATOR, shortTypeName,
} from "./schema.js";

describe("type names", () => {
  it("convert between pkg/Type and pkg/msg/Type", () => {
    expect(shortTypeName("sensor_msgs/msg/Image")).toBe("sensor_msgs/Image");
    expect(shortTypeName("sensor_msgs/Image")).toBe("sensor_msgs/Image");
    expect(fullTypeName("sensor_msgs/Image")).toBe("sensor_msgs/msg/Image");
    expect(() => shortTypeName("Image")).toThrow(/expected "pkg\/Type" or "pkg\/msg\/Type"/);
  });

  it("reject an unknown type naming the known ones", () => {
    expect(() => definitionText("sensor_msgs/msg/Imu")).toThrow(/no embedded definition \(known: .*sensor_msgs\/Image/);
  });
});

describe("ros2msg schema", () => {
  it("Float64Stamped: known answer", () => {
    expect(ros2msgSchema("autoware_internal_debug_msgs/msg/Float64Stamped")).toBe(
      "builtin_interfaces/Time stamp\nfloat64 data\n" +
        `${"=".repeat(80)}\nMSG: builtin_interfaces/Time\nint32 sec\nuint32 nanosec\n`,
    );
    expect(SCHEMA_SEPARATOR).toHaveLength(80);
  });

  it("resolves bare names in the same package and pkg/Type across packages", () => {
    expect(directDependencies("geometry_msgs/Pose")).toEqual(["geometry_msgs/Point", "geometry_msgs/Quaternion"]);
    expect(directDependencies("tier4_perception_msgs/DetectedObjectWithFeature")).toEqual([
      "autoware_perception_msgs/DetectedObject",
      "tier4_perception_msgs/Feature",
    ]);
  });

  it("DetectedObjectsWithFeature lists every nested type once", () => {
    const deps = allDependencies("tier4_perception_msgs/msg/DetectedObjectsWithFeature");
    expect(new Set(deps).size).toBe(deps.length);
    expect([...deps].sort()).toEqual([
      "autoware_perception_msgs/DetectedObject",
      "autoware_perception_msgs/DetectedObjectKinematics",
      "autoware_perception_msgs/ObjectClassification",
      "autoware_perception_msgs/Shape",
      "builtin_interfaces/Time",
      "geometry_msgs/Point",
      "geometry_msgs/Point32",
      "geometry_msgs/Polygon",
      "geometry_msgs/Pose",
      "geometry_msgs/PoseWithCovariance",
      "geometry_msgs/Quaternion",
      "geometry_msgs/Twist",
      "geometry_msgs/TwistWithCovariance",
      "geometry_msgs/Vector3",
      "sensor_msgs/PointCloud2",
      "sensor_msgs/PointField",
      "sensor_msgs/RegionOfInterest",
      "std_msgs/Header",
      "tier4_perception_msgs/DetectedObjectWithFeature",
      "tier4_perception_msgs/Feature",
    ]);
    const schema = ros2msgSchema("tier4_perception_msgs/DetectedObjectsWithFeature");
    const blocks = schema.split(`${SCHEMA_SEPARATOR}\n`);
    expect(blocks[0]).toBe(MESSAGE_DEFINITIONS["tier4_perception_msgs/DetectedObjectsWithFeature"]);
    expect(blocks.slice(1).map((b) => b.split("\n")[0])).toEqual(deps.map((d) => `MSG: ${d}`));
  });

  it("every embedded type yields a schema the parser resolves completely", () => {
    for (const name of Object.keys(MESSAGE_DEFINITIONS)) {
      const defs = parsedDefinitions(name);
      const names = new Set(defs.map((d) => d.name));
      for (const def of defs) {
        for (const field of def.definitions) {
          if (field.isComplex === true) expect(names.has(field.type), `${name}: ${field.type}`).toBe(true);
        }
      }
    }
  });
});
