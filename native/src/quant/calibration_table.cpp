// Calibration table files and the model hash that ties a table to one cfg + weights.
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

#include "common/fnv1a.h"
#include "lightnet/quantization.h"

namespace lightnet {

namespace {

constexpr const char* kMagic = "lightnet_trt-int8-calibration";
constexpr int kVersion = 1;

[[noreturn]] void fail(const std::string& path, int line, const std::string& what) {
  throw std::runtime_error(path + ":" + std::to_string(line) + ": " + what);
}

// "key=value" → value, or fails naming the line.
std::string field(const std::string& path, const std::string& token, const std::string& key) {
  if (token.compare(0, key.size() + 1, key + "=") != 0 || token.size() == key.size() + 1)
    fail(path, 1, "expected '" + key + "=…', found '" + token + "'");
  return token.substr(key.size() + 1);
}

}  // namespace

std::string model_hash(const Network& net) {
  Fnv1a f;
  std::ifstream cfg(net.cfg_path, std::ios::binary);
  if (!cfg) throw std::runtime_error(net.cfg_path + ": cannot read the cfg to hash the model");
  char buf[1 << 16];
  while (cfg.read(buf, sizeof buf) || cfg.gcount() > 0) f.bytes(buf, size_t(cfg.gcount()));
  for (const Layer& l : net.layers) {
    f.bytes(l.weights.data(), l.weights.size() * sizeof(float));
    f.bytes(l.bias.data(), l.bias.size() * sizeof(float));
  }
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016" PRIx64, f.h);
  return hex;
}

CalibrationTable read_calibration_table(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path + ": cannot open the calibration table");
  CalibrationTable t;
  std::string line;
  if (!std::getline(in, line)) fail(path, 1, "empty file, expected the header '" + std::string(kMagic) + " 1 …'");
  {
    std::istringstream h(line);
    std::string magic, algo, model;
    int version = 0;
    if (!(h >> magic) || magic != kMagic) fail(path, 1, "expected the header '" + std::string(kMagic) + " 1 …', found '" + line + "'");
    if (!(h >> version) || version != kVersion)
      fail(path, 1, "expected format version " + std::to_string(kVersion) + ", found '" + line + "'");
    if (!(h >> algo >> model)) fail(path, 1, "expected 'algorithm=… model=…' after the version, found '" + line + "'");
    t.algorithm = field(path, algo, "algorithm");
    t.model_hash = field(path, model, "model");
  }
  for (int n = 2; std::getline(in, line); ++n) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    std::istringstream s(line);
    std::string name, rest;
    float amax = 0;
    if (!(s >> name >> amax) || (s >> rest) || !std::isfinite(amax) || amax <= 0)
      fail(path, n, "expected '<tensor> <range > 0>', found '" + line + "'");
    if (!t.amax.emplace(name, amax).second) fail(path, n, "tensor '" + name + "' listed twice");
  }
  return t;
}

void write_calibration_table(const std::string& path, const CalibrationTable& table) {
  std::ofstream out(path, std::ios::trunc);
  if (!out) throw std::runtime_error(path + ": cannot write the calibration table");
  out << kMagic << ' ' << kVersion << " algorithm=" << table.algorithm << " model=" << table.model_hash << '\n';
  char buf[64];
  for (const auto& [name, amax] : table.amax) {
    std::snprintf(buf, sizeof buf, "%.9g", double(amax));  // round-trips a float exactly
    out << name << ' ' << buf << '\n';
  }
  if (!out.flush()) throw std::runtime_error(path + ": write failed");
}

}  // namespace lightnet
