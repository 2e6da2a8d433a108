// prepare_quantization: precisions, 2:4 pruning, activation ranges (clip / table / calibration), weight scales.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <stdexcept>
#include <string>

#include "lightnet/quantization.h"
#include "quant/calibrator.h"

namespace lightnet {

namespace {

std::string layer_name(const Layer& l) {
  return "layer " + std::to_string(l.index) + " [" + to_string(l.type) + "] (cfg line " + std::to_string(l.cfg_line) + ")";
}

std::string algorithm_id(const BuildOptions& o) {
  const std::string& a = o.calibration_algorithm;
  if (a == "entropy" || a == "minmax") return a;
  if (a == "percentile") {
    if (!(o.percentile > 0 && o.percentile <= 100))
      throw std::invalid_argument("percentile: expected in (0, 100], found " + std::to_string(o.percentile));
    char buf[48];
    std::snprintf(buf, sizeof buf, "percentile-%g", o.percentile);
    return buf;
  }
  throw std::invalid_argument("calibration_algorithm '" + a + "': expected entropy, minmax or percentile");
}

std::string tensor_name(int tensor) { return tensor == 0 ? "input" : std::to_string(tensor - 1); }

// Why `t` cannot serve this model and algorithm ("" when it can).
std::string stale_reason(const CalibrationTable& t, const std::string& algo, const std::string& hash, size_t tensors) {
  if (t.algorithm != algo) return "it was calibrated with " + t.algorithm + ", this build asks for " + algo;
  if (t.model_hash != hash) return "its model hash " + t.model_hash + " differs from this cfg + weights (" + hash + ")";
  for (size_t i = 0; i < tensors; ++i)
    if (!t.amax.count(tensor_name(int(i)))) return "it has no range for tensor '" + tensor_name(int(i)) + "'";
  return "";
}

// Ranges for the network input (front) and every layer output: from the table, else by calibrating.
std::vector<float> activation_ranges(const Network& net, const BuildOptions& o, const LogCallback& log) {
  const size_t tensors = net.layers.size() + 1;
  if (o.clip_value > 0) {
    if (log) log("INT8 ranges: [0, " + std::to_string(o.clip_value) + "] for every tensor (clip_value, no calibration)");
    return std::vector<float>(tensors, float(o.clip_value));
  }
  const std::string algo = algorithm_id(o);
  const std::string& table_path = o.calibration_table;
  std::error_code ec;
  const bool have_table = !table_path.empty() && std::filesystem::exists(table_path, ec);
  if (!have_table && o.calibration_list.empty())  // say so before anything reads the model
    throw std::invalid_argument("precision int8: INT8 layers need activation ranges: give a calibration image "
                                "list or folder (calibration_list), an existing calibration table, or clip_value");
  const std::string hash = model_hash(net);
  if (have_table) {
    const CalibrationTable t = read_calibration_table(table_path);  // corrupt → throws with file:line
    const std::string why = stale_reason(t, algo, hash, tensors);
    if (why.empty()) {
      if (log) log("INT8 ranges: calibration table " + table_path + " (" + algo + ")");
      std::vector<float> amax(tensors);
      for (size_t i = 0; i < tensors; ++i) amax[i] = t.amax.at(tensor_name(int(i)));
      return amax;
    }
    if (log) log("calibration table " + table_path + " is stale: " + why + "; recalibrating");
    if (o.calibration_list.empty())
      throw std::invalid_argument("calibration table " + table_path + " is stale (" + why +
                                  ") and no calibration image list is given to recalibrate");
  }
  if (o.calibration_list.empty())
    throw std::invalid_argument("precision int8: INT8 layers need activation ranges: give a calibration image "
                                "list or folder (calibration_list), an existing calibration table, or clip_value");
  quant::CalibrationSettings s;
  s.algorithm = o.calibration_algorithm;
  s.percentile = o.percentile;
  s.threads = o.threads;
  std::vector<float> amax = quant::calibrate(net, calibration_images(o.calibration_list), s, log);
  if (!table_path.empty()) {
    CalibrationTable t{algo, hash, {}};
    for (size_t i = 0; i < tensors; ++i) t.amax[tensor_name(int(i))] = amax[i];
    write_calibration_table(table_path, t);
    if (log) log("calibration table written: " + table_path);
  }
  return amax;
}

std::vector<float> weight_scales(const Layer& l) {
  const int oc = l.output.c;
  const size_t per = l.weights.size() / size_t(oc);
  std::vector<float> scales(oc);
  for (int o = 0; o < oc; ++o) {
    float m = 0;
    for (size_t k = 0; k < per; ++k) m = std::max(m, std::fabs(l.weights[size_t(o) * per + k]));
    scales[o] = m > 0 ? m / 127.f : 1.f;
  }
  return scales;
}

// Layers that only move their one input's values (a one-layer route, upsample, maxpool, dropout): their tensor
// keeps the producer's range, as a TensorRT int8 engine keeps one scale through them. Quantizing before or
// after such a layer is then the same thing (max and copies commute with a monotone quantizer), whatever the
// calibration measured on the moved copy.
bool passes_values_through(const Layer& l) {
  switch (l.type) {
    case LayerType::Route: return l.inputs.size() == 1;
    case LayerType::Upsample:
    case LayerType::Maxpool:
    case LayerType::Dropout: return true;
    default: return false;
  }
}

}  // namespace

QuantPlan prepare_quantization(Network& net, const BuildOptions& options, const LogCallback& log) {
  if (!net.has_weights) throw std::invalid_argument("network " + net.cfg_path + ": no weights loaded");
  QuantPlan plan;
  const std::vector<Precision> precisions = plan_precisions(net, options);
  plan.layers.resize(net.layers.size());
  for (Layer& l : net.layers) {
    LayerQuantization& q = plan.layers[l.index];
    q.precision = precisions[l.index];
    if (l.type != LayerType::Convolutional) continue;
    // Sparse tensor cores exist for fp16 / int8 only: fp32 layers stay dense, as the reference.
    if (!options.sparsity || !l.as<ConvParams>().sparse || q.precision == Precision::FP32) continue;
    if (!is_2_4_sparse(l)) {
      const double removed = prune_2_4(l);
      if (log) {
        char pct[32];
        std::snprintf(pct, sizeof pct, "%.1f%%", removed * 100);
        log("warning: " + layer_name(l) + " sparse=1 but its weights are not 2:4 sparse; pruned by magnitude, " +
            pct + " of the weight mass (sum |w|) removed");
      }
    }
    q.sparse = true;
  }
  if (!plan.any_int8()) return plan;

  plan.algorithm = options.clip_value > 0 ? "clip" : algorithm_id(options);
  const std::vector<float> ranges = activation_ranges(net, options, log);
  plan.input_amax = ranges.front();
  plan.amax.assign(ranges.begin() + 1, ranges.end());
  for (const Layer& l : net.layers)  // in index order, so chains of pass-through layers resolve to the producer
    if (passes_values_through(l)) {
      const int src = l.inputs.at(0);
      plan.amax[l.index] = src < 0 ? plan.input_amax : plan.amax[src];
    }
  for (const Layer& l : net.layers) {
    LayerQuantization& q = plan.layers[l.index];
    q.output_scale = plan.amax[l.index] / 127.f;
    if (q.precision != Precision::INT8) continue;
    const int src = l.inputs.at(0);
    q.input_scale = (src < 0 ? plan.input_amax : plan.amax[src]) / 127.f;
    q.weight_scales = weight_scales(l);
  }
  return plan;
}

}  // namespace lightnet
