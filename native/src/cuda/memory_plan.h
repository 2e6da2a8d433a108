// Where every layer's output lives on the device, decided once at build time.
// Outputs live in "storages" (NHWC, max_batch images). A route of one layer is a view of it (a channel slice
// for groups). With concat_in_place a concat's producers write straight into their channel slice of the
// concat's storage (no copy, but strided writes); without, the concat gets its own storage and one copy kernel.
// Storages whose lifetimes do not overlap share memory in one arena (see concurrent_branches).
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

#include "lightnet/network.h"

namespace lightnet::cuda {

struct Placement {
  int storage = -1;
  int channel_offset = 0;
  int c = 0, h = 0, w = 0;
  int pixel_stride = 0;  // the storage's channel count
};

struct Storage {
  int c = 0, h = 0, w = 0;   // full shape per image
  int first = 0, last = 0;   // layer indices that write first / read last (-1 = network input)
  size_t offset = 0, bytes = 0;
};

struct MemoryPlanOptions {
  int max_batch = 1;
  size_t element_size = 4;
  int input_channels = 0;     // network input channels as stored (padded ≥ net.input.c)
  bool concat_in_place = true;
  // Per layer index: without concat_in_place, these producers still write straight into their concat's slice
  // (the concat then copies only its other inputs). The CUDA engine marks the convs that run on kernels writing
  // slices at no cost.
  std::vector<bool> in_place_producers;
  // An upsample read only by a concat that copies it gets no kernel: the concat reads the upsample's input
  // (nearest-neighbour) instead, one launch and one pass over the upsampled tensor fewer.
  bool fuse_upsample = true;
  // Steps may run concurrently on several streams (stream_schedule.h): two storages then share bytes only when
  // the data flow orders them (every layer touching one is an ancestor of every layer writing the other), not
  // merely when their layer-index intervals do not overlap, which holds for one stream only.
  bool concurrent_branches = false;
  // Conv pairs run as one kernel (first, second): second's kernel computes first too, from first's inputs,
  // which therefore live until second has run (the stem kernel, find_stem_pair; conv pairs, find_conv_pairs).
  std::vector<std::pair<int, int>> fused_pairs;
};

struct MemoryPlan {
  Placement input;                  // the network input
  std::vector<Placement> layers;    // per layer index
  std::vector<Storage> storages;
  std::vector<bool> writes_in_place;  // per layer: output already is a view (alias/slice): nothing to compute
  std::vector<bool> concat_done;      // per route: all inputs already sit in its storage: no copy
  std::vector<bool> upsample_fused;   // per upsample: computed by the concat reading it (options.fuse_upsample)
  size_t arena_bytes = 0;
};

// When inputs[q..q+G) of a concat are the G group slices (one-input routes with groups=G, group_id 0..G-1, in
// order) of one layer, that layer, which then writes its whole output into the concat; else -1.
int producer_of_slices(const Network& net, const std::vector<int>& inputs, size_t q);

// True for layers whose kernels can write their output into a channel slice of a wider tensor.
bool can_write_slice(const Layer& layer);

MemoryPlan plan_memory(const Network& net, const MemoryPlanOptions& options);

// The conv pair the stem kernel may run as one (stem_conv.h), as (first, second): layer 0 a convolution reading
// the network input, and a convolution that is the only reader of its output and reads nothing else (no head,
// no route reads layer 0); {-1, -1} where the network has none. The shapes are the kernel's to check
// (StemConv::supports).
std::pair<int, int> find_stem_pair(const Network& net);

// Conv pairs (first, second) that one kernel may run (conv_pair.h): `second` a convolution that is the only
// reader of `first`'s output (no head, no route reads it) and reads nothing else, `first` a convolution reading
// another layer's output (the stem pair is find_stem_pair's), and `runs(first, second)` true (the kernel's
// shapes: ConvPair::supports). In layer order, no layer in two pairs: an ELAN chain 5 → 6 → 7 → 8 whose 6 is
// also read by a concat gives (5, 6) and (7, 8).
std::vector<std::pair<int, int>> find_conv_pairs(const Network& net,
                                                 const std::function<bool(const Layer&, const Layer&)>& runs);

}  // namespace lightnet::cuda
