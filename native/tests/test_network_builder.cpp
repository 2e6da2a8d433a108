// ir/network_builder + layer_builders: shapes, params, flops, heads and the errors for bad cfgs.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <typeinfo>

#include "darknet/random_weights.h"
#include "lightnet/model_loader.h"
#include "model_test_util.h"

using namespace lightnet;
using test::model_error_of;

namespace {

const char* kLightNetDet = "models/lightnet/lightNet-BDD100K-1280x960.cfg";
const char* kLightNetSeg = "models/lightnet/lightNet-BDD100K-det-semaseg-1280x960.cfg";
const char* kYolov8Lane = "models/lightnet/yolov8x-BDD100K-640x640-T4-lane4cls.cfg";
const char* kFastestCoco = "models/yolo-fastest/yolo-fastest-1.1-xl.cfg";

Network load_shared(const char* rel) {
  if (!test::shared_exists(rel)) throw std::runtime_error(std::string("missing shared file ") + rel);
  return load_cfg(test::shared_path(rel));
}

#define REQUIRE_SHARED(rel) \
  if (!test::shared_exists(rel)) GTEST_SKIP() << "missing " << test::shared_path(rel)

// A cfg written to LIGHTNET_TEST_TMP; the [net] section is 8x6x3 unless the text has its own.
Network load_text(const std::string& name, const std::string& layers, const std::string& net = "[net]\nwidth=8\nheight=6\nchannels=3\n") {
  return load_cfg(test::write_temp(name, net + layers));
}

std::string error_of_text(const std::string& name, const std::string& layers) {
  return model_error_of([&] { load_text(name, layers); });
}

double round1(double v) { return std::round(v * 10) / 10; }

}  // namespace

TEST(NetworkBuilder, EverySharedCfgLoads) {
  int loaded = 0;
  for (const char* rel : {kLightNetDet, kLightNetSeg, kYolov8Lane, kFastestCoco,
                          "models/lightnet/lightNet-BDD100K-1280x960-chPruning.cfg",
                          "models/lightnet/lightNet-BDD100K-chPruning-det-semaseg-1280x960.cfg",
                          "models/yolo-fastest/yolo-fastest-xl-voc.cfg"}) {
    if (!test::shared_exists(rel)) continue;
    const Network net = load_shared(rel);
    EXPECT_FALSE(net.layers.empty()) << rel;
    EXPECT_FALSE(net.heads.empty()) << rel;
    for (const auto& l : net.layers) EXPECT_GT(l.output.size(), 0) << rel << " layer " << l.index;
    ++loaded;
  }
  if (loaded == 0) GTEST_SKIP() << "no cfgs under " << LIGHTNET_SHARED_DIR;
}

// The original project's model table: 58.01 GFLOPs / 9.0 M and 76.61 GFLOPs / 9.7 M.
TEST(NetworkBuilder, LightNetFlopsAndParamsMatchTheModelTable) {
  REQUIRE_SHARED(kLightNetDet);
  const Network det = load_shared(kLightNetDet);
  EXPECT_NEAR(det.gflops(), 58.01, 0.005);
  EXPECT_EQ(det.parameter_count(), 9021415);
  EXPECT_EQ(round1(det.parameter_count() / 1e6), 9.0);
  EXPECT_EQ(det.weights_float_count(), det.parameter_count());
  const Network seg = load_shared(kLightNetSeg);
  EXPECT_NEAR(seg.gflops(), 76.61, 0.005);
  EXPECT_EQ(seg.parameter_count(), 9680251);
  EXPECT_EQ(round1(seg.parameter_count() / 1e6), 9.7);
}

TEST(NetworkBuilder, LightNetDetectionShapesAndHeads) {
  REQUIRE_SHARED(kLightNetDet);
  const Network net = load_shared(kLightNetDet);
  EXPECT_EQ(net.input, (Shape{3, 960, 1280}));
  ASSERT_EQ(net.layers.size(), 115u);
  const Layer& first = net.layers[0];
  EXPECT_EQ(first.type, LayerType::Convolutional);
  EXPECT_EQ(first.cfg_line, 26);
  EXPECT_EQ(first.inputs, std::vector<int>{-1});
  EXPECT_EQ(first.output, (Shape{32, 480, 640}));
  EXPECT_EQ(first.as<ConvParams>().activation, Activation::Relu);
  EXPECT_EQ(first.as<ConvParams>().padding, 1);
  EXPECT_DOUBLE_EQ(first.flops, 2.0 * 32 * 3 * 3 * 3 * 480 * 640);
  EXPECT_TRUE(net.layers[1].as<ConvParams>().sparse);
  EXPECT_FALSE(first.as<ConvParams>().sparse);
  const Layer& route = net.layers[3];  // [route] layers=-2 right after layer 2
  EXPECT_EQ(route.type, LayerType::Route);
  EXPECT_EQ(route.inputs, std::vector<int>{1});

  ASSERT_EQ(net.heads.size(), 3u);
  const int layers[] = {106, 110, 114};
  const Shape shapes[] = {{45, 120, 160}, {45, 60, 80}, {45, 30, 40}};
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(net.heads[i].kind, Head::Kind::Yolo);
    EXPECT_EQ(net.heads[i].layer, layers[i]);
    EXPECT_EQ(net.heads[i].source, layers[i] - 1);
    EXPECT_EQ(net.layers[size_t(net.heads[i].source)].output, shapes[i]);
    EXPECT_EQ(net.layers[size_t(net.heads[i].source)].as<ConvParams>().activation, Activation::Logistic);
  }
  EXPECT_EQ(net.yolo_layers(), (std::vector<int>{106, 110, 114}));
  const auto& yolo = net.layers[106].as<YoloParams>();
  EXPECT_EQ(yolo.mask, (std::vector<int>{0, 1, 2}));
  ASSERT_EQ(yolo.anchors.size(), 18u);
  EXPECT_EQ(yolo.anchors[16], 215.f);
  EXPECT_EQ(yolo.classes, 10);
  EXPECT_EQ(yolo.num, 9);
  EXPECT_FLOAT_EQ(yolo.scale_x_y, 2.0f);
  EXPECT_TRUE(yolo.new_coords);
  EXPECT_EQ(net.layers[114].as<YoloParams>().mask, (std::vector<int>{6, 7, 8}));
  ASSERT_EQ(net.names.size(), 10u);
  EXPECT_EQ(net.names[3], "bike");
  EXPECT_EQ(net.names[9], "traffic_light");
  ASSERT_EQ(yolo.colormap.size(), 10u);  // the cfg misses a comma between the last two colours
  EXPECT_EQ(yolo.colormap[8], (Color{0, 255, 0}));
  EXPECT_EQ(yolo.colormap[9], (Color{255, 0, 255}));
}

TEST(NetworkBuilder, SegmentationHeadAndDilatedConvolutionsKeepTheirSize) {
  REQUIRE_SHARED(kLightNetSeg);
  const Network net = load_shared(kLightNetSeg);
  ASSERT_EQ(net.heads.size(), 4u);
  const Head& seg = net.heads[3];
  EXPECT_EQ(seg.kind, Head::Kind::Segmentation);
  EXPECT_EQ(seg.layer, 154);
  EXPECT_EQ(net.layers[153].output, (Shape{20, 480, 640}));
  EXPECT_EQ(net.layers[153].as<ConvParams>().activation, Activation::Linear);
  const auto& softmax = net.layers[154].as<SoftmaxParams>();
  EXPECT_EQ(softmax.classes, 20);
  EXPECT_EQ(softmax.groups, 307200);
  ASSERT_EQ(softmax.colormap.size(), 20u);  // values spread with tabs
  EXPECT_EQ(softmax.colormap[4], (Color{190, 153, 153}));
  EXPECT_EQ(softmax.colormap[19], (Color{0, 0, 0}));
  // layers 121 (dilation 2) and 122 (dilation 3), cfg lines 963 and 973: padding = pad×dilation, size kept
  for (int i : {121, 122}) {
    const Layer& l = net.layers[size_t(i)];
    EXPECT_EQ(l.as<ConvParams>().dilation, i - 119);
    EXPECT_EQ(l.as<ConvParams>().padding, i - 119);
    EXPECT_EQ(l.output, (Shape{64, 30, 40}));
    EXPECT_EQ(l.input_shapes[0], (Shape{64, 30, 40}));
  }
  EXPECT_EQ(net.layers[123].output.c, 4 * 64);  // [route] layers=-1,-3,-5,-7 concatenates them
}

TEST(NetworkBuilder, Yolov8RouteGroupsAndSppMaxpool) {
  REQUIRE_SHARED(kYolov8Lane);
  const Network net = load_shared(kYolov8Lane);
  const Layer& split = net.layers[3];  // layers=-1 groups=2 group_id=1
  EXPECT_EQ(split.as<RouteParams>().groups, 2);
  EXPECT_EQ(split.as<RouteParams>().group_id, 1);
  EXPECT_EQ(split.input_shapes[0], (Shape{160, 160, 160}));
  EXPECT_EQ(split.output, (Shape{80, 160, 160}));
  const Layer& pool = net.layers[78];  // size=9 stride=1, darknet's default padding size-1
  EXPECT_EQ(pool.as<MaxpoolParams>().padding, 8);
  EXPECT_EQ(pool.output, (Shape{320, 20, 20}));
  EXPECT_DOUBLE_EQ(pool.flops, 9.0 * 9 * 320 * 20 * 20);
  EXPECT_EQ(net.layers[2].as<ConvParams>().activation, Activation::Swish);
}

TEST(NetworkBuilder, SmallCfgShapesAndFlops) {
  const Network net = load_text("shapes.cfg",
                                "[convolutional]\nfilters=4\nsize=3\nstride=2\npad=1\nbatch_normalize=1\nactivation=leaky\n"  // 0: 4x3x4
                                "[maxpool]\nsize=2\nstride=2\n"                                  // 1: (3+1-2)/2+1=2, (4+1-2)/2+1=2
                                "[upsample]\nstride=2\n"                                         // 2: 4x4x4
                                "[convolutional]\nfilters=6\nsize=1\ngroups=2\nactivation=mish\n"  // 3: 6x4x4
                                "[route]\nlayers=-1,2\n"                                         // 4: 10x4x4
                                "[route]\nlayers=4\ngroups=2\ngroup_id=1\n"                      // 5: 5x4x4
                                "[convolutional]\nfilters=10\nsize=1\nactivation=linear\nprecision=FP16\n"  // 6: 10x4x4
                                "[shortcut]\nfrom=4\nactivation=relu\n"                          // 7: 10x4x4
                                "[dropout]\nprobability=.5\n"                                    // 8
                                "[convolutional]\nfilters=7\nsize=1\nstride_x=2\nstride_y=1\n"   // 9: 7x4x2, logistic
                                "[convolutional]\nfilters=3\nsize=1\n"                           // 10
                                "[softmax]\ngroups=8\n");                                       // 11
  const auto& L = net.layers;
  ASSERT_EQ(L.size(), 12u);
  EXPECT_EQ(L[0].output, (Shape{4, 3, 4}));
  EXPECT_DOUBLE_EQ(L[0].flops, 2.0 * 4 * 3 * 3 * 3 * 3 * 4);
  EXPECT_EQ(L[1].output, (Shape{4, 2, 2}));
  EXPECT_EQ(L[2].output, (Shape{4, 4, 4}));
  EXPECT_EQ(L[3].output, (Shape{6, 4, 4}));
  EXPECT_DOUBLE_EQ(L[3].flops, 2.0 * 6 * 1 * 1 * 2 * 4 * 4);
  EXPECT_EQ(L[3].as<ConvParams>().activation, Activation::Mish);
  EXPECT_EQ(L[4].output, (Shape{10, 4, 4}));
  EXPECT_EQ(L[4].inputs, (std::vector<int>{3, 2}));
  EXPECT_EQ(L[5].output, (Shape{5, 4, 4}));
  EXPECT_EQ(L[6].as<ConvParams>().precision, Precision::FP16);
  EXPECT_EQ(L[7].inputs, (std::vector<int>{6, 4}));
  EXPECT_EQ(L[7].as<ShortcutParams>().from, std::vector<int>{4});
  EXPECT_EQ(L[7].as<ShortcutParams>().activation, Activation::Relu);
  EXPECT_DOUBLE_EQ(L[7].flops, 160);
  EXPECT_EQ(L[8].output, (Shape{10, 4, 4}));
  EXPECT_EQ(L[9].output, (Shape{7, 4, 2}));
  EXPECT_EQ(L[9].as<ConvParams>().activation, Activation::Logistic);  // darknet's default
  EXPECT_EQ(L[11].as<SoftmaxParams>().classes, 3);
  ASSERT_EQ(net.heads.size(), 1u);
  EXPECT_EQ(net.heads[0].source, 10);
  EXPECT_EQ(net.weights_float_count(), (4 + 3 * 4 + 4 * 27) + (6 + 6 * 2) + (10 + 50) + (7 + 70) + (3 + 21));
}

TEST(NetworkBuilder, ToStringAndParsePrecision) {
  EXPECT_STREQ(to_string(Activation::Swish), "swish");
  EXPECT_STREQ(to_string(Precision::INT8), "int8");
  EXPECT_STREQ(to_string(LayerType::Convolutional), "convolutional");
  EXPECT_STREQ(to_string(LayerType::Softmax), "softmax");
  EXPECT_EQ(parse_precision("FP16"), Precision::FP16);
  EXPECT_EQ(parse_precision("fp32"), Precision::FP32);
  try {
    parse_precision("fp64");
    FAIL() << "fp64 accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "precision 'fp64': expected fp32, fp16 or int8");
  }
}

// Each bad cfg names the file, the line of the offending key (or section) and what was expected.
TEST(NetworkBuilder, BadCfgErrorsNameFileAndLine) {
  const std::string dir = std::string(LIGHTNET_TEST_TMP) + "/";
  // [net] takes lines 1-4, so the first layer section is line 5.
  EXPECT_EQ(error_of_text("abc.cfg", "[convolutional]\nsize=1\nfilters=abc\n"),
            dir + "abc.cfg:7: [convolutional] filters=abc: expected an integer");
  EXPECT_EQ(error_of_text("zero.cfg", "[convolutional]\nfilters=0\nsize=1\n"),
            dir + "zero.cfg:6: [convolutional] filters=0: expected > 0");
  EXPECT_EQ(error_of_text("act.cfg", "[convolutional]\nfilters=2\nsize=1\nactivation=foo\n"),
            dir + "act.cfg:8: [convolutional] activation=foo: unsupported activation (expected linear, relu, leaky, "
                  "logistic, swish or mish)");
  EXPECT_EQ(error_of_text("missing.cfg", "[convolutional]\nsize=3\n"),
            dir + "missing.cfg:5: [convolutional]: missing required key 'filters'");
  EXPECT_EQ(error_of_text("unknown.cfg", "[convolutional]\nfilters=2\nsize=1\n\n[lstm]\noutput=3\n"),
            dir + "unknown.cfg:9: [lstm]: unknown section type (supported: net, convolutional, route, shortcut, "
                  "upsample, maxpool, dropout, yolo, softmax)");
  EXPECT_EQ(error_of_text("route.cfg", "[convolutional]\nfilters=2\nsize=1\n[route]\nlayers=-3\n"),
            dir + "route.cfg:9: [route] layers=-3: layer -3 resolves to -2, expected an earlier layer (0..0)");
  EXPECT_EQ(error_of_text("route_abs.cfg", "[convolutional]\nfilters=2\nsize=1\n[route]\nlayers=0,1\n"),
            dir + "route_abs.cfg:9: [route] layers=0,1: layer 1, expected an earlier layer (0..0)");
  EXPECT_EQ(error_of_text("forward.cfg",
                          "[convolutional]\nfilters=2\nsize=1\n[shortcut]\nfrom=2\n[convolutional]\nfilters=2\nsize=1\n"),
            dir + "forward.cfg:9: [shortcut] from=2: layer 2, expected an earlier layer (0..0)");
  EXPECT_EQ(error_of_text("pos.cfg", "[convolutional]\nfilters=2\nsize=1\nprecision=fp64\n"),
            dir + "pos.cfg:8: [convolutional] precision=fp64: precision 'fp64': expected fp32, fp16 or int8");
  EXPECT_EQ(error_of_text("groups.cfg", "[convolutional]\nfilters=4\nsize=1\ngroups=2\n"),
            dir + "groups.cfg:8: [convolutional] groups=2: input channels 3 are not divisible by groups");
  EXPECT_EQ(error_of_text("yolo.cfg", "[convolutional]\nfilters=21\nsize=1\n[yolo]\nmask=0,1\nanchors=1,2,3,4\nclasses=5\n"),
            dir + "yolo.cfg:8: [yolo]: input has 21 channels, expected 2 anchors x (5 classes + 5) = 20");
  EXPECT_EQ(error_of_text("mask.cfg", "[convolutional]\nfilters=20\nsize=1\n[yolo]\nmask=0,2\nanchors=1,2,3,4\nclasses=5\n"),
            dir + "mask.cfg:9: [yolo] mask=0,2: anchor index 2 out of range 0..1");
  EXPECT_EQ(error_of_text("names.cfg",
                          "[convolutional]\nfilters=14\nsize=1\n[yolo]\nanchors=1,2\nclasses=2\nnames=a,b,c\n"),
            dir + "names.cfg:11: [yolo] names=a,b,c: expected 2 names (classes=2), found 3");
  EXPECT_EQ(error_of_text("colors.cfg", "[convolutional]\nfilters=3\nsize=1\n[softmax]\ncolormap=0,0,0, 1,1,1\n"),
            dir + "colors.cfg:9: [softmax] colormap=0,0,0, 1,1,1: expected a colour for each of the 3 classes, found 2");
  EXPECT_EQ(error_of_text("colorv.cfg", "[convolutional]\nfilters=1\nsize=1\n[softmax]\ncolormap=0,0,256\n"),
            dir + "colorv.cfg:9: [softmax] colormap=0,0,256: value 256 out of range 0..255");
  EXPECT_EQ(error_of_text("head.cfg", "[maxpool]\nsize=1\n[softmax]\n"),
            dir + "head.cfg:7: [softmax]: expects the previous layer to be a [convolutional] (its output is the head tensor)");
  EXPECT_EQ(error_of_text("net2.cfg", "[net]\nwidth=1\n"), dir + "net2.cfg:5: [net]: [net] may only be the first section");
  EXPECT_EQ(model_error_of([&] { load_text("nonet.cfg", "[convolutional]\nfilters=1\nsize=1\n", ""); }),
            dir + "nonet.cfg:1: [convolutional]: expected [net] as the first section");
  EXPECT_EQ(model_error_of([&] { load_text("width.cfg", "[dropout]\n", "[net]\nheight=3\n"); }),
            dir + "width.cfg:1: [net]: missing required key 'width'");
  EXPECT_EQ(model_error_of([&] { load_text("empty.cfg", "", "# nothing\n"); }), dir + "empty.cfg: no sections found, expected [net] followed by layers");
  EXPECT_EQ(error_of_text("shape.cfg", "[convolutional]\nfilters=2\nsize=1\n[maxpool]\nsize=2\nstride=2\n[shortcut]\nfrom=-2\n"),
            dir + "shape.cfg:12: [shortcut] from=-2: layer 0 is 2x6x8, expected the previous layer's shape 2x3x4");
  EXPECT_EQ(error_of_text("big.cfg", "[convolutional]\nfilters=2\nsize=9\n"),
            dir + "big.cfg:5: [convolutional]: kernel 9 (dilation 1) does not fit the input 3x6x8");
  EXPECT_EQ(error_of_text("dil.cfg", "[convolutional]\nfilters=2\nsize=3\ndilation=2\npadding=0\n"),
            dir + "dil.cfg:8: [convolutional] dilation=2: padding 0 with dilation 2 gives darknet an output size that "
                  "differs from the dilated convolution's; use pad=1");
  EXPECT_EQ(error_of_text("unsup.cfg", "[convolutional]\nfilters=2\nsize=1\nxnor=1\n"),
            dir + "unsup.cfg:8: [convolutional] xnor=1: not supported by lightnet (expected 0 or absent)");
}

TEST(NetworkBuilder, AbsurdSizesFailCleanly) {
  const std::string dir = std::string(LIGHTNET_TEST_TMP) + "/";
  EXPECT_EQ(error_of_text("huge.cfg", "[convolutional]\nfilters=2000000000\nsize=1\n"),
            dir + "huge.cfg:6: [convolutional] filters=2000000000: expected <= 1048576");
  EXPECT_EQ(error_of_text("up.cfg", "[upsample]\nstride=1000000\n"),
            dir + "up.cfg:5: [upsample]: output 3x6000000x8000000 exceeds the largest supported dimension 1048576");
  EXPECT_EQ(error_of_text("kernel.cfg", "[convolutional]\nfilters=2\nsize=5000\n"),
            dir + "kernel.cfg:7: [convolutional] size=5000: expected <= 1024");
  EXPECT_EQ(model_error_of([&] { load_text("netw.cfg", "[dropout]\n", "[net]\nwidth=-4\nheight=3\n"); }),
            dir + "netw.cfg:2: [net] width=-4: expected > 0");
}

// Seeded mutations of a real cfg (bad values, deleted lines): each either loads or throws ModelError, never
// anything else (no crash, no std::out_of_range, no bad_alloc from an absurd size).
TEST(NetworkBuilder, MutatedCfgsLoadOrFailWithModelError) {
  REQUIRE_SHARED(kFastestCoco);
  std::ifstream f(test::shared_path(kFastestCoco));
  std::vector<std::string> lines;
  for (std::string line; std::getline(f, line);) lines.push_back(line);
  const char* values[] = {"0", "-1", "abc", "", "99999999", "1,2,,3", "-200", "3.5", "1000", "2"};
  darknet::SplitMix64 rng(7);
  int errors = 0, loaded = 0;
  for (int round = 0; round < 400; ++round) {
    std::vector<std::string> mutated = lines;
    for (int k = 0; k < 2; ++k) {
      const size_t i = size_t(rng.next() % mutated.size());
      const size_t eq = mutated[i].find('=');
      if (rng.next() % 4 == 0 || eq == std::string::npos)
        mutated.erase(mutated.begin() + long(i));
      else
        mutated[i] = mutated[i].substr(0, eq + 1) + values[rng.next() % 10];
    }
    std::string text;
    for (const auto& l : mutated) text += l + "\n";
    const std::string path = test::write_temp("mutated.cfg", text);
    try {
      Network net = load_cfg(path);
      ++loaded;
    } catch (const ModelError& e) {
      ++errors;
      EXPECT_EQ(std::string(e.what()).rfind(path + ":", 0), 0u) << e.what();
    } catch (const std::exception& e) {
      ADD_FAILURE() << "round " << round << ": " << typeid(e).name() << ": " << e.what();
    }
  }
  EXPECT_GT(errors, 100);
  EXPECT_GT(loaded, 10);
}
