#include "darknet/weights_file.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "lightnet/model_loader.h"

namespace lightnet::darknet {

static_assert(sizeof(float) == 4, "darknet weights are float32");
// The .weights format is little-endian; every platform lightnet targets (x86-64, aarch64) is too, so floats
// are read and written as raw bytes.

namespace {

std::string str(int64_t v) { return std::to_string(v); }

class FileReader {
 public:
  explicit FileReader(const std::string& path) : path_(path), in_(path, std::ios::binary) {
    if (!in_) throw ModelError(path, 0, "cannot open weights file for reading");
  }
  void read(void* dst, size_t bytes) {
    in_.read(static_cast<char*>(dst), std::streamsize(bytes));
    if (size_t(in_.gcount()) != bytes) throw ModelError(path_, 0, "read error (file changed while reading?)");
  }
  std::vector<float> floats(int64_t n) {
    std::vector<float> v(static_cast<size_t>(n));
    if (n > 0) read(v.data(), size_t(n) * sizeof(float));
    return v;
  }

 private:
  std::string path_;
  std::ifstream in_;
};

// Names the convolution and part where a file of `available` floats (after the header) runs out.
std::string where_data_ends(const Network& net, int64_t available) {
  int64_t offset = 0;
  for (const auto& l : net.layers) {
    if (l.type != LayerType::Convolutional) continue;
    const ConvWeightCounts n = conv_weight_counts(l);
    const std::pair<const char*, int64_t> parts[] = {{"biases", n.biases},
                                                     {"BN scales", n.bn_each},
                                                     {"BN rolling means", n.bn_each},
                                                     {"BN rolling variances", n.bn_each},
                                                     {"weights", n.weights}};
    for (const auto& [name, count] : parts) {
      if (offset + count > available)
        return "data ends in layer " + str(l.index) + " [convolutional] (cfg line " + str(l.cfg_line) + ") " + name;
      offset += count;
    }
  }
  return "";
}

void check_values(const std::string& path, const Layer& l, const DarknetConvWeights& w) {
  auto check_finite = [&](const std::vector<float>& v, const char* part) {
    for (float x : v)
      if (!std::isfinite(x))
        throw ModelError(path, 0, "layer " + str(l.index) + " [convolutional] " + part + ": non-finite value");
  };
  check_finite(w.biases, "biases");
  check_finite(w.scales, "BN scales");
  check_finite(w.rolling_mean, "BN rolling means");
  check_finite(w.rolling_variance, "BN rolling variances");
  check_finite(w.weights, "weights");
  for (float v : w.rolling_variance)
    if (v < 0)
      throw ModelError(path, 0, "layer " + str(l.index) + " [convolutional] BN rolling variance " + std::to_string(v) +
                                    ", expected >= 0");
}

}  // namespace

size_t WeightsHeader::size_bytes() const {
  const bool seen64 = (major * 10 + minor) >= 2 && major < 1000 && minor < 1000;
  return 3 * sizeof(int32_t) + (seen64 ? sizeof(uint64_t) : sizeof(int32_t));
}

std::vector<DarknetConvWeights> read_weights_file(const Network& net, const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) throw ModelError(path, 0, "weights file not found");
  if (std::filesystem::is_directory(path, ec)) throw ModelError(path, 0, "is a directory, expected a .weights file");
  const auto file_size = std::filesystem::file_size(path, ec);
  if (ec) throw ModelError(path, 0, "cannot read the file size: " + ec.message());
  const int64_t found = int64_t(file_size);

  FileReader in(path);
  WeightsHeader h;
  if (found < 12) throw ModelError(path, 0, "too short for a darknet weights header: " + str(found) + " bytes");
  in.read(&h.major, 4);
  in.read(&h.minor, 4);
  in.read(&h.revision, 4);
  // darknet has only written versions 0.1/0.2 (major 1000+ marks transposed fully-connected weights). Anything
  // else means this is not a .weights file at all.
  const bool plausible = h.major >= 0 && h.minor >= 0 && h.revision >= 0 && h.major < 2000 && h.minor < 2000;
  if (!plausible)
    throw ModelError(path, 0, "not a darknet weights header (major " + str(h.major) + ", minor " + str(h.minor) +
                                  ", revision " + str(h.revision) + ")");
  const int64_t header = int64_t(h.size_bytes());
  const int64_t floats = net.weights_float_count();
  const int64_t expected = header + floats * int64_t(sizeof(float));
  if (found != expected) {
    std::string msg = "size does not match " + net.cfg_path + ": expected " + str(expected) + " bytes (" + str(header) +
                      "-byte header + " + str(floats) + " floats), found " + str(found);
    if (found < expected) {
      const int64_t available = std::max<int64_t>(0, (found - header) / int64_t(sizeof(float)));
      const std::string where = where_data_ends(net, available);
      msg += " (" + str(expected - found) + " bytes short" + (where.empty() ? "" : "; " + where) + ")";
    } else {
      msg += " (" + str(found - expected) + " extra bytes)";
    }
    throw ModelError(path, 0, msg);
  }
  if (header == 20) {
    in.read(&h.seen, 8);
  } else {
    int32_t seen32 = 0;
    in.read(&seen32, 4);
  }

  std::vector<DarknetConvWeights> convs;
  for (const auto& l : net.layers) {
    if (l.type != LayerType::Convolutional) continue;
    const ConvWeightCounts n = conv_weight_counts(l);
    DarknetConvWeights w;
    w.biases = in.floats(n.biases);
    w.scales = in.floats(n.bn_each);
    w.rolling_mean = in.floats(n.bn_each);
    w.rolling_variance = in.floats(n.bn_each);
    w.weights = in.floats(n.weights);
    check_values(path, l, w);
    convs.push_back(std::move(w));
  }
  return convs;
}

void write_weights_file(const std::string& path, const WeightsHeader& header,
                        const std::vector<DarknetConvWeights>& convs) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw ModelError(path, 0, "cannot open for writing");
  out.write(reinterpret_cast<const char*>(&header.major), 4);
  out.write(reinterpret_cast<const char*>(&header.minor), 4);
  out.write(reinterpret_cast<const char*>(&header.revision), 4);
  if (header.size_bytes() == 20) {
    out.write(reinterpret_cast<const char*>(&header.seen), 8);
  } else {
    const int32_t seen32 = int32_t(header.seen);
    out.write(reinterpret_cast<const char*>(&seen32), 4);
  }
  auto put = [&](const std::vector<float>& v) {
    out.write(reinterpret_cast<const char*>(v.data()), std::streamsize(v.size() * sizeof(float)));
  };
  for (const auto& w : convs) {
    put(w.biases);
    put(w.scales);
    put(w.rolling_mean);
    put(w.rolling_variance);
    put(w.weights);
  }
  out.close();
  if (!out) throw ModelError(path, 0, "write failed (disk full?)");
}

}  // namespace lightnet::darknet

namespace lightnet {

void load_weights(Network& net, const std::string& weights_path) {
  darknet::attach_conv_weights(net, darknet::read_weights_file(net, weights_path));
}

}  // namespace lightnet
