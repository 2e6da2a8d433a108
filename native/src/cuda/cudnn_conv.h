// One convolutional layer on cuDNN: NHWC filter and bias in the engine's precision, the algorithm choice,
// and the fused conv + bias + ReLU call (other activations run as a separate epilogue kernel).
#pragma once
#include <cudnn.h>

#include <string>
#include <vector>

#include "cuda/device_memory.h"
#include "cuda/kernels.h"
#include "cuda/sparse_conv.h"
#include "lightnet/network.h"

namespace lightnet::cuda {

// RAII for cuDNN descriptors.
template <class D, cudnnStatus_t (*Create)(D*), cudnnStatus_t (*Destroy)(D)>
class Descriptor {
 public:
  Descriptor() { LN_CUDNN(Create(&d_)); }
  ~Descriptor() { if (d_) Destroy(d_); }
  Descriptor(const Descriptor&) = delete;
  Descriptor& operator=(const Descriptor&) = delete;
  Descriptor(Descriptor&& o) noexcept : d_(o.d_) { o.d_ = nullptr; }
  operator D() const { return d_; }
 private:
  D d_ = nullptr;
};
using TensorDesc = Descriptor<cudnnTensorDescriptor_t, cudnnCreateTensorDescriptor, cudnnDestroyTensorDescriptor>;
using FilterDesc = Descriptor<cudnnFilterDescriptor_t, cudnnCreateFilterDescriptor, cudnnDestroyFilterDescriptor>;
using ConvDesc = Descriptor<cudnnConvolutionDescriptor_t, cudnnCreateConvolutionDescriptor,
                            cudnnDestroyConvolutionDescriptor>;
using ActivationDesc = Descriptor<cudnnActivationDescriptor_t, cudnnCreateActivationDescriptor,
                                  cudnnDestroyActivationDescriptor>;

// Describes a View (NHWC, possibly a channel slice) to cuDNN through explicit strides.
void describe(cudnnTensorDescriptor_t desc, const View& v, DType dt);

// What tuning decides for one convolution; stored in the engine plan cache.
struct ConvChoice {
  int algo = 0;            // cudnnConvolutionFwdAlgo_t
  int math = 0;            // cudnnMathType_t
  bool fused = false;      // conv + bias + activation in one cuDNN call
  size_t workspace = 0;    // bytes, at the engine's maximum batch
  int graph = -1;          // ≥ 0: the cuDNN graph (GraphConv) candidate taken instead of the legacy call
  int own = -1;            // ≥ 0: the own implicit-GEMM kernel (IgemmConv) of this tile variant instead of cuDNN
  int sparse = 0;          // 1: cuSPARSELt on sparse tensor cores (SparseConv), 2:4 weights
  SparseAlgorithm sparse_algorithm;  // with sparse: the kernel cuSPARSELt's search picked
  int pair = 0;            // two convs on one kernel: 1 on the first, which then launches nothing; on the second,
                           // which launches it, 2 for the stem kernel (StemConv), 3 for a conv pair kernel
                           // (ConvPair) of variant `own`
};

class CudnnConv {
 public:
  // `in_channels` is the channel count the layer reads (≥ the IR's when the network input is padded).
  CudnnConv(const Layer& layer, int in_channels, DType dt);

  const Layer& layer() const { return *layer_; }
  // Benchmarks the algorithms (cudnnFind…Ex) on real buffers and keeps the fastest that works, fused if possible.
  ConvChoice tune(cudnnHandle_t h, const View& in, const View& out, void* workspace, size_t workspace_limit);
  // Runs a (cached) choice once on these views; false when cuDNN refuses it, and the choice is then not kept.
  bool works(cudnnHandle_t h, const View& in, const View& out, const ConvChoice& c, void* ws, size_t ws_bytes);
  void set_choice(const ConvChoice& c);
  const ConvChoice& choice() const { return choice_; }
  size_t workspace_for(cudnnHandle_t h, const View& in, const View& out);

  // Runs on the handle's stream with descriptors made for these views (see describe()).
  void run(cudnnHandle_t h, cudnnTensorDescriptor_t x_desc, const void* x, cudnnTensorDescriptor_t y_desc, void* y,
           const View& out, void* workspace, size_t workspace_bytes, cudaStream_t s) const;

 private:
  const Layer* layer_;
  DType dt_;
  Activation act_;
  FilterDesc w_desc_;
  ConvDesc conv_desc_;
  TensorDesc bias_desc_;
  ActivationDesc act_desc_;
  DeviceBuffer weights_, bias_;
  ConvChoice choice_;
};

}  // namespace lightnet::cuda
