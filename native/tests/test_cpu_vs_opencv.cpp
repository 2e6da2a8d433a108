// The CPU engine against OpenCV DNN's darknet importer (run through /usr/bin/python3 at test time):
//  - LightNet BDD100K detection cfg with seeded random weights: raw head tensors within 1e-4 relative
//    (max|ours - opencv| / max|opencv| per head);
//  - Yolo-Fastest VOC and COCO with their trained weights on ../shared/images: the same detections after NMS;
//  - LightNet det+semaseg: OpenCV cannot load [softmax] with groups (the script drops that weightless
//    section) and ignores `dilation`, which the segmentation branch uses: only the detection heads are
//    compared here; test_cpu_segmentation.cpp checks the segmentation head against numpy.
// The reference scripts give OpenCV darknet's batch-norm epsilon (1e-5; OpenCV's importer uses 1e-6).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "cpu_test_util.h"
#include "lightnet/engine.h"
#include "lightnet/model_loader.h"
#include "python_reference.h"

namespace lightnet {
namespace {

using namespace lightnet::testing;
namespace fs = std::filesystem;

const fs::path kShared = LIGHTNET_SHARED_DIR;

struct HeadsCase {
  std::string cfg, weights;  // relative to ../shared/models; weights "" = seeded random (written to a file)
  int batch;
};

class HeadsVsOpenCV : public ::testing::TestWithParam<HeadsCase> {};

TEST_P(HeadsVsOpenCV, RawHeadTensorsWithin1e4Relative) {
  if (!have_python_cv2()) GTEST_SKIP() << "/usr/bin/python3 with cv2 + numpy not available (apt python3-opencv)";
  const HeadsCase c = GetParam();
  const fs::path cfg = kShared / "models" / c.cfg;
  if (!fs::exists(cfg)) GTEST_SKIP() << cfg << " not found";
  Network net = load_cfg(cfg.string());
  fs::path weights;
  if (c.weights.empty()) {
    weights = test_tmp(cfg.stem().string() + "_seed1.weights");
    write_random_weights(net, weights.string(), 1);
  } else {
    weights = kShared / "models" / c.weights;
  }
  load_weights(net, weights.string());

  std::vector<float> input = random_input(size_t(net.input.size()) * c.batch, 11);
  const fs::path blob = test_tmp(cfg.stem().string() + "_input.f32"), out_dir = test_tmp(cfg.stem().string() + "_heads");
  fs::create_directories(out_dir);
  write_raw(blob, input);
  std::string cmd = std::string(kPython) + " " + reference_script("darknet_heads.py") + " " + cfg.string() + " " +
                    weights.string() + " " + blob.string() + " " + std::to_string(c.batch) + " " + out_dir.string();
  ASSERT_EQ(run_command(cmd), 0) << cmd;

  BuildOptions opt;
  opt.backend = "cpu";
  opt.batch = c.batch;
  auto engine = build_engine(net, opt);
  std::vector<Tensor> heads = engine->forward(input.data(), c.batch);
  ASSERT_EQ(heads.size(), net.heads.size());
  for (size_t i = 0; i < heads.size(); ++i) {
    const Tensor& t = heads[i];
    if (net.heads[i].kind == Head::Kind::Segmentation) {
      std::cout << "head " << net.heads[i].layer << ": segmentation, not comparable (OpenCV ignores dilation)\n";
      continue;
    }
    std::vector<float> expected = read_raw<float>(out_dir / ("head_" + std::to_string(net.heads[i].layer) + ".f32"));
    ASSERT_EQ(expected.size(), t.data.size()) << "head " << net.heads[i].layer;
    Diff d = compare(t.data.data(), expected.data(), expected.size());
    std::cout << "head " << net.heads[i].layer << " (conv " << t.layer << ", " << t.c << "x" << t.h << "x" << t.w
              << "): max|diff| " << d.max_abs << ", max|opencv| " << d.max_ref << ", relative " << d.relative()
              << "\n";
    EXPECT_LT(d.relative(), 1e-4) << "head " << net.heads[i].layer;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Models, HeadsVsOpenCV,
    ::testing::Values(HeadsCase{"lightnet/lightNet-BDD100K-1280x960.cfg", "", 2},
                      HeadsCase{"lightnet/lightNet-BDD100K-1280x960-chPruning.cfg", "", 1},
                      HeadsCase{"lightnet/lightNet-BDD100K-det-semaseg-1280x960.cfg", "", 1},
                      HeadsCase{"yolo-fastest/yolo-fastest-1.1-xl.cfg", "yolo-fastest/yolo-fastest-1.1-xl.weights", 1},
                      HeadsCase{"yolo-fastest/yolo-fastest-xl-voc.cfg", "yolo-fastest/yolo-fastest-xl-voc.weights", 2}),
    [](const ::testing::TestParamInfo<HeadsCase>& i) {
      std::string s = fs::path(i.param.cfg).stem().string();
      for (char& ch : s) if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
      return s;
    });

struct RefDetection {
  int class_id;
  float score, x, y, w, h;
};

class YoloFastestVsOpenCV : public ::testing::TestWithParam<std::string> {};  // cfg base name

TEST_P(YoloFastestVsOpenCV, SameDetectionsOnSharedImages) {
  if (!have_python_cv2()) GTEST_SKIP() << "/usr/bin/python3 with cv2 + numpy not available (apt python3-opencv)";
  const fs::path cfg = kShared / "models/yolo-fastest" / (GetParam() + ".cfg");
  const fs::path weights = kShared / "models/yolo-fastest" / (GetParam() + ".weights");
  if (!fs::exists(cfg) || !fs::exists(weights)) GTEST_SKIP() << cfg << " or its weights not found";
  Network net = load_cfg(cfg.string());
  load_weights(net, weights.string());
  BuildOptions opt;
  opt.backend = "cpu";
  auto engine = build_engine(net, opt);
  DetectOptions det;  // 0.25 / 0.45

  int images = 0, total = 0;
  for (const auto& entry : fs::directory_iterator(kShared / "images")) {
    if (entry.path().extension() != ".jpg") continue;
    ++images;
    const fs::path raw = test_tmp(GetParam() + "_" + entry.path().stem().string() + ".bgr");
    const fs::path txt = test_tmp(GetParam() + "_" + entry.path().stem().string() + ".txt");
    std::string cmd = std::string(kPython) + " " + reference_script("darknet_detect.py") + " " + cfg.string() + " " +
                      weights.string() + " " + entry.path().string() + " 0.25 0.45 " + raw.string() + " > " +
                      txt.string();
    ASSERT_EQ(run_command(cmd), 0) << cmd;
    std::ifstream f(txt);
    std::string word;
    int width = 0, height = 0;
    f >> word >> width >> height;
    ASSERT_EQ(word, "image");
    std::vector<RefDetection> expected;
    RefDetection r;
    while (f >> r.class_id >> r.score >> r.x >> r.y >> r.w >> r.h) expected.push_back(r);
    std::vector<uint8_t> pixels = read_raw<uint8_t>(raw);
    ASSERT_EQ(pixels.size(), size_t(width) * height * 3);

    ImageView img{pixels.data(), width, height, size_t(width) * 3, PixelFormat::BGR8};
    std::vector<FrameResult> res = engine->detect({img}, det);
    const std::vector<Detection>& ours = res[0].detections;
    SCOPED_TRACE(entry.path().filename().string());
    EXPECT_EQ(ours.size(), expected.size());
    for (const RefDetection& e : expected) {
      bool found = false;
      for (const Detection& o : ours)
        if (o.class_id == e.class_id && std::fabs(o.x - e.x) < 1 && std::fabs(o.y - e.y) < 1 &&
            std::fabs(o.width - e.w) < 1 && std::fabs(o.height - e.h) < 1) {
          EXPECT_NEAR(o.score, e.score, 1e-3);
          found = true;
        }
      EXPECT_TRUE(found) << "OpenCV's detection class " << e.class_id << " score " << e.score << " at " << e.x
                         << "," << e.y << " " << e.w << "x" << e.h << " has no match within 1 px";
    }
    total += int(expected.size());
  }
  EXPECT_GT(images, 0);
  EXPECT_GT(total, 0) << "no detections at all: the comparison would prove nothing";
}

INSTANTIATE_TEST_SUITE_P(Models, YoloFastestVsOpenCV,
                         ::testing::Values("yolo-fastest-xl-voc", "yolo-fastest-1.1-xl"),
                         [](const ::testing::TestParamInfo<std::string>& i) {
                           std::string s = i.param;
                           for (char& c : s) if (!isalnum(static_cast<unsigned char>(c))) c = '_';
                           return s;
                         });

}  // namespace
}  // namespace lightnet
