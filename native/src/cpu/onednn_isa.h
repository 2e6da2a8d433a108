// What oneDNN's kernels can do on this CPU, read once from oneDNN's own ISA detection.
#pragma once
#ifdef LIGHTNET_WITH_ONEDNN
#include <dnnl.hpp>

namespace lightnet::cpu {

// Channels per block of the activation layout that oneDNN's fp32 JIT convolutions run on: nChw16c with
// AVX-512, nChw8c below it (AVX2, AVX, SSE4.1). With the wrong one oneDNN offers only its reference kernel:
// nChw16c on a 2-core AVX2 machine took 17 minutes for one forward pass of a 58-GFLOP network.
inline int onednn_channel_block() {
  using isa = dnnl::cpu_isa;
  switch (dnnl::get_effective_cpu_isa()) {
    case isa::avx512_mic: case isa::avx512_mic_4ops: case isa::avx512_core: case isa::avx512_core_vnni:
    case isa::avx512_core_bf16: case isa::avx512_core_amx:
      return 16;
    default:
      return 8;
  }
}

// Whether oneDNN's s8 convolutions accumulate exactly in int32. Without VNNI (vpdpbusd) its AVX2 / AVX-512
// kernels add pairs of u8 · s8 products in saturating int16 (vpmaddubsw), so large products clip (oneDNN's
// "int8 computation nuances"); there the CPU backend fake-quantizes in fp32 instead.
inline bool onednn_exact_int8() {
  using isa = dnnl::cpu_isa;
  switch (dnnl::get_effective_cpu_isa()) {
    case isa::avx512_core_vnni: case isa::avx512_core_bf16: case isa::avx512_core_amx: case isa::avx2_vnni:
      return true;
    default:
      return false;
  }
}

}  // namespace lightnet::cpu
#endif
