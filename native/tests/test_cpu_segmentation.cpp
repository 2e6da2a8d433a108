// The segmentation head (which OpenCV cannot run) against numpy_darknet.py, a direct numpy reimplementation of
// darknet with its own cfg parser, weights reader and batch-norm folding. The det+seg cfg is run at a reduced
// input size (320x256 instead of 1280x960: same layers, 1/15 of the work) so that numpy stays quick:
//  - every head tensor (3 yolo + segmentation) within 1e-4 relative;
//  - detect()'s class-id mask equals numpy's argmax except where numpy's two best classes are a near tie.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "cpu_test_util.h"
#include "lightnet/engine.h"
#include "lightnet/model_loader.h"
#include "python_reference.h"

namespace lightnet {
namespace {

using namespace lightnet::testing;
namespace fs = std::filesystem;

// Copy of `cfg` with the [net] width/height replaced.
fs::path resized_cfg(const fs::path& cfg, int width, int height, const std::string& name) {
  std::ifstream in(cfg);
  std::ostringstream out;
  std::string line;
  int section = 0;
  while (std::getline(in, line)) {
    if (!line.empty() && line[0] == '[') ++section;
    std::string key = line.substr(0, line.find('='));
    key.erase(std::remove_if(key.begin(), key.end(), ::isspace), key.end());
    if (section == 1 && key == "width") line = "width=" + std::to_string(width);
    if (section == 1 && key == "height") line = "height=" + std::to_string(height);
    out << line << "\n";
  }
  fs::path path = test_tmp(name);
  std::ofstream(path) << out.str();
  return path;
}

// Gradients plus noise, so that the segmentation argmax varies across the frame.
std::vector<uint8_t> synthetic_bgr(int width, int height) {
  std::vector<uint8_t> px(size_t(width) * height * 3);
  std::mt19937 rng(5);
  std::uniform_int_distribution<int> noise(0, 40);
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x)
      for (int c = 0; c < 3; ++c)
        px[(size_t(y) * width + x) * 3 + c] = uint8_t((x * (c + 1) / 3 + y * (3 - c) / 2 + noise(rng)) % 256);
  return px;
}

TEST(SegmentationVsNumpy, DetSemasegHeadsAndMask) {
  if (!have_python_cv2()) GTEST_SKIP() << "/usr/bin/python3 with numpy not available (apt python3-numpy)";
  const fs::path original = fs::path(LIGHTNET_SHARED_DIR) / "models/lightnet/lightNet-BDD100K-det-semaseg-1280x960.cfg";
  if (!fs::exists(original)) GTEST_SKIP() << original << " not found";
  const fs::path cfg = resized_cfg(original, 320, 256, "det_semaseg_320x256.cfg");
  Network net = load_cfg(cfg.string());
  const fs::path weights = test_tmp("det_semaseg_320x256_seed3.weights");
  write_random_weights(net, weights.string(), 3);
  load_weights(net, weights.string());
  ASSERT_EQ(net.heads.size(), 4u);
  ASSERT_EQ(net.heads.back().kind, Head::Kind::Segmentation);

  const int width = 500, height = 410;
  std::vector<uint8_t> pixels = synthetic_bgr(width, height);
  ImageView img{pixels.data(), width, height, size_t(width) * 3, PixelFormat::BGR8};
  std::vector<float> blob(net.input.size());
  preprocess_cpu(img, net.input, blob.data());
  const fs::path blob_path = test_tmp("det_semaseg_input.f32"), out_dir = test_tmp("det_semaseg_numpy");
  fs::create_directories(out_dir);
  write_raw(blob_path, blob);
  std::string cmd = std::string(kPython) + " " + reference_script("numpy_darknet.py") + " " + cfg.string() + " " +
                    weights.string() + " " + blob_path.string() + " 1 " + out_dir.string();
  ASSERT_EQ(run_command(cmd), 0) << cmd;

  BuildOptions opt;
  opt.backend = "cpu";
  auto engine = build_engine(net, opt);
  std::vector<Tensor> heads = engine->forward(blob.data(), 1);
  for (size_t i = 0; i < heads.size(); ++i) {
    std::vector<float> expected = read_raw<float>(out_dir / ("head_" + std::to_string(net.heads[i].layer) + ".f32"));
    ASSERT_EQ(expected.size(), heads[i].data.size()) << "head " << net.heads[i].layer;
    Diff d = compare(heads[i].data.data(), expected.data(), expected.size());
    std::cout << "head " << net.heads[i].layer << " (conv " << heads[i].layer << ", " << heads[i].c << "x"
              << heads[i].h << "x" << heads[i].w << "): max|diff| " << d.max_abs << ", max|numpy| " << d.max_ref
              << ", relative " << d.relative() << "\n";
    EXPECT_LT(d.relative(), 1e-4) << "head " << net.heads[i].layer;
  }

  DetectOptions strict;
  strict.score_threshold = 0.9f;  // random weights: keep the candidate list short; the mask is what matters
  std::vector<FrameResult> res = engine->detect({img}, strict);
  ASSERT_EQ(res[0].masks.size(), 1u);
  const SegmentationMask& mask = res[0].masks[0];
  const Head& head = net.heads.back();
  EXPECT_EQ(mask.head_layer, head.layer);
  const Shape s = net.layers[head.source].output;
  ASSERT_EQ(mask.width, s.w);
  ASSERT_EQ(mask.height, s.h);
  std::vector<float> ref = read_raw<float>(out_dir / ("head_" + std::to_string(head.layer) + ".f32"));
  std::vector<uint8_t> ref_mask = read_raw<uint8_t>(out_dir / ("mask_" + std::to_string(head.layer) + ".u8"));
  ASSERT_EQ(ref_mask.size(), mask.class_ids.size());
  const size_t plane = size_t(s.h) * s.w;
  size_t differ = 0, near_ties = 0;
  std::vector<int> histogram(s.c, 0);
  for (size_t k = 0; k < plane; ++k) {
    histogram[mask.class_ids[k]]++;
    if (mask.class_ids[k] == ref_mask[k]) continue;
    float a = ref[ref_mask[k] * plane + k], b = ref[mask.class_ids[k] * plane + k];
    if (std::fabs(a - b) <= 1e-4f * std::max(1.f, std::fabs(a))) ++near_ties;
    else ++differ;
  }
  int classes_seen = 0;
  for (int h : histogram) classes_seen += h > 0;
  std::cout << "mask " << s.w << "x" << s.h << ": " << near_ties << " near-tie pixels differ, " << classes_seen
            << " classes present\n";
  EXPECT_EQ(differ, 0u);
  EXPECT_LT(near_ties, plane / 1000);
  EXPECT_GE(classes_seen, 2) << "a constant mask would make this comparison meaningless";
}

}  // namespace
}  // namespace lightnet
