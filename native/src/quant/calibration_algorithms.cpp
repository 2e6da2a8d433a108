// Range selection from a histogram of |x|: entropy (KL divergence) and percentile.
// Entropy follows TensorRT's EntropyCalibrator2 method as NVIDIA describes it (Migacz, "8-bit Inference with
// TensorRT", GTC 2017): for every candidate threshold of i = 128..2048 bins, the reference P = hist[0:i] with
// the outliers hist[i:] folded into its last bin, the candidate Q = hist[0:i] merged into 128 levels and
// expanded back over the non-empty bins only (empty bins stay empty), and the threshold of smallest KL(P||Q).
// Zero bins are smoothed as the open implementations of that method do (MXNet's and TVM's
// _smooth_distribution, eps = 1e-4 on the counts), so a candidate whose last bin is empty but carries the
// folded outliers is penalised, not excluded. Bin 0 is first replaced by bin 1, as NVIDIA's own implementation
// of the method does (pytorch-quantization, calib/histogram.py, _compute_amax_entropy): exact zeros (ReLU
// outputs: about half of every tensor) quantize without error, but counted in bin 0 they make the search buy
// resolution near zero and clip up to 5% of the values of such tensors.
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "lightnet/quantization.h"

namespace lightnet {

namespace {

constexpr double kSmoothingEps = 1e-4;

void check_histogram(const std::vector<double>& hist, double hist_max, const char* what) {
  if (hist.empty()) throw std::invalid_argument(std::string(what) + ": empty histogram");
  if (!(hist_max > 0) || !std::isfinite(hist_max))
    throw std::invalid_argument(std::string(what) + ": histogram range expected > 0, found " + std::to_string(hist_max));
  for (double h : hist)
    if (!(h >= 0) || !std::isfinite(h))
      throw std::invalid_argument(std::string(what) + ": histogram counts expected finite and >= 0, found " +
                                  std::to_string(h));
}

// Gives every zero bin eps and takes the same mass evenly from the non-zero bins. False when that is impossible
// (no non-zero bin, or a non-zero bin smaller than its share): the candidate is then unusable.
bool smooth(std::vector<double>& d) {
  size_t zeros = 0;
  for (double v : d) zeros += v == 0;
  const size_t nonzeros = d.size() - zeros;
  if (nonzeros == 0) return false;
  const double take = kSmoothingEps * double(zeros) / double(nonzeros);
  for (double& v : d) {
    if (v == 0) v = kSmoothingEps;
    else if ((v -= take) <= 0) return false;
  }
  return true;
}

// KL(P || Q) of the normalised distributions (scipy.stats.entropy(p, q)); both strictly positive here.
double kl_divergence(const std::vector<double>& p, const std::vector<double>& q) {
  double p_sum = 0, q_sum = 0;
  for (size_t j = 0; j < p.size(); ++j) p_sum += p[j], q_sum += q[j];
  double kl = 0;
  for (size_t j = 0; j < p.size(); ++j) {
    const double pj = p[j] / p_sum, qj = q[j] / q_sum;
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
  if (bins > 1) hist[0] = hist[1];  // exact zeros cost nothing to quantize (see the top of the file)
  double best = std::numeric_limits<double>::infinity();
  int best_i = bins;
  std::vector<double> level_sum(levels), level_bins(levels), p, q;
  std::vector<int> level_of;
  double tail = 0;  // Σ hist[i:]
  for (int j = levels; j < bins; ++j) tail += hist[j];
  for (int i = levels; i <= bins; ++i) {
    if (i > levels) tail -= hist[i - 1];
    // Bin j of the first i goes to level floor(j · levels / i) (numpy: digitize(j, linspace(0, i, levels + 1)) - 1).
    level_of.assign(i, 0);
    std::fill(level_sum.begin(), level_sum.end(), 0.0);
    std::fill(level_bins.begin(), level_bins.end(), 0.0);
    for (int j = 0; j < i; ++j) {
      const int b = int((long long)j * levels / i);
      level_of[j] = b;
      if (hist[j] != 0) level_sum[b] += hist[j], level_bins[b] += 1;
    }
    q.assign(i, 0.0);
    for (int j = 0; j < i; ++j)
      if (hist[j] != 0) q[j] = level_sum[level_of[j]] / level_bins[level_of[j]];
    p.assign(hist.begin(), hist.begin() + i);
    p[i - 1] += tail;
    if (!smooth(p) || !smooth(q)) continue;
    const double kl = kl_divergence(p, q);
    if (kl <= best) best = kl, best_i = i;  // the last minimum: on a tie, the wider range
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
