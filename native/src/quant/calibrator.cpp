#include "quant/calibrator.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "cpu/executor.h"

namespace lightnet::quant {

namespace {

// One tensor's running statistics.
struct Stats {
  double amax = 0;
  std::vector<double> hist;

  void observe_max(const float* x, size_t n) {
    float m = 0;
    for (size_t i = 0; i < n; ++i) m = std::fmax(m, std::fabs(x[i]));  // fmax skips NaN
    amax = std::max(amax, double(m));
  }
  void observe_histogram(const float* x, size_t n) {
    if (hist.empty()) hist.assign(kHistogramBins, 0.0);
    if (amax <= 0) return;
    const double scale = kHistogramBins / amax;
    for (size_t i = 0; i < n; ++i) {
      const double v = std::fabs(x[i]) * scale;
      if (!(v < kHistogramBins)) {  // the max itself lands in the last bin; NaN is not counted
        if (v >= kHistogramBins) hist[kHistogramBins - 1] += 1;
        continue;
      }
      hist[int(v)] += 1;
    }
  }
};

}  // namespace

std::vector<float> calibrate(const Network& net, const std::vector<std::string>& images,
                             const CalibrationSettings& settings, const LogCallback& log) {
  const std::string& algo = settings.algorithm;
  if (algo != "entropy" && algo != "minmax" && algo != "percentile")
    throw std::invalid_argument("calibration_algorithm '" + algo + "': expected entropy, minmax or percentile");
  if (images.empty()) throw std::invalid_argument("calibration: no images");
  cpu::ExecutorOptions eo;
  eo.max_batch = 1;
  eo.threads = settings.threads;
  for (const Layer& l : net.layers) eo.outputs.push_back(l.index);
#ifdef LIGHTNET_WITH_ONEDNN
  auto executor = cpu::make_onednn_executor(net, eo);
#else
  auto executor = cpu::make_reference_executor(net, eo);
#endif
  std::vector<float> input(size_t(net.input.size()));
  std::vector<std::vector<float>> outputs;
  std::vector<float*> dst;
  for (const Layer& l : net.layers) outputs.emplace_back(size_t(l.output.size()));
  for (auto& o : outputs) dst.push_back(o.data());
  std::vector<Stats> stats(net.layers.size() + 1);  // [0] = network input

  const bool histogram = algo != "minmax";
  for (int pass = 0; pass < (histogram ? 2 : 1); ++pass) {
    if (log)
      log("calibration (" + algo + ") pass " + std::to_string(pass + 1) + ": " +
          (pass == 0 ? "ranges" : "histograms") + " over " + std::to_string(images.size()) + " images");
    for (const std::string& path : images) {
      load_calibration_input(path, net.input, input.data());
      executor->run(input.data(), 1, dst);
      auto observe = [&](Stats& s, const float* x, size_t n) {
        if (pass == 0) s.observe_max(x, n);
        else s.observe_histogram(x, n);
      };
      observe(stats[0], input.data(), input.size());
#pragma omp parallel for schedule(dynamic, 1)
      for (long long i = 0; i < (long long)outputs.size(); ++i)
        observe(stats[size_t(i) + 1], outputs[size_t(i)].data(), outputs[size_t(i)].size());
    }
  }
  std::vector<float> amax(stats.size());
#pragma omp parallel for schedule(dynamic, 1)
  for (long long i = 0; i < (long long)stats.size(); ++i) {
    const Stats& s = stats[size_t(i)];
    float a = float(s.amax);
    if (s.amax > 0 && algo == "entropy") a = entropy_amax(s.hist, s.amax);
    if (s.amax > 0 && algo == "percentile") a = percentile_amax(s.hist, s.amax, settings.percentile);
    // An all-zero tensor still needs a usable scale; any positive range quantizes it exactly.
    amax[size_t(i)] = a > 0 ? a : 1.f;
  }
  return amax;
}

}  // namespace lightnet::quant
