// Which activations of a CUDA INT8 engine live in int8, and at what scale.
//
// A storage (see memory_plan.h) holds int8 when everything that writes it can requantize on the way out and
// everything that reads it reads int8: the own implicit-GEMM convolutions write int8 from their epilogue and
// read it when they run an INT8 main loop (planned INT8, one group, input channels a multiple of 16); the
// upsample converts between any two storages. The network input, concat copies, maxpool, shortcut and the
// heads stay FP16, and so do the storages they touch. A conv planned INT8 whose input storage stays FP16
// runs an FP16 main loop (with a log line saying why), as TensorRT picks a precision per layer.
// A storage's scale is symmetric, amax / 127, with amax the largest range of the tensors it holds (a concat's
// range is its inputs' largest), so every producer of a concat requantizes to the one scale its readers use.
#pragma once
#include <string>
#include <vector>

#include "cuda/memory_plan.h"
#include "lightnet/network.h"
#include "lightnet/quantization.h"

namespace lightnet::cuda {

struct StorageQuant {
  bool int8 = false;
  float scale = 0;  // int8 only: real value = q · scale
};

struct Int8Storages {
  std::vector<StorageQuant> storages;  // by storage index
  std::vector<std::string> notes;      // int8-capable convs that run FP16 because a neighbour keeps their input FP16
};

// By layer index: `int8_capable[i]`: conv i is planned INT8 and the own kernels can run its INT8 main loop;
// `own_kernels[i]`: conv i runs on the own kernels (so its epilogue can write int8).
Int8Storages plan_int8_storages(const Network& net, const MemoryPlan& plan, const QuantPlan& quant,
                                const std::vector<bool>& int8_capable, const std::vector<bool>& own_kernels);

}  // namespace lightnet::cuda
