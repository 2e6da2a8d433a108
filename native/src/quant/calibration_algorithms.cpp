// Range selection from a histogram of |x|: entropy (KL divergence) and percentile.
// Reference followed for entropy: NVIDIA pytorch-quantization, pytorch_quantization/calib/histogram.py,
// _compute_amax_entropy(calib_hist, calib_bin_edges, num_bits=8, unsigned=False, stride=1, start_bin=128),
// NVIDIA's open description of TensorRT's entropy calibration (Migacz, "8-bit Inference with TensorRT",
// GTC 2017). Step for step, so that a numpy reimplementation reproduces the chosen bin exactly.
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "lightnet/quantization.h"

namespace lightnet {

namespace {

void check_histogram(const std::vector<double>& hist, double hist_max, const char* what) {
  if (hist.empty()) throw std::invalid_argument(std::string(what) + ": empty histogram");
  if (!(hist_max > 0) || !std::isfinite(hist_max))
    throw std::invalid_argument(std::string(what) + ": histogram range expected > 0, found " + std::to_string(hist_max));
}

// scipy.stats.entropy(p, q) on normalised p, q: Σ p·log(p/q) over p > 0 (infinite where q = 0 < p).
double kl_divergence(const std::vector<double>& p, double p_sum, const std::vector<double>& q, double q_sum) {
  double kl = 0;
  for (size_t j = 0; j < p.size(); ++j) {
    if (p[j] <= 0) continue;
    const double pj = p[j] / p_sum, qj = q_sum > 0 ? q[j] / q_sum : 0;
    if (qj <= 0) return std::numeric_limits<double>::infinity();
    kl += pj * std::log(pj / qj);
  }
  return kl;
}

}  // namespace

float entropy_amax(std::vector<double> hist, double hist_max, int levels) {
  check_histogram(hist, hist_max, "entropy calibration");
  const int bins = int(hist.size());
  if (levels < 1 || levels > bins)
    throw std::invalid_argument("entropy calibration: levels expected 1.." + std::to_string(bins) + ", found " +
                                std::to_string(levels));
  if (bins > 1) hist[0] = hist[1];  // the reference's treatment of the (ReLU-inflated) zero bin
  double best = std::numeric_limits<double>::infinity();
  int best_i = bins;
  std::vector<double> level_sum(levels), level_bins(levels), p, q;
  std::vector<int> level_of;
  for (int i = levels; i <= bins; ++i) {
    // numpy: space = linspace(0, i, levels + 1); level of bin j = digitize(j, space) - 1
    const double step = double(i) / levels;
    level_of.assign(i, 0);
    std::fill(level_sum.begin(), level_sum.end(), 0.0);
    std::fill(level_bins.begin(), level_bins.end(), 0.0);
    int b = 0;
    for (int j = 0; j < i; ++j) {
      while (b + 1 < levels && (b + 1) * step <= j) ++b;
      level_of[j] = b;
      if (hist[j] != 0) level_sum[b] += hist[j], level_bins[b] += 1;
    }
    q.assign(i, 0.0);
    for (int j = 0; j < i; ++j)
      if (hist[j] != 0) q[j] = level_sum[level_of[j]] / level_bins[level_of[j]];
    p.assign(hist.begin(), hist.begin() + i);
    double tail = 0;
    for (int j = i; j < bins; ++j) tail += hist[j];
    p[i - 1] += tail;
    double p_sum = 0, q_sum = 0;
    for (int j = 0; j < i; ++j) p_sum += p[j], q_sum += q[j];
    const double kl = kl_divergence(p, p_sum, q, q_sum);
    if (kl <= best) best = kl, best_i = i;  // last minimum, as the reference's argmin over the reversed list
  }
  return float(hist_max * best_i / bins);
}

float percentile_amax(const std::vector<double>& hist, double hist_max, double percentile) {
  check_histogram(hist, hist_max, "percentile calibration");
  if (!(percentile > 0 && percentile <= 100))
    throw std::invalid_argument("percentile: expected in (0, 100], found " + std::to_string(percentile));
  double total = 0;
  for (double h : hist) total += h;
  if (total <= 0) return float(hist_max);
  const double target = total * percentile / 100.0;
  double cum = 0;
  for (size_t j = 0; j < hist.size(); ++j) {
    cum += hist[j];
    if (cum >= target) return float(hist_max * double(j + 1) / hist.size());
  }
  return float(hist_max);
}

}  // namespace lightnet
