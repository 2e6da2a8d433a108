// Engine plans on disk: the tuned cuDNN choice of every convolution, keyed by everything that could make it
// wrong (cfg + weights, precision, batch, GPU model and compute capability, CUDA / cuDNN versions).
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cuda/cudnn_conv.h"
#include "lightnet/network.h"

namespace lightnet::cuda {

struct PlanKey {
  uint64_t hash = 0;
  std::string description;  // human-readable: what the hash covers, written into the plan's header
};

struct PlanContents {
  bool concat_in_place = true;
  std::vector<int> in_place_producers;  // without concat_in_place: convs that still write into their concat
  std::map<int, ConvChoice> convs;  // by layer index
  std::vector<int> int8_layers;      // INT8 engines: the convs that run int8 (timed faster than FP16)
};

PlanKey make_plan_key(const Network& net, Precision precision, int batch, int device);

// <cache_dir>/<cfg stem>-<precision>-b<batch>[-sparsity-off][-conv-cudnn …].cudaplan: the build settings a user
// switches (sparsity, the LIGHTNET_CUDA_* / LIGHTNET_CUDNN_HEUR overrides) name files of their own.
std::string plan_path(const std::string& cache_dir, const Network& net, Precision precision, int batch,
                      bool sparsity);

// The cached plan, or nothing with `why` saying what was wrong (missing, corrupt, built for something else).
std::optional<PlanContents> load_plan(const std::string& path, const PlanKey& key, std::string& why);

// Writes atomically (temporary file + rename); returns false with `why` on an I/O error.
bool save_plan(const std::string& path, const PlanKey& key, const PlanContents& plan, std::string& why);

}  // namespace lightnet::cuda
