#include "cuda/cudnn_conv.h"

#include "cuda/cudnn_graph_conv.h"

#include <algorithm>
#include <stdexcept>

namespace lightnet::cuda {
namespace {

cudnnDataType_t cudnn_type(DType dt) { return dt == DType::F32 ? CUDNN_DATA_FLOAT : CUDNN_DATA_HALF; }

}  // namespace

void describe(cudnnTensorDescriptor_t desc, const View& v, DType dt) {
  LN_CUDNN(cudnnSetTensor4dDescriptorEx(desc, cudnn_type(dt), v.n, v.c, v.h, v.w, int(v.batch_stride), 1,
                                        v.w * v.pixel_stride, v.pixel_stride));
}

CudnnConv::CudnnConv(const Layer& layer, int in_channels, DType dt) : layer_(&layer), dt_(dt) {
  const auto& p = layer.as<ConvParams>();
  act_ = p.activation;
  const int k = p.filters, g = p.groups, r = p.size, c_pad = in_channels / g;
  weights_ = upload_filter(layer, in_channels, dt);
  bias_ = upload_values(layer.bias, dt);
  LN_CUDNN(cudnnSetFilter4dDescriptor(w_desc_, cudnn_type(dt), CUDNN_TENSOR_NHWC, k, c_pad, r, r));
  LN_CUDNN(cudnnSetConvolution2dDescriptor(conv_desc_, p.padding, p.padding, p.stride_y, p.stride_x, p.dilation,
                                           p.dilation, CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT));
  LN_CUDNN(cudnnSetConvolutionGroupCount(conv_desc_, g));
  LN_CUDNN(cudnnSetTensor4dDescriptor(bias_desc_, CUDNN_TENSOR_NHWC, cudnn_type(dt), 1, k, 1, 1));
  LN_CUDNN(cudnnSetActivationDescriptor(act_desc_, CUDNN_ACTIVATION_RELU, CUDNN_NOT_PROPAGATE_NAN, 0.0));
}

void CudnnConv::set_choice(const ConvChoice& c) {
  choice_ = c;
  LN_CUDNN(cudnnSetConvolutionMathType(conv_desc_, cudnnMathType_t(c.math)));
}

size_t CudnnConv::workspace_for(cudnnHandle_t h, const View& in, const View& out) {
  TensorDesc x, y;
  describe(x, in, dt_);
  describe(y, out, dt_);
  size_t bytes = 0;
  LN_CUDNN(cudnnGetConvolutionForwardWorkspaceSize(h, x, w_desc_, conv_desc_, y,
                                                   cudnnConvolutionFwdAlgo_t(choice_.algo), &bytes));
  return bytes;
}

bool CudnnConv::works(cudnnHandle_t h, const View& in, const View& out, const ConvChoice& c, void* ws,
                        size_t ws_bytes) {
  if (c.workspace > ws_bytes || c.algo < 0 || c.algo >= CUDNN_CONVOLUTION_FWD_ALGO_COUNT) return false;
  TensorDesc x, y;
  describe(x, in, dt_);
  describe(y, out, dt_);
  ConvChoice saved = choice_;
  set_choice(c);
  cudaStream_t s = nullptr;
  LN_CUDNN(cudnnGetStream(h, &s));
  bool ok = true;
  try {
    run(h, x, in.data, y, out.data, out, ws, ws_bytes, s);
    LN_CUDA(cudaStreamSynchronize(s));
  } catch (const std::runtime_error&) {
    ok = false;
  }
  if (!ok) set_choice(saved);
  return ok;
}

ConvChoice CudnnConv::tune(cudnnHandle_t h, const View& in, const View& out, void* workspace, size_t limit) {
  TensorDesc x, y;
  describe(x, in, dt_);
  describe(y, out, dt_);
  // FP32 stays true FP32 (no TF32) so outputs match the CPU reference; FP16 may use tensor cores.
  LN_CUDNN(cudnnSetConvolutionMathType(conv_desc_, dt_ == DType::F32 ? CUDNN_FMA_MATH : CUDNN_TENSOR_OP_MATH));
  cudnnConvolutionFwdAlgoPerf_t perf[CUDNN_CONVOLUTION_FWD_ALGO_COUNT];
  int found = 0;
  LN_CUDNN(cudnnFindConvolutionForwardAlgorithmEx(h, x, in.data, w_desc_, weights_.get(), conv_desc_, y, out.data,
                                                  CUDNN_CONVOLUTION_FWD_ALGO_COUNT, &found, perf, workspace, limit));
  // Fused conv + bias + ReLU first (one pass over the output), in the order cuDNN timed the algorithms.
  for (int fused = (act_ == Activation::Relu ? 1 : 0); fused >= 0; --fused) {
    for (int i = 0; i < found; ++i) {
      if (perf[i].status != CUDNN_STATUS_SUCCESS || perf[i].memory > limit) continue;
      if (dt_ == DType::F32 && perf[i].mathType == CUDNN_TENSOR_OP_MATH) continue;
      if (perf[i].determinism != CUDNN_DETERMINISTIC) continue;  // same input, same output, every run
      ConvChoice c{int(perf[i].algo), int(perf[i].mathType), fused == 1, perf[i].memory};
      if (works(h, in, out, c, workspace, limit)) return c;
    }
  }
  throw std::runtime_error("layer " + std::to_string(layer_->index) + " (convolutional " +
                           std::to_string(layer_->as<ConvParams>().size) + "x" +
                           std::to_string(layer_->as<ConvParams>().size) + "): cuDNN has no algorithm for it (" +
                           std::to_string(found) + " tried)");
}

void CudnnConv::run(cudnnHandle_t h, cudnnTensorDescriptor_t x_desc, const void* x, cudnnTensorDescriptor_t y_desc,
                    void* y, const View& out, void* ws, size_t ws_bytes, cudaStream_t s) const {
  const float one = 1.f, zero = 0.f;
  auto algo = cudnnConvolutionFwdAlgo_t(choice_.algo);
  if (choice_.fused) {
    LN_CUDNN(cudnnConvolutionBiasActivationForward(h, &one, x_desc, x, w_desc_, weights_.get(), conv_desc_, algo, ws,
                                                   ws_bytes, &zero, y_desc, y, bias_desc_, bias_.get(), act_desc_,
                                                   y_desc, y));
    return;
  }
  LN_CUDNN(cudnnConvolutionForward(h, &one, x_desc, x, w_desc_, weights_.get(), conv_desc_, algo, ws, ws_bytes, &zero,
                                   y_desc, y));
  launch_bias_act(out, bias_.get(), act_, dt_, s);
}

}  // namespace lightnet::cuda
