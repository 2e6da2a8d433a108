#include "cuda/sparse_conv.h"

#include <cuda_fp16.h>

#include <algorithm>
#include <stdexcept>
#include <vector>

#include "cuda/cuda_check.h"
#include "lightnet/quantization.h"

#ifdef LIGHTNET_WITH_CUSPARSELT
#include <cusparseLt.h>
#endif

namespace lightnet::cuda {
namespace {

std::string layer_name(const Layer& l) { return "layer " + std::to_string(l.index) + " (convolutional 1x1, sparse)"; }

std::string key_of(const View& in, const View& out) {
  return std::to_string(in.n) + "x" + std::to_string(in.h) + "x" + std::to_string(in.w) + "/" +
         std::to_string(in.pixel_stride) + "/" + std::to_string(out.pixel_stride) + "/" +
         std::to_string(in.batch_stride) + "/" + std::to_string(out.batch_stride);
}

}  // namespace

bool SparseConv::supports(const Layer& l, int in_channels, DType dt) {
  if (dt != DType::F16 || l.type != LayerType::Convolutional) return false;
  const auto& p = l.as<ConvParams>();
  return p.size == 1 && p.stride_x == 1 && p.stride_y == 1 && p.groups == 1 && p.padding == 0 &&
         (p.activation == Activation::Relu || p.activation == Activation::Linear) && in_channels % 16 == 0 &&
         in_channels == l.input_shapes.at(0).c && p.filters % 16 == 0 && is_2_4_sparse(l);
}

#ifdef LIGHTNET_WITH_CUSPARSELT

#define LN_LT(call)                                                                                        \
  do {                                                                                                     \
    cusparseStatus_t ln_lt_ = (call);                                                                      \
    if (ln_lt_ != CUSPARSE_STATUS_SUCCESS)                                                                 \
      throw std::runtime_error(std::string(#call) + " failed: cuSPARSELt status " + std::to_string(int(ln_lt_))); \
  } while (0)

class SparseContext {
 public:
  SparseContext() { LN_LT(cusparseLtInit(&handle)); }
  ~SparseContext() { cusparseLtDestroy(&handle); }
  cusparseLtHandle_t handle;
  // The search's pick per product (gemm_key): a layer of the same shape takes it without searching again, as
  // TensorRT's timing cache does. The pick does not depend on the weights.
  std::map<std::string, SparseAlgorithm> searched;
};

namespace {

std::string gemm_key(int64_t cout, int64_t cin, int64_t pixels, const View& in, const View& out, bool relu) {
  return std::to_string(cout) + "x" + std::to_string(cin) + "x" + std::to_string(pixels) + "/" +
         std::to_string(in.pixel_stride) + "/" + std::to_string(out.pixel_stride) + (relu ? "/relu" : "");
}

// The kernel the selection holds (after a search: its pick); config -1 where cuSPARSELt cannot say.
SparseAlgorithm read_algorithm(const cusparseLtHandle_t* h, const cusparseLtMatmulAlgSelection_t& selection) {
  SparseAlgorithm a;
  int config = -1, split_k = 1, buffers = 1;
  cusparseLtSplitKMode_t mode{};
  if (cusparseLtMatmulAlgGetAttribute(h, &selection, CUSPARSELT_MATMUL_ALG_CONFIG_ID, &config, sizeof config) ||
      cusparseLtMatmulAlgGetAttribute(h, &selection, CUSPARSELT_MATMUL_SPLIT_K, &split_k, sizeof split_k) ||
      cusparseLtMatmulAlgGetAttribute(h, &selection, CUSPARSELT_MATMUL_SPLIT_K_MODE, &mode, sizeof mode) ||
      cusparseLtMatmulAlgGetAttribute(h, &selection, CUSPARSELT_MATMUL_SPLIT_K_BUFFERS, &buffers, sizeof buffers))
    return a;
  a.config = config;
  a.split_k = split_k;
  a.split_k_mode = int(mode);
  a.split_k_buffers = buffers;
  return a;
}

// Sets a known kernel on a fresh selection; false where cuSPARSELt refuses it (another library version).
bool set_algorithm(const cusparseLtHandle_t* h, cusparseLtMatmulAlgSelection_t& selection, const SparseAlgorithm& a) {
  if (cusparseLtMatmulAlgSetAttribute(h, &selection, CUSPARSELT_MATMUL_ALG_CONFIG_ID, &a.config, sizeof a.config) ||
      cusparseLtMatmulAlgSetAttribute(h, &selection, CUSPARSELT_MATMUL_SPLIT_K, &a.split_k, sizeof a.split_k))
    return false;
  if (a.split_k <= 1) return true;
  const auto mode = cusparseLtSplitKMode_t(a.split_k_mode);
  return !cusparseLtMatmulAlgSetAttribute(h, &selection, CUSPARSELT_MATMUL_SPLIT_K_MODE, &mode, sizeof mode) &&
         !cusparseLtMatmulAlgSetAttribute(h, &selection, CUSPARSELT_MATMUL_SPLIT_K_BUFFERS, &a.split_k_buffers,
                                          sizeof a.split_k_buffers);
}

}  // namespace

std::shared_ptr<SparseContext> make_sparse_context(std::string& why) {
  try {
    return std::make_shared<SparseContext>();
  } catch (const std::exception& e) {
    why = e.what();
    return nullptr;
  }
}

struct SparseConv::Plan {
  const cusparseLtHandle_t* handle = nullptr;
  cusparseLtMatDescriptor_t a{}, b{}, c{};
  cusparseLtMatmulDescriptor_t matmul{};
  cusparseLtMatmulAlgSelection_t algorithm{};
  cusparseLtMatmulPlan_t plan{};
  int described = 0;  // how many of a, b, c exist
  bool planned = false;
  DeviceBuffer compressed, compress_scratch;
  size_t workspace = 0;
  SparseAlgorithm chosen;
  ~Plan() {
    if (planned) cusparseLtMatmulPlanDestroy(&plan);
    if (described > 2) cusparseLtMatDescriptorDestroy(&c);
    if (described > 1) cusparseLtMatDescriptorDestroy(&b);
    if (described > 0) cusparseLtMatDescriptorDestroy(&a);
  }
};

SparseConv::SparseConv(std::shared_ptr<SparseContext> context, const Layer& layer)
    : context_(std::move(context)), layer_(&layer) {
  if (!context_) throw std::invalid_argument(layer_name(layer) + ": no cuSPARSELt context");
  // W row-major [cout][cin] (the 1×1 filter as darknet stores it), bias as the output type.
  std::vector<__half> w(layer.weights.size()), b(layer.bias.size());
  for (size_t i = 0; i < w.size(); ++i) w[i] = __float2half_rn(layer.weights[i]);
  for (size_t i = 0; i < b.size(); ++i) b[i] = __float2half_rn(layer.bias[i]);
  weights_ = DeviceBuffer(w.size() * sizeof(__half));
  bias_ = DeviceBuffer(b.size() * sizeof(__half));
  LN_CUDA(cudaMemcpy(weights_.get(), w.data(), w.size() * sizeof(__half), cudaMemcpyHostToDevice));
  LN_CUDA(cudaMemcpy(bias_.get(), b.data(), b.size() * sizeof(__half), cudaMemcpyHostToDevice));
}

SparseConv::~SparseConv() = default;

void SparseConv::prepare(const View& in, const View& out, void* ws, size_t ws_bytes, cudaStream_t s,
                         const SparseAlgorithm& known) {
  const std::string key = key_of(in, out);
  if (plans_.count(key)) return;
  // Images must follow each other without gaps: all pixels of the batch are one matrix.
  if (in.batch_stride != int64_t(in.h) * in.w * in.pixel_stride ||
      out.batch_stride != int64_t(out.h) * out.w * out.pixel_stride)
    throw std::runtime_error(layer_name(*layer_) + ": views with gaps between images");
  const auto& p = layer_->as<ConvParams>();
  const int64_t cout = p.filters, cin = in.c, pixels = int64_t(in.n) * in.h * in.w;
  const std::string product = gemm_key(cout, cin, pixels, in, out, p.activation == Activation::Relu);
  SparseAlgorithm chosen = known;
  if (chosen.config < 0) {
    const auto it = context_->searched.find(product);
    if (it != context_->searched.end()) chosen = it->second;
  }
  auto plan = std::make_unique<Plan>();
  plan->handle = &context_->handle;
  const cusparseLtHandle_t* h = plan->handle;
  try {
    LN_LT(cusparseLtStructuredDescriptorInit(h, &plan->a, cout, cin, cin, 16, CUDA_R_16F, CUSPARSE_ORDER_ROW,
                                             CUSPARSELT_SPARSITY_50_PERCENT));
    plan->described = 1;
    LN_LT(cusparseLtDenseDescriptorInit(h, &plan->b, cin, pixels, in.pixel_stride, 16, CUDA_R_16F, CUSPARSE_ORDER_COL));
    plan->described = 2;
    LN_LT(cusparseLtDenseDescriptorInit(h, &plan->c, cout, pixels, out.pixel_stride, 16, CUDA_R_16F,
                                        CUSPARSE_ORDER_COL));
    plan->described = 3;
    LN_LT(cusparseLtMatmulDescriptorInit(h, &plan->matmul, CUSPARSE_OPERATION_NON_TRANSPOSE,
                                         CUSPARSE_OPERATION_NON_TRANSPOSE, &plan->a, &plan->b, &plan->c, &plan->c,
                                         CUSPARSE_COMPUTE_32F));
    if (p.activation == Activation::Relu) {
      int relu = 1;
      LN_LT(cusparseLtMatmulDescSetAttribute(h, &plan->matmul, CUSPARSELT_MATMUL_ACTIVATION_RELU, &relu, sizeof(relu)));
    }
    void* bias = bias_.get();
    LN_LT(cusparseLtMatmulDescSetAttribute(h, &plan->matmul, CUSPARSELT_MATMUL_BIAS_POINTER, &bias, sizeof(bias)));
    LN_LT(cusparseLtMatmulAlgSelectionInit(h, &plan->algorithm, &plan->matmul, CUSPARSELT_MATMUL_ALG_DEFAULT));
    const bool search = chosen.config < 0 || !set_algorithm(h, plan->algorithm, chosen);
    LN_LT(cusparseLtMatmulPlanInit(h, &plan->plan, &plan->matmul, &plan->algorithm));
    plan->planned = true;
    size_t compressed = 0, scratch = 0;
    LN_LT(cusparseLtSpMMACompressedSize(h, &plan->plan, &compressed, &scratch));
    plan->compressed = DeviceBuffer(std::max<size_t>(compressed, 16));
    plan->compress_scratch = DeviceBuffer(std::max<size_t>(scratch, 16));
    LN_LT(cusparseLtSpMMACompress(h, &plan->plan, weights_.get(), plan->compressed.get(), plan->compress_scratch.get(), s));
    LN_LT(cusparseLtMatmulGetWorkspace(h, &plan->plan, &plan->workspace));
    if (plan->workspace > ws_bytes)
      throw std::runtime_error("needs " + std::to_string(plan->workspace) + " bytes of workspace, " +
                               std::to_string(ws_bytes) + " available");
    if (search) {  // the library's own timing picks the kernel for this product (it runs it into `out`)
      const float alpha = 1.f, beta = 0.f;
      cudaStream_t streams[1] = {s};
      LN_LT(cusparseLtMatmulSearch(h, &plan->plan, &alpha, plan->compressed.get(), in.data, &beta, out.data, out.data,
                                   ws, streams, 1));
      LN_LT(cusparseLtMatmulGetWorkspace(h, &plan->plan, &plan->workspace));
      if (plan->workspace > ws_bytes) throw std::runtime_error("the searched kernel needs more workspace");
      chosen = read_algorithm(h, plan->algorithm);
      if (chosen.config >= 0) context_->searched[product] = chosen;
    }
    plan->chosen = chosen;
    LN_CUDA(cudaStreamSynchronize(s));
  } catch (const std::exception& e) {
    throw std::runtime_error(layer_name(*layer_) + ": cuSPARSELt: " + e.what());
  }
  plans_[key] = std::move(plan);
}

const SparseConv::Plan& SparseConv::plan_for(const View& in, const View& out) const {
  auto it = plans_.find(key_of(in, out));
  if (it == plans_.end()) throw std::logic_error(layer_name(*layer_) + ": run before prepare for these views");
  return *it->second;
}

void SparseConv::run(const View& in, const View& out, void* ws, cudaStream_t s) const {
  const Plan& plan = plan_for(in, out);
  const float alpha = 1.f, beta = 0.f;
  cudaStream_t streams[1] = {s};
  LN_LT(cusparseLtMatmul(plan.handle, &plan.plan, &alpha, plan.compressed.get(), in.data, &beta, out.data, out.data,
                         ws, streams, 1));
}

#else  // built without cuSPARSELt: the engine never creates one

class SparseContext {};
struct SparseConv::Plan {
  size_t workspace = 0;
  SparseAlgorithm chosen;
};

std::shared_ptr<SparseContext> make_sparse_context(std::string& why) {
  why = "built without cuSPARSELt (set CUSPARSELT_ROOT at configure time)";
  return nullptr;
}
SparseConv::SparseConv(std::shared_ptr<SparseContext>, const Layer& layer) : layer_(&layer) {
  throw std::logic_error(layer_name(layer) + ": built without cuSPARSELt");
}
SparseConv::~SparseConv() = default;
void SparseConv::prepare(const View&, const View&, void*, size_t, cudaStream_t, const SparseAlgorithm&) {}
const SparseConv::Plan& SparseConv::plan_for(const View&, const View&) const {
  throw std::logic_error(layer_name(*layer_) + ": built without cuSPARSELt");
}
void SparseConv::run(const View& in, const View& out, void*, cudaStream_t) const { plan_for(in, out); }

#endif

size_t SparseConv::workspace(const View& in, const View& out) const { return plan_for(in, out).workspace; }
SparseAlgorithm SparseConv::algorithm(const View& in, const View& out) const { return plan_for(in, out).chosen; }

}  // namespace lightnet::cuda
