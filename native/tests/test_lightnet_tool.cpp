// lightnet-tool's command line: usage errors, info --json totals, bench --json fields, backend errors.
// The tool is found next to this test binary's folder (native/<build>/lightnet-tool).
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

namespace {

namespace fs = std::filesystem;

const fs::path kTool = fs::path(LIGHTNET_TEST_TMP).parent_path().parent_path() / "lightnet-tool";
const fs::path kModels = fs::path(LIGHTNET_SHARED_DIR) / "models";

struct Result {
  int status;
  std::string output;  // stdout + stderr
};

Result run(const std::string& args) {
  std::string cmd = kTool.string() + " " + args + " 2>&1";
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(cmd.c_str(), "r"), pclose);
  std::string out;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), pipe.get())) > 0) out.append(buf.data(), n);
  int status = pclose(pipe.release());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

class LightnetTool : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(kTool)) GTEST_SKIP() << kTool << " not built";
  }
};

TEST_F(LightnetTool, UsageErrorsExitWith2AndSayWhy) {
  Result r = run("");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.output.find("usage:"), std::string::npos);
  r = run("frobnicate");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.output.find("unknown command 'frobnicate'"), std::string::npos) << r.output;
  r = run("info");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.output.find("--cfg is required"), std::string::npos) << r.output;
  r = run("bench --cfg x.cfg --iters zero");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.output.find("--iters: expected an integer, found 'zero'"), std::string::npos) << r.output;
  r = run("bench --cfg x.cfg --batch 0");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.output.find("--batch: expected >= 1, found 0"), std::string::npos) << r.output;
  r = run("info --cfg x.cfg --colour");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.output.find("unknown option '--colour'"), std::string::npos) << r.output;
}

TEST_F(LightnetTool, InfoJsonHasTheModelTotals) {
  const fs::path cfg = kModels / "lightnet/lightNet-BDD100K-1280x960.cfg";
  if (!fs::exists(cfg)) GTEST_SKIP() << cfg << " not found";
  Result r = run("info --json --cfg " + cfg.string());
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("\"gflops\":58.01"), std::string::npos) << r.output.substr(0, 300);
  EXPECT_NE(r.output.find("\"params\":9021415"), std::string::npos) << r.output.substr(0, 300);
  EXPECT_NE(r.output.find("{\"kind\":\"yolo\",\"layer\":106,\"source\":105,\"shape\":[45,120,160]}"),
            std::string::npos);
}

TEST_F(LightnetTool, BenchJsonLine) {
  const fs::path cfg = kModels / "yolo-fastest/yolo-fastest-xl-voc.cfg";
  if (!fs::exists(cfg)) GTEST_SKIP() << cfg << " not found";
  Result r = run("bench --json --cfg " + cfg.string() + " --backend cpu --iters 2 --warmup 0 --batch 2 --threads 1");
  ASSERT_EQ(r.status, 0) << r.output;
  for (const char* key : {"{\"median_ms\":", ",\"p90_ms\":", ",\"min_ms\":", ",\"iters\":2,", "\"backend\":\"cpu\"",
                          "\"precision\":\"fp32\"", "\"batch\":2}"})
    EXPECT_NE(r.output.find(key), std::string::npos) << key << " in " << r.output;
}

TEST_F(LightnetTool, UnsupportedPrecisionAndBackendFailWithTheReason) {
  const fs::path cfg = kModels / "yolo-fastest/yolo-fastest-xl-voc.cfg";
  if (!fs::exists(cfg)) GTEST_SKIP() << cfg << " not found";
  Result r = run("bench --cfg " + cfg.string() + " --backend cpu --precision fp16 --iters 1");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.output.find("the CPU backend supports fp32 and int8, found fp16"), std::string::npos) << r.output;
  r = run("bench --cfg " + cfg.string() + " --backend tpu --iters 1");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.output.find("'tpu' is not available"), std::string::npos) << r.output;
  r = run("bench --cfg " + cfg.string() + " --precision fp64 --iters 1");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.output.find("--precision"), std::string::npos) << r.output;
}

}  // namespace
