// 1×1 convolutions with 2:4-sparse weights (`sparse=1` layers, pruned at build where needed) on the sparse
// tensor cores of Ampere and newer GPUs, through cuSPARSELt:
//   D[cout × pixels] = W[cout × cin] · X[cin × pixels]
// with W the structured (compressed) operand, and X and D the engine's NHWC views read column-major: a pixel's
// channels form one column and the pixel stride is the leading dimension, so channel slices cost nothing.
// Bias and ReLU are fused. The engine times it against the dense kernels per layer and keeps the faster.
// Built only where cuSPARSELt is found (CUSPARSELT_ROOT); elsewhere make_sparse_context() returns null.
#pragma once
#include <cuda_runtime.h>

#include <map>
#include <memory>
#include <string>

#include "cuda/device_memory.h"
#include "cuda/kernels.h"
#include "lightnet/network.h"

namespace lightnet::cuda {

class SparseContext;  // the cuSPARSELt handle, and the kernels its search picked per shape; one per engine

// cuSPARSELt's kernel for one product, as its search picked it. Kept in the engine plan, so that a cached plan
// (or a rebuild from one) skips the search; config < 0: not known, search when prepared.
struct SparseAlgorithm {
  int config = -1, split_k = 1, split_k_mode = 0, split_k_buffers = 1;
  bool operator==(const SparseAlgorithm& o) const {
    return config == o.config && split_k == o.split_k && split_k_mode == o.split_k_mode &&
           split_k_buffers == o.split_k_buffers;
  }
};

// Null when this build has no cuSPARSELt or the library cannot start on this GPU (the reason goes to `why`).
std::shared_ptr<SparseContext> make_sparse_context(std::string& why);

class SparseConv {
 public:
  // 1×1, stride 1, one group, FP16, linear or ReLU, channel counts multiples of 16, weights 2:4 along the input
  // channels (lightnet::is_2_4_sparse).
  static bool supports(const Layer& layer, int in_channels, DType dt);

  SparseConv(std::shared_ptr<SparseContext> context, const Layer& layer);
  ~SparseConv();
  SparseConv(const SparseConv&) = delete;
  SparseConv& operator=(const SparseConv&) = delete;

  // Plans for these views (weight compression, the kernel); once per shape, before run() or a capture. The
  // kernel is `known` where given, else the one the context's search picked for the same product (an earlier
  // layer of this shape), else cuSPARSELt's search picks it, timing each candidate (a few tenths of a second).
  // Throws std::runtime_error naming the layer when cuSPARSELt refuses the shape.
  void prepare(const View& in, const View& out, void* workspace, size_t workspace_bytes, cudaStream_t s,
               const SparseAlgorithm& known = {});
  size_t workspace(const View& in, const View& out) const;  // bytes the prepared plan for these views needs
  SparseAlgorithm algorithm(const View& in, const View& out) const;  // the prepared plan's kernel
  void run(const View& in, const View& out, void* workspace, cudaStream_t s) const;

 private:
  struct Plan;
  const Plan& plan_for(const View& in, const View& out) const;
  std::shared_ptr<SparseContext> context_;
  const Layer* layer_;
  DeviceBuffer weights_, bias_;
  std::map<std::string, std::unique_ptr<Plan>> plans_;  // by the views' shapes and strides
};

}  // namespace lightnet::cuda
