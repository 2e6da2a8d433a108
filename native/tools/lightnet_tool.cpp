// lightnet-tool: model info and inference benchmark without Node or OpenCV (for GPU machines and CI).
//
//   lightnet-tool info  --cfg C [--weights W] [--json]
//   lightnet-tool bench --cfg C [--weights W] [--backend B] [--precision P] [--batch N] [--iters N]
//                       [--warmup N] [--threads N] [--profile] [--json] [--cache DIR]
//                       [--full-frame [--frame WxH] [--score S] [--nms T] [--pinned-input]] [--compare BACKEND]
//                       [--calib-list F] [--calib-algo A] [--calib-table F] [--percentile P]
//                       [--clip-value X] [--mp] [--sparsity on|off]
//   lightnet-tool random-weights --cfg C --out FILE [--seed N]
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "lightnet/engine.h"
#include "lightnet/model_loader.h"

namespace {

using namespace lightnet;

const char* kUsage =
    "usage:\n"
    "  lightnet-tool info  --cfg FILE [--weights FILE] [--json]\n"
    "  lightnet-tool bench --cfg FILE [--weights FILE] [--backend auto|cpu|cuda] [--precision fp32|fp16|int8]\n"
    "                      [--batch N] [--iters N] [--warmup N] [--threads N] [--profile] [--json] [--cache DIR]\n"
    "                      [--full-frame [--frame WxH] [--score S] [--nms T] [--pinned-input]] [--compare BACKEND]\n"
    "                      [--calib-list FILE|DIR] [--calib-algo entropy|minmax|percentile] [--calib-table FILE]\n"
    "                      [--percentile P] [--clip-value X] [--mp] [--sparsity on|off]\n"
    "  lightnet-tool random-weights --cfg FILE --out FILE [--seed N]\n"
    "bench times the network only, as the engine measures it (no pre/post-processing, no transfers);\n"
    "without --weights it uses seeded random weights (seed 1, the same numbers random-weights writes).\n"
    "--threads 0 = all cores.\n"
    "--full-frame times Engine::detect() on a WxH (default 1920x1080) bgr8 host buffer per image (upload,\n"
    "pre-processing, network, decode + NMS, argmax, results on the host) and reports the engine's own split\n"
    "(its network time is the DNN-only figure); --pinned-input puts the frame in the engine's pinned input\n"
    "buffers (Engine::pinned_input) instead of pageable memory. --compare B also runs backend B (fp32) on the\n"
    "same input and prints the relative L2 difference of every head. --cache DIR: engine plan cache.\n"
    "random-weights writes seeded random darknet weights for the cfg (loadable by darknet and OpenCV too).\n"
    "OMP_WAIT_POLICY defaults to PASSIVE (idle OpenMP workers sleep instead of spinning); set it to override.\n";

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// --key value / --flag arguments, checked against the command's known options.
struct Args {
  std::map<std::string, std::string> values;
  std::map<std::string, bool> flags;

  Args(int argc, char** argv, const std::vector<std::string>& with_value, const std::vector<std::string>& switches) {
    for (int i = 2; i < argc; ++i) {
      std::string a = argv[i];
      if (std::find(switches.begin(), switches.end(), a) != switches.end()) {
        flags[a] = true;
      } else if (std::find(with_value.begin(), with_value.end(), a) != with_value.end()) {
        if (i + 1 >= argc) throw UsageError(a + ": expected a value");
        values[a] = argv[++i];
      } else {
        throw UsageError("unknown option '" + a + "' for '" + argv[1] + "'");
      }
    }
  }
  bool has(const std::string& k) const { return values.count(k) > 0; }
  std::string get(const std::string& k, const std::string& def = "") const {
    auto it = values.find(k);
    return it == values.end() ? def : it->second;
  }
  int get_int(const std::string& k, int def, int min) const {
    if (!has(k)) return def;
    const std::string& v = values.at(k);
    size_t used = 0;
    int n = 0;
    try {
      n = std::stoi(v, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != v.size() || v.empty()) throw UsageError(k + ": expected an integer, found '" + v + "'");
    if (n < min) throw UsageError(k + ": expected >= " + std::to_string(min) + ", found " + v);
    return n;
  }
  bool flag(const std::string& k) const { return flags.count(k) > 0; }
};

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\', out += c;
    else if (c == '\n') out += "\\n";
    else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else out += c;
  }
  return out + "\"";
}

std::string num(double v, int precision = 4) {
  std::ostringstream o;
  o.precision(precision);
  o << std::fixed << v;
  std::string s = o.str();
  while (s.size() > 1 && s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s;
}

std::string shape_text(const Shape& s) { return std::to_string(s.c) + "x" + std::to_string(s.h) + "x" + std::to_string(s.w); }

std::string layer_details(const Layer& l) {
  switch (l.type) {
    case LayerType::Convolutional: {
      const ConvParams& p = l.as<ConvParams>();
      std::string s = std::to_string(p.filters) + " " + std::to_string(p.size) + "x" + std::to_string(p.size) + "/" +
                      std::to_string(p.stride_x);
      if (p.stride_y != p.stride_x) s += "x" + std::to_string(p.stride_y);
      if (p.groups > 1) s += " groups " + std::to_string(p.groups);
      if (p.dilation > 1) s += " dil " + std::to_string(p.dilation);
      if (p.batch_normalize) s += " bn";
      return s + " " + to_string(p.activation);
    }
    case LayerType::Maxpool: {
      const MaxpoolParams& p = l.as<MaxpoolParams>();
      return std::to_string(p.size) + "x" + std::to_string(p.size) + "/" + std::to_string(p.stride_x);
    }
    case LayerType::Upsample: return "x" + std::to_string(l.as<UpsampleParams>().stride);
    case LayerType::Yolo: {
      const YoloParams& p = l.as<YoloParams>();
      return std::to_string(p.classes) + " classes" + (p.new_coords ? " new_coords" : "");
    }
    case LayerType::Softmax: return std::to_string(l.as<SoftmaxParams>().classes) + " classes";
    default: break;
  }
  std::string s;
  for (int i : l.inputs) s += (s.empty() ? "" : ",") + std::to_string(i);
  return "from " + s;
}

Network load(const Args& args) {
  if (!args.has("--cfg")) throw UsageError("--cfg is required");
  Network net = load_cfg(args.get("--cfg"));
  if (args.has("--weights")) load_weights(net, args.get("--weights"));
  return net;
}

int cmd_info(const Args& args) {
  Network net = load(args);
  if (args.flag("--json")) {
    std::string j = "{\"cfg\":" + json_string(net.cfg_path) + ",\"input\":{\"c\":" + std::to_string(net.input.c) +
                    ",\"h\":" + std::to_string(net.input.h) + ",\"w\":" + std::to_string(net.input.w) +
                    "},\"gflops\":" + num(net.gflops()) + ",\"params\":" + std::to_string(net.parameter_count()) +
                    ",\"has_weights\":" + (net.has_weights ? "true" : "false") + ",\"layers\":[";
    for (size_t i = 0; i < net.layers.size(); ++i) {
      const Layer& l = net.layers[i];
      j += std::string(i ? "," : "") + "{\"index\":" + std::to_string(l.index) + ",\"type\":" +
           json_string(to_string(l.type)) + ",\"details\":" + json_string(layer_details(l)) + ",\"inputs\":[";
      for (size_t k = 0; k < l.inputs.size(); ++k) j += (k ? "," : "") + std::to_string(l.inputs[k]);
      j += "],\"output\":[" + std::to_string(l.output.c) + "," + std::to_string(l.output.h) + "," +
           std::to_string(l.output.w) + "],\"gflops\":" + num(l.flops / 1e9, 6) + "}";
    }
    j += "],\"heads\":[";
    for (size_t i = 0; i < net.heads.size(); ++i) {
      const Head& h = net.heads[i];
      j += std::string(i ? "," : "") + "{\"kind\":\"" + (h.kind == Head::Kind::Yolo ? "yolo" : "segmentation") +
           "\",\"layer\":" + std::to_string(h.layer) + ",\"source\":" + std::to_string(h.source) + ",\"shape\":[" +
           std::to_string(net.layers[h.source].output.c) + "," + std::to_string(net.layers[h.source].output.h) +
           "," + std::to_string(net.layers[h.source].output.w) + "]}";
    }
    std::cout << j << "]}\n";
    return 0;
  }
  std::printf("%s\ninput %s\n%5s %-14s %-34s %-14s %s\n", net.cfg_path.c_str(), shape_text(net.input).c_str(),
              "layer", "type", "details", "output", "GFLOPs");
  for (const Layer& l : net.layers)
    std::printf("%5d %-14s %-34s %-14s %.3f\n", l.index, to_string(l.type), layer_details(l).c_str(),
                shape_text(l.output).c_str(), l.flops / 1e9);
  std::printf("total: %.2f GFLOPs, %.2f M parameters (%lld)\n", net.gflops(), net.parameter_count() / 1e6,
              static_cast<long long>(net.parameter_count()));
  for (const Head& h : net.heads)
    std::printf("head: %s layer %d, fed by layer %d (%s)\n", h.kind == Head::Kind::Yolo ? "yolo" : "segmentation",
                h.layer, h.source, shape_text(net.layers[h.source].output).c_str());
  return 0;
}

// Heads of `engine` vs another backend (fp32) on one random input: relative L2 per head.
void compare_heads(const Network& net, Engine& engine, const std::string& backend) {
  BuildOptions o;
  o.backend = backend;
  auto other = build_engine(net, o);
  std::vector<float> input(size_t(net.input.size()));
  std::mt19937 rng(2);
  std::uniform_real_distribution<float> u(0.f, 1.f);
  for (float& v : input) v = u(rng);
  auto a = engine.forward(input.data(), 1), b = other->forward(input.data(), 1);
  for (size_t k = 0; k < a.size() && k < b.size(); ++k) {
    double num = 0, den = 0;
    for (size_t i = 0; i < a[k].data.size() && i < b[k].data.size(); ++i) {
      double d = double(a[k].data[i]) - b[k].data[i];
      num += d * d;
      den += double(b[k].data[i]) * b[k].data[i];
    }
    std::printf("compare head %zu (layer %d, %dx%dx%d): %s %s vs %s fp32: relative L2 %.3g\n", k, a[k].layer, a[k].c,
                a[k].h, a[k].w, engine.backend().c_str(), to_string(engine.precision()), backend.c_str(),
                std::sqrt(num / std::max(den, 1e-30)));
  }
}

// The project's percentile (as src/eval/latencyStats.ts): numpy's default, linear between closest ranks.
double percentile_of(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const double rank = p / 100 * double(v.size() - 1);
  const size_t lo = size_t(rank);
  const size_t hi = std::min(v.size() - 1, lo + 1);
  return v[lo] + (v[hi] - v[lo]) * (rank - double(lo));
}

double median_of(std::vector<double> v) { return percentile_of(std::move(v), 50); }

// Per-layer times accumulated since the last take_profile(), slowest first, on stderr.
void print_profile(Engine& engine) {
  auto prof = engine.take_profile();
  std::sort(prof.begin(), prof.end(), [](const LayerTiming& a, const LayerTiming& b) { return a.ms > b.ms; });
  double total = 0;
  for (const auto& t : prof) total += t.ms;
  std::fprintf(stderr, "per-layer profile (mean ms per inference, sum %.3f ms):\n", total);
  for (const auto& t : prof)
    if (t.ms > 0) std::fprintf(stderr, "%9.4f  %5.1f%%  %s\n", t.ms, 100 * t.ms / total, t.name.c_str());
}

// Full frame: batch × (W×H bgr8 host image) → detect() → detections and masks on the host.
int bench_full_frame(const Args& args, const Network& net, Engine& engine, int iters, int warmup) {
  int w = 1920, h = 1080;
  if (args.has("--frame") && std::sscanf(args.get("--frame").c_str(), "%dx%d", &w, &h) != 2)
    throw UsageError("--frame: expected WxH, found '" + args.get("--frame") + "'");
  if (w < 1 || h < 1) throw UsageError("--frame: expected positive sizes");
  DetectOptions d;
  d.score_threshold = std::stof(args.get("--score", "0.25"));
  d.nms_threshold = std::stof(args.get("--nms", "0.45"));
  // A smooth gradient with noise: a plausible image, never all zeros.
  std::vector<uint8_t> frame(size_t(w) * h * 3);
  std::mt19937 rng(3);
  for (size_t i = 0; i < frame.size(); ++i) frame[i] = uint8_t((i / 3 % size_t(w)) * 200 / w + (rng() & 31));
  const int batch = engine.max_batch();
  std::vector<ImageView> images(batch, ImageView{frame.data(), w, h, size_t(w) * 3, PixelFormat::BGR8});
  // --pinned-input: the frame sits in the engine's pinned input buffers, as if decoded straight into them.
  const bool pinned = args.flag("--pinned-input");
  for (int k = 0; pinned && k < batch; ++k) {
    uint8_t* p = engine.pinned_input(k, frame.size());
    if (!p) throw UsageError("--pinned-input: the " + engine.backend() + " backend has no pinned input buffers");
    std::memcpy(p, frame.data(), frame.size());
    images[k].data = p;
  }
  for (int i = 0; i < warmup; ++i) engine.detect(images, d);
  engine.take_profile();
  std::vector<double> wall, pre, dnn, post;
  size_t boxes = 0;
  for (int i = 0; i < iters; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    auto r = engine.detect(images, d);
    wall.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    pre.push_back(r[0].timing.preprocess_ms * batch);  // per-frame shares of the batch: × batch = the batch's
    dnn.push_back(r[0].timing.inference_ms * batch);
    post.push_back(r[0].timing.postprocess_ms * batch);
    boxes = r[0].detections.size();
  }
  if (args.flag("--profile")) print_profile(engine);
  if (args.flag("--json")) {
    std::cout << "{\"full_frame_ms\":" << num(median_of(wall)) << ",\"preprocess_ms\":" << num(median_of(pre))
              << ",\"dnn_ms\":" << num(median_of(dnn)) << ",\"postprocess_ms\":" << num(median_of(post))
              << ",\"iters\":" << iters << ",\"backend\":" << json_string(engine.backend())
              << ",\"precision\":" << json_string(to_string(engine.precision())) << ",\"batch\":" << batch
              << ",\"detections\":" << boxes << "}\n";
  } else {
    std::printf("%s: backend %s, %s, batch %d, full frame %dx%d bgr8 (%s host memory), %d iterations (+%d warm-up)\n",
                net.cfg_path.c_str(), engine.backend().c_str(), to_string(engine.precision()), batch, w, h,
                pinned ? "the engine's pinned" : "pageable", iters, warmup);
    std::printf("full frame median %.3f ms (wall, host buffer to host results; %.1f images/s) | engine split, "
                "medians: pre-process %.3f ms, DNN %.3f ms, post-process %.3f ms | %zu detections in image 0\n",
                median_of(wall), 1000.0 * batch / median_of(wall), median_of(pre), median_of(dnn), median_of(post),
                boxes);
  }
  return 0;
}

double get_number(const Args& args, const std::string& k, double def) {
  if (!args.has(k)) return def;
  const std::string& v = args.get(k);
  char* end = nullptr;
  const double d = std::strtod(v.c_str(), &end);
  if (v.empty() || *end != '\0' || !std::isfinite(d)) throw UsageError(k + ": expected a number, found '" + v + "'");
  return d;
}

// INT8 / multi-precision / sparsity options, as the lightnet-trt CLI names them (issue 4).
void read_quantization_options(const Args& args, BuildOptions& opt) {
  opt.calibration_list = args.get("--calib-list");
  opt.calibration_table = args.get("--calib-table");
  opt.calibration_algorithm = args.get("--calib-algo", opt.calibration_algorithm);
  opt.percentile = get_number(args, "--percentile", opt.percentile);
  opt.clip_value = get_number(args, "--clip-value", 0);
  opt.multi_precision = args.flag("--mp");
  const std::string sparsity = args.get("--sparsity", "on");
  if (sparsity != "on" && sparsity != "off") throw UsageError("--sparsity: expected on or off, found '" + sparsity + "'");
  opt.sparsity = sparsity == "on";
}

// `batch` copies of a pseudo-random bgr8 image of the network's input size.
struct ImageFrames {
  std::vector<uint8_t> pixels;
  std::vector<ImageView> views;
};
ImageFrames network_frames(const Network& net, int batch) {
  ImageFrames f;
  const size_t step = size_t(net.input.w) * 3;
  f.pixels.resize(step * net.input.h);
  std::mt19937 rng(1);
  for (uint8_t& p : f.pixels) p = uint8_t(rng());
  for (int k = 0; k < batch; ++k) f.views.push_back({f.pixels.data(), net.input.w, net.input.h, step, PixelFormat::BGR8});
  return f;
}

int cmd_bench(const Args& args) {
  BuildOptions opt;  // every option is checked before the (slow) model load
  opt.backend = args.get("--backend", "auto");
  try {
    opt.precision = parse_precision(args.get("--precision", "fp32"));
  } catch (const std::invalid_argument& e) {
    throw UsageError(std::string("--precision: ") + e.what());
  }
  opt.batch = args.get_int("--batch", 1, 1);
  opt.threads = args.get_int("--threads", 0, 0);
  opt.profile = args.flag("--profile");
  opt.cache_dir = args.get("--cache", "");
  read_quantization_options(args, opt);
  const int iters = args.get_int("--iters", 20, 1), warmup = args.get_int("--warmup", 3, 0);
  Network net = load(args);
  if (!net.has_weights) randomize_weights(net, 1);
  const auto build_start = std::chrono::steady_clock::now();
  auto engine = build_engine(net, opt, [&](double fraction, const std::string& message) {
    if (fraction >= 1.0) std::fprintf(stderr, "%s\n", message.c_str());
  });
  const double build_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - build_start).count();
  std::fprintf(stderr, "built %s engine in %.2f s\n", engine->backend().c_str(), build_s);
  if (args.has("--compare")) compare_heads(net, *engine, args.get("--compare"));
  if (args.flag("--full-frame")) return bench_full_frame(args, net, *engine, iters, warmup);

  // The network's own time, as the engine measures it (FrameResult::timing.inference_ms: wall time of the
  // forward pass on the CPU, CUDA events around the graph replay on the GPU). forward() is not timed: on a GPU
  // it also moves the float input and every head tensor across PCIe, which is not the network's cost. The
  // frame has the network's size (no resize work) and a score threshold of 1 keeps post-processing empty.
  const ImageFrames frames = network_frames(net, opt.batch);
  DetectOptions none;
  none.score_threshold = 1.f;
  auto network_ms = [&] {
    double total = 0;
    for (const auto& r : engine->detect(frames.views, none)) total += r.timing.inference_ms;
    return total;
  };
  for (int i = 0; i < warmup; ++i) network_ms();
  engine->take_profile();  // drop warm-up timings
  std::vector<double> ms;
  for (int i = 0; i < iters; ++i) ms.push_back(network_ms());
  const double median = median_of(ms);
  const double p90 = percentile_of(ms, 90);
  const double min = *std::min_element(ms.begin(), ms.end());
  if (opt.profile) print_profile(*engine);
  if (args.flag("--json")) {
    std::cout << "{\"median_ms\":" << num(median) << ",\"p90_ms\":" << num(p90) << ",\"min_ms\":" << num(min)
              << ",\"iters\":" << iters << ",\"backend\":" << json_string(engine->backend())
              << ",\"precision\":" << json_string(to_string(engine->precision())) << ",\"batch\":" << opt.batch
              << "}\n";
  } else {
    std::printf("%s: backend %s, %s, batch %d, %d iterations (+%d warm-up)\n", net.cfg_path.c_str(),
                engine->backend().c_str(), to_string(engine->precision()), opt.batch, iters, warmup);
    std::printf("median %.2f ms, p90 %.2f ms, min %.2f ms (%.1f images/s)\n", median, p90, min,
                1000.0 * opt.batch / median);
  }
  return 0;
}

int cmd_random_weights(const Args& args) {
  if (!args.has("--out")) throw UsageError("--out is required");
  Network net = load(args);
  const int seed = args.get_int("--seed", 1, 0);
  write_random_weights(net, args.get("--out"), uint64_t(seed));
  std::printf("wrote %s (%lld floats, seed %d)\n", args.get("--out").c_str(),
              static_cast<long long>(net.weights_float_count()), seed);
  return 0;
}

}  // namespace

// The CPU backend runs on OpenMP (oneDNN's runtime here). libgomp's default lets idle workers spin, which on
// a machine shared with other processes (a ROS system, CI) burns the cores the busy workers need: measured
// 1.2-2x slower under load. Passive waiting costs little when the machine is idle. libgomp reads the setting
// once, when it is loaded, so the tool re-executes itself with it unless the user chose a policy.
void prefer_passive_openmp_wait(char** argv) {
  if (std::getenv("OMP_WAIT_POLICY") || std::getenv("GOMP_SPINCOUNT")) return;
  setenv("OMP_WAIT_POLICY", "PASSIVE", 1);
  execv("/proc/self/exe", argv);  // returns only on failure: carry on with the default policy
}

int main(int argc, char** argv) {
  prefer_passive_openmp_wait(argv);
  if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h") {
    std::fputs(kUsage, argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  const std::string cmd = argv[1];
  try {
    if (cmd == "info") return cmd_info(Args(argc, argv, {"--cfg", "--weights"}, {"--json"}));
    if (cmd == "bench")
      return cmd_bench(Args(argc, argv,
                            {"--cfg", "--weights", "--backend", "--precision", "--batch", "--iters", "--warmup",
                             "--threads", "--cache", "--frame", "--score", "--nms", "--compare",
                             "--calib-list", "--calib-algo", "--calib-table", "--percentile", "--clip-value",
                             "--sparsity"},
                            {"--json", "--profile", "--full-frame", "--pinned-input", "--mp"}));
    if (cmd == "random-weights") return cmd_random_weights(Args(argc, argv, {"--cfg", "--out", "--seed"}, {}));
    throw UsageError("unknown command '" + cmd + "' (expected info, bench or random-weights)");
  } catch (const UsageError& e) {
    std::fprintf(stderr, "lightnet-tool: %s\n%s", e.what(), kUsage);
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "lightnet-tool: %s\n", e.what());
    return 1;
  }
}
