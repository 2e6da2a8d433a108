// darknet/cfg_reader: sections, entries, line numbers, typed getters and their error messages.
#include <gtest/gtest.h>

#include <set>

#include "darknet/cfg_reader.h"
#include "ir/network_builder.h"
#include "lightnet/model_loader.h"
#include "model_test_util.h"

using namespace lightnet;
using darknet::parse_cfg;
using test::model_error_of;

TEST(CfgReader, SectionsEntriesAndLineNumbers) {
  const auto sections = parse_cfg(
      "# comment\n"
      "[net]\n"
      "width = 416\n"
      "  height=\t320  \n"
      "; another comment\n"
      "\n"
      "[convolutional]   # header comment\n"
      "filters=16\r\n"
      "layers\t=-1,  -3,\t-5,\n",
      "a.cfg");
  ASSERT_EQ(sections.size(), 2u);
  EXPECT_EQ(sections[0].type(), "net");
  EXPECT_EQ(sections[0].line(), 2);
  EXPECT_EQ(sections[0].get_int("width", 0), 416);
  EXPECT_EQ(sections[0].get_int("height", 0), 320);
  EXPECT_EQ(sections[0].line_of("height"), 4);
  EXPECT_EQ(sections[1].type(), "convolutional");
  EXPECT_EQ(sections[1].line(), 7);
  EXPECT_EQ(sections[1].get_int("filters", 0), 16);  // the \r of a CRLF file is whitespace
  EXPECT_EQ(sections[1].get_int_list("layers"), (std::vector<int>{-1, -3, -5}));  // tabs, trailing comma
  EXPECT_EQ(sections[1].get_int("missing", 7), 7);
}

TEST(CfgReader, ListsToleratesMissingCommaAndNamesAreTrimmed) {
  const auto s = parse_cfg(
      "[yolo]\n"
      "colormap=0,0,255, 0,0,235,\t255,0,0  0,255,0  255,0,255,\n"
      "anchors =  7, 14,  17,21, .5,1e1\n"
      "names=car,bus,   traffic light ,,person,\n",
      "b.cfg")[0];
  EXPECT_EQ(s.get_int_list("colormap"), (std::vector<int>{0, 0, 255, 0, 0, 235, 255, 0, 0, 0, 255, 0, 255, 0, 255}));
  EXPECT_EQ(s.get_float_list("anchors"), (std::vector<float>{7, 14, 17, 21, 0.5f, 10}));
  EXPECT_EQ(s.get_name_list("names"), (std::vector<std::string>{"car", "bus", "traffic light", "person"}));
}

TEST(CfgReader, TypedGetterErrorsNameFileLineSectionAndValue) {
  const auto s = parse_cfg("[net]\n\n[convolutional]\nsize=3\nfilters=abc\nscale=1.5x\nlayers=1,b\n", "m.cfg")[1];
  EXPECT_EQ(model_error_of([&] { s.get_int("filters", 1); }), "m.cfg:5: [convolutional] filters=abc: expected an integer");
  EXPECT_EQ(model_error_of([&] { s.get_float("scale", 1); }), "m.cfg:6: [convolutional] scale=1.5x: expected a number");
  EXPECT_NE(model_error_of([&] { s.get_int_list("layers"); }).find("m.cfg:7: [convolutional] layers=1,b"), std::string::npos);
  EXPECT_EQ(model_error_of([&] { s.require_int("stride"); }), "m.cfg:3: [convolutional]: missing required key 'stride'");
  try {
    s.get_int("filters", 1);
  } catch (const ModelError& e) {
    EXPECT_EQ(e.file(), "m.cfg");
    EXPECT_EQ(e.line(), 5);
  }
}

TEST(CfgReader, StrictNumbers) {
  int i = 0;
  float f = 0;
  EXPECT_TRUE(darknet::parse_int("-12", i));
  EXPECT_EQ(i, -12);
  EXPECT_FALSE(darknet::parse_int("12.0", i));
  EXPECT_FALSE(darknet::parse_int("", i));
  EXPECT_FALSE(darknet::parse_int("99999999999", i));
  EXPECT_TRUE(darknet::parse_float(".1", f));
  EXPECT_FLOAT_EQ(f, 0.1f);
  EXPECT_FALSE(darknet::parse_float("nan", f));
  EXPECT_FALSE(darknet::parse_float("1,5", f));
}

TEST(CfgReader, SyntaxErrorsNameTheLine) {
  EXPECT_EQ(model_error_of([] { parse_cfg("width=3\n[net]\n", "s.cfg"); }),
            "s.cfg:1: 'width=3': key=value before the first section (expected [net] first)");
  EXPECT_EQ(model_error_of([] { parse_cfg("[net]\n\nwidth 3\n", "s.cfg"); }), "s.cfg:3: 'width 3': expected key=value");
  EXPECT_EQ(model_error_of([] { parse_cfg("[net]\n[convolutional\n", "s.cfg"); }),
            "s.cfg:2: '[convolutional': expected a section header '[name]'");
  EXPECT_EQ(model_error_of([] { parse_cfg("[net]\n=3\n", "s.cfg"); }), "s.cfg:2: '=3': missing key before '='");
  EXPECT_EQ(model_error_of([] { parse_cfg("[net]\nwidth=1\nheight=2\nwidth=3\n", "s.cfg"); }),
            "s.cfg:4: [net] width=3: key given twice in one section (first at line 2)");
}

TEST(CfgReader, MissingFileAndDirectory) {
  EXPECT_EQ(model_error_of([] { darknet::read_cfg_file("/nonexistent/x.cfg"); }), "/nonexistent/x.cfg: cfg file not found");
  const std::string dir = test::temp_path("");
  EXPECT_NE(model_error_of([&] { darknet::read_cfg_file(dir); }).find("is a directory"), std::string::npos);
}

// Every key of every shared cfg is either read by a layer builder or a known training-only key, so no key that
// changes inference is silently ignored.
TEST(CfgReader, SharedCfgsUseOnlyKnownKeys) {
  const std::set<std::string> training_only = {
      "batch", "subdivisions", "momentum", "decay", "angle", "saturation", "exposure", "hue", "learning_rate",
      "learning_rate_min", "burn_in", "max_batches", "policy", "steps", "scales", "gaussian_noise", "flip",
      "sgdr_cycle", "sgdr_mult", "jitter", "ignore_thresh", "truth_thresh", "random", "resize", "iou_loss",
      "iou_normalizer", "cls_normalizer", "counters_per_class", "nms_kind", "beta_nms", "iou_thresh",
      "dont_update", "stopbackward", "probability",
      "stride", "num"};  // [softmax] stride/num: LightNet's training bookkeeping, classes is what counts
  int files = 0;
  for (const char* rel : {"models/lightnet/lightNet-BDD100K-1280x960.cfg",
                          "models/lightnet/lightNet-BDD100K-1280x960-chPruning.cfg",
                          "models/lightnet/lightNet-BDD100K-det-semaseg-1280x960.cfg",
                          "models/lightnet/lightNet-BDD100K-chPruning-det-semaseg-1280x960.cfg",
                          "models/lightnet/yolov8x-BDD100K-640x640-T4-lane4cls.cfg",
                          "models/yolo-fastest/yolo-fastest-1.1-xl.cfg", "models/yolo-fastest/yolo-fastest-xl-voc.cfg"}) {
    if (!test::shared_exists(rel)) continue;
    ++files;
    const auto sections = darknet::read_cfg_file(test::shared_path(rel));
    ir::build_network(sections, rel);
    for (const auto& s : sections)
      for (const auto& e : s.unused_entries()) {
        if (s.type() != "softmax" && (e.key == "stride" || e.key == "num")) ADD_FAILURE() << rel << ":" << e.line << " " << e.key;
        EXPECT_TRUE(training_only.count(e.key)) << rel << ":" << e.line << ": [" << s.type() << "] " << e.key;
      }
  }
  if (files == 0) GTEST_SKIP() << "no cfgs under " << LIGHTNET_SHARED_DIR;
}

TEST(CfgReader, ByteOrderMarkIsSkipped) {
  const auto sections = parse_cfg("\xEF\xBB\xBF[net]\nwidth=4\n", "bom.cfg");
  ASSERT_EQ(sections.size(), 1u);
  EXPECT_EQ(sections[0].type(), "net");
}

TEST(CfgReader, UnusedKeysAreReportedWithTheirLines) {
  std::vector<std::string> unused;
  const std::string path = test::write_temp("unused.cfg",
                                            "[net]\nwidth=4\nheight=4\nlearning_rate=0.1\n"
                                            "[convolutional]\nfilters=2\nsize=1\njitter=.3\nfilterz=3\n");
  const Network net = ir::load_cfg_reporting_unused(path, unused);
  EXPECT_EQ(net.layers.size(), 1u);
  EXPECT_EQ(unused, (std::vector<std::string>{"4: [net] learning_rate", "8: [convolutional] jitter",
                                              "9: [convolutional] filterz"}));
}
