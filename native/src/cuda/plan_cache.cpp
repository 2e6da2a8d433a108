#include "cuda/plan_cache.h"

#include "common/fnv1a.h"

#include <cudnn.h>
#include <cuda_runtime.h>

#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <sstream>

namespace lightnet::cuda {
namespace {

constexpr const char* kMagic = "lightnet-cuda-plan";
constexpr int kFormat = 11;  // 3: own kernels (ConvChoice::own); 4: int8 layers; 5: sparse; 6: resident 3x3;
                             // 7: in-place concat producers, and the own kernels' new epilogues (timings changed);
                             // 8: INT8 plans without int8 layers hold the rewritten network's choices; 9: stem pair;
                             // 10: conv pairs (ConvChoice::pair 3); 11: the sparse convs' cuSPARSELt kernels

using Hasher = Fnv1a;

std::string hex(uint64_t v) {
  std::ostringstream o;
  o << std::hex << std::setw(16) << std::setfill('0') << v;
  return o.str();
}

// The architecture as the engine sees it (the IR, not the cfg text: comments and training keys don't matter).
void hash_network(Hasher& h, const Network& net) {
  h.value(net.input.c); h.value(net.input.h); h.value(net.input.w);
  for (const Layer& l : net.layers) {
    h.value(int(l.type));
    h.value(l.output.c); h.value(l.output.h); h.value(l.output.w);
    for (int i : l.inputs) h.value(i);
    if (l.type == LayerType::Convolutional) {
      const auto& p = l.as<ConvParams>();
      for (int v : {p.filters, p.size, p.stride_x, p.stride_y, p.padding, p.dilation, p.groups, int(p.activation)})
        h.value(v);
    } else if (l.type == LayerType::Route) {
      h.value(l.as<RouteParams>().groups); h.value(l.as<RouteParams>().group_id);
    } else if (l.type == LayerType::Maxpool) {
      const auto& p = l.as<MaxpoolParams>();
      for (int v : {p.size, p.stride_x, p.stride_y, p.padding}) h.value(v);
    }
    h.bytes(l.weights.data(), l.weights.size() * sizeof(float));
    h.bytes(l.bias.data(), l.bias.size() * sizeof(float));
  }
}

}  // namespace

PlanKey make_plan_key(const Network& net, Precision precision, int batch, int device) {
  cudaDeviceProp prop{};
  cudaGetDeviceProperties(&prop, device);
  int runtime = 0, driver = 0;
  cudaRuntimeGetVersion(&runtime);
  cudaDriverGetVersion(&driver);
  std::ostringstream d;
  d << "format=" << kFormat << " precision=" << to_string(precision) << " batch=" << batch << " gpu=\""
    << prop.name << "\" cc=" << prop.major << "." << prop.minor << " sms=" << prop.multiProcessorCount
    << " cuda_runtime=" << runtime << " driver=" << driver << " cudnn=" << cudnnGetVersion();
  if (const char* heur = std::getenv("LIGHTNET_CUDNN_HEUR")) d << " heur=" << heur;  // candidate lists differ
  if (const char* concat = std::getenv("LIGHTNET_CUDA_CONCAT")) d << " concat=" << concat;
  if (const char* conv = std::getenv("LIGHTNET_CUDA_CONV")) d << " conv=" << conv;
  if (const char* int8 = std::getenv("LIGHTNET_CUDA_INT8")) d << " int8=" << int8;
  Hasher h;
  hash_network(h, net);
  h.text(d.str());
  PlanKey key;
  key.hash = h.h;
  key.description = d.str() + " network=" + hex(h.h);
  return key;
}

std::string plan_path(const std::string& cache_dir, const Network& net, Precision precision, int batch,
                      bool sparsity) {
  std::string name = net.cfg_path.empty() ? "network" : std::filesystem::path(net.cfg_path).stem().string();
  name += std::string("-") + to_string(precision) + "-b" + std::to_string(batch);
  // Settings a user switches between get files of their own, so alternating them reuses both plans instead of
  // each rebuilding the other's (the key in the header still guards everything else).
  if (!sparsity) name += "-sparsity-off";
  for (const char* var : {"LIGHTNET_CUDNN_HEUR", "LIGHTNET_CUDA_CONCAT", "LIGHTNET_CUDA_CONV", "LIGHTNET_CUDA_INT8",
                          "LIGHTNET_CUDA_FUSE_SIBLINGS", "LIGHTNET_CUDA_SWAP_UPSAMPLE", "LIGHTNET_CUDA_STEM",
                          "LIGHTNET_CUDA_PAIRS"})
    if (const char* v = std::getenv(var)) {
      std::string word = std::string(var).substr(std::string(var).rfind('_') + 1) + "-" + v;
      for (char& c : word) c = std::isalnum(static_cast<unsigned char>(c)) || c == '-' ? std::tolower(c) : '_';
      name += "-" + word;
    }
  return (std::filesystem::path(cache_dir) / (name + ".cudaplan")).string();
}

std::optional<PlanContents> load_plan(const std::string& path, const PlanKey& key, std::string& why) {
  std::ifstream in(path);
  if (!in) { why = "no cached plan at " + path; return std::nullopt; }
  std::string magic, word;
  int format = 0;
  if (!(in >> magic >> format) || magic != kMagic) { why = path + ": corrupt (not a lightnet CUDA plan)"; return std::nullopt; }
  if (format != kFormat) { why = path + ": plan format " + std::to_string(format) + ", expected " + std::to_string(kFormat); return std::nullopt; }
  std::string hash_text;
  if (!(in >> word >> hash_text) || word != "key") { why = path + ": corrupt (no key line)"; return std::nullopt; }
  std::string desc_line;
  std::getline(in >> std::ws, desc_line);
  if (hash_text != hex(key.hash)) {
    why = path + ": built for something else (plan: " + desc_line + "; now: " + key.description + ")";
    return std::nullopt;
  }
  PlanContents plan;
  int count = -1, alias = 1;
  if (!(in >> word >> alias) || word != "concat_in_place") { why = path + ": corrupt (no concat_in_place line)"; return std::nullopt; }
  plan.concat_in_place = alias != 0;
  if (!(in >> word >> count) || word != "convs" || count < 0) { why = path + ": corrupt (no convs line)"; return std::nullopt; }
  for (int i = 0; i < count; ++i) {
    int layer = 0, fused = 0;
    ConvChoice c;
    SparseAlgorithm& a = c.sparse_algorithm;
    if (!(in >> word >> layer >> c.algo >> c.math >> fused >> c.workspace >> c.graph >> c.own >> c.sparse >> c.pair >>
          a.config >> a.split_k >> a.split_k_mode >> a.split_k_buffers) ||
        word != "conv" || c.pair < 0 || c.pair > 3) {
      why = path + ": corrupt (conv entry " + std::to_string(i) + " of " + std::to_string(count) + ")";
      return std::nullopt;
    }
    c.fused = fused != 0;
    plan.convs[layer] = c;
  }
  if (!(in >> word >> count) || word != "int8_layers" || count < 0) { why = path + ": corrupt (no int8_layers line)"; return std::nullopt; }
  for (int i = 0; i < count; ++i) {
    int layer = -1;
    if (!(in >> layer) || layer < 0) { why = path + ": corrupt (int8 layer " + std::to_string(i) + ")"; return std::nullopt; }
    plan.int8_layers.push_back(layer);
  }
  if (!(in >> word >> count) || word != "in_place_producers" || count < 0) { why = path + ": corrupt (no in_place_producers line)"; return std::nullopt; }
  for (int i = 0; i < count; ++i) {
    int layer = -1;
    if (!(in >> layer) || layer < 0) { why = path + ": corrupt (in-place producer " + std::to_string(i) + ")"; return std::nullopt; }
    plan.in_place_producers.push_back(layer);
  }
  if (!(in >> word) || word != "end") { why = path + ": corrupt (truncated)"; return std::nullopt; }
  return plan;
}

bool save_plan(const std::string& path, const PlanKey& key, const PlanContents& plan, std::string& why) {
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  std::string tmp = path + ".tmp" + std::to_string(::getpid());
  {
    std::ofstream out(tmp);
    out << kMagic << " " << kFormat << "\nkey " << hex(key.hash) << " " << key.description << "\n";
    out << "concat_in_place " << (plan.concat_in_place ? 1 : 0) << "\nconvs " << plan.convs.size() << "\n";
    for (const auto& [layer, c] : plan.convs)
      out << "conv " << layer << " " << c.algo << " " << c.math << " " << (c.fused ? 1 : 0) << " " << c.workspace << " "
          << c.graph << " " << c.own << " " << c.sparse << " " << c.pair << " " << c.sparse_algorithm.config << " "
          << c.sparse_algorithm.split_k << " " << c.sparse_algorithm.split_k_mode << " "
          << c.sparse_algorithm.split_k_buffers << "\n";
    out << "int8_layers " << plan.int8_layers.size();
    for (int layer : plan.int8_layers) out << " " << layer;
    out << "\nin_place_producers " << plan.in_place_producers.size();
    for (int layer : plan.in_place_producers) out << " " << layer;
    out << "\nend\n";
    if (!out) { why = "cannot write " + tmp; std::remove(tmp.c_str()); return false; }
  }
  std::filesystem::rename(tmp, path, ec);
  if (ec) { why = "cannot rename " + tmp + " to " + path + ": " + ec.message(); std::remove(tmp.c_str()); return false; }
  return true;
}

}  // namespace lightnet::cuda
