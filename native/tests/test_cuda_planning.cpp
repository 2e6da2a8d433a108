// The CUDA backend's host-side planning on the real LightNet cfgs, without a GPU: the arena layout
// (memory_plan.h) and the spread of the engine's steps over concurrent streams (stream_schedule.h).
// The schedule is checked by a brute-force verifier that shares no code with the scheduler: it derives what every
// launched layer reads and writes from the network and the memory plan, builds the happens-before relation the
// lanes and event waits give (transitively closed), and demands that every two launches touching common arena
// bytes, one of them writing, and every producer → consumer pair, are ordered.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <iostream>
#include <map>
#include <numeric>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "cuda/memory_plan.h"
#include "cuda/stream_schedule.h"
#include "ir/sibling_fusion.h"
#include "lightnet/model_loader.h"

namespace lightnet {
namespace {

using cuda::MemoryPlan;
using cuda::MemoryPlanOptions;
using cuda::Placement;

const char* const kCfgs[] = {
    "lightNet-BDD100K-1280x960.cfg",
    "lightNet-BDD100K-1280x960-chPruning.cfg",
    "lightNet-BDD100K-det-semaseg-1280x960.cfg",
    "lightNet-BDD100K-chPruning-det-semaseg-1280x960.cfg",
};

std::string cfg_path(const std::string& name) {
  return std::string(LIGHTNET_SHARED_DIR) + "/models/lightnet/" + name;
}

MemoryPlanOptions fp16_options(bool concat_in_place, bool concurrent) {
  MemoryPlanOptions o;
  o.max_batch = 2;
  o.element_size = 2;
  o.input_channels = 8;  // FP16 pads the 3-channel input
  o.concat_in_place = concat_in_place;
  o.concurrent_branches = concurrent;
  return o;
}

// The three concat layouts: every producer in place, none, and some (what the CUDA engine chooses for FP16:
// the producers running on kernels that write slices freely; here every other conv feeding a concat).
enum class Layout { Copy, InPlace, Mixed };
const char* name(Layout l) { return l == Layout::Copy ? "copy" : l == Layout::InPlace ? "inplace" : "mixed"; }
std::vector<bool> every_other_concat_conv(const Network& net) {
  std::vector<bool> marked(net.layers.size(), false);
  bool take = true;
  for (const Layer& r : net.layers)
    if (r.type == LayerType::Route && r.inputs.size() > 1)
      for (int j : r.inputs)
        if (j >= 0 && net.layers[j].type == LayerType::Convolutional) marked[j] = take, take = !take;
  return marked;
}
MemoryPlanOptions fp16_options(const Network& net, Layout layout, bool concurrent) {
  MemoryPlanOptions o = fp16_options(layout == Layout::InPlace, concurrent);
  if (layout == Layout::Mixed) o.in_place_producers = every_other_concat_conv(net);
  return o;
}

// ------------------------------------------------------------------ the verifier's own model of the launches
struct Bytes {  // channels [c0, c1) of every pixel of one storage
  int storage, c0, c1;
};
struct Launch {
  int layer;
  std::vector<Bytes> reads, writes;
  std::vector<int> producers;  // layers whose results it reads (resolved through views), must precede it
};

const Placement& placed(const MemoryPlan& plan, int j) { return j < 0 ? plan.input : plan.layers[j]; }
Bytes bytes_of(const Placement& p) { return {p.storage, p.channel_offset, p.channel_offset + p.c}; }

// The launched layers that write layer j's values: j itself when it launches, else (views, fused upsamples,
// concats already in place) the launches its inputs come from.
void producers_of(const Network& net, const std::set<int>& launched, int j, std::vector<int>& out) {
  if (j < 0) return;  // the network input: uploaded before the graph runs
  if (launched.count(j)) {
    out.push_back(j);
    // A concat's copy leaves the inputs written in place by their own layers.
    if (net.layers[j].type != LayerType::Route) return;
  }
  for (int i : net.layers[j].inputs) producers_of(net, launched, i, out);
}

// fused_pairs (first, second): second's kernel computes first from first's inputs, so it reads those too (first
// is still modelled as a launch of its own: the engine issues an empty step there, and its bytes stay planned).
std::vector<Launch> launches(const Network& net, const MemoryPlan& plan,
                             const std::vector<std::pair<int, int>>& fused_pairs = {}) {
  std::vector<Launch> out;
  for (const Layer& l : net.layers) {
    Launch x{l.index, {}, {}, {}};
    if (plan.writes_in_place[l.index] || plan.upsample_fused[l.index]) continue;
    if (l.type == LayerType::Route) {
      const auto& rp = l.as<RouteParams>();
      const Placement& me = plan.layers[l.index];
      const int base = me.channel_offset - rp.group_id * me.c;
      int at = base;
      for (int j : l.inputs) {
        const Placement& src = placed(plan, j);
        const bool in_place = src.storage == me.storage && src.channel_offset == at;
        if (!in_place) {
          const bool fused = j >= 0 && plan.upsample_fused[j];
          const int read = fused ? net.layers[j].inputs[0] : j;
          x.reads.push_back(bytes_of(placed(plan, read)));
          x.writes.push_back({me.storage, at, at + src.c});
          x.producers.push_back(read);
        }
        at += src.c;
      }
      if (x.writes.empty()) continue;
    } else {
      std::vector<int> reads = l.inputs;
      for (const auto& [first, second] : fused_pairs)
        if (second == l.index) reads.insert(reads.end(), net.layers[first].inputs.begin(), net.layers[first].inputs.end());
      for (int j : reads) {
        x.reads.push_back(bytes_of(placed(plan, j)));
        x.producers.push_back(j);
      }
      x.writes.push_back(bytes_of(plan.layers[l.index]));
    }
    out.push_back(x);
  }
  std::set<int> launched;
  for (const Launch& x : out) launched.insert(x.layer);
  for (Launch& x : out) {
    std::vector<int> resolved;
    for (int j : x.producers) producers_of(net, launched, j, resolved);
    x.producers = resolved;
  }
  return out;
}

bool share_bytes(const Bytes& a, const Bytes& b, const MemoryPlan& plan) {
  const auto& s = plan.storages[a.storage];
  const auto& t = plan.storages[b.storage];
  if (s.offset + s.bytes <= t.offset || t.offset + t.bytes <= s.offset) return false;
  return a.storage != b.storage || (a.c0 < b.c1 && b.c0 < a.c1);
}

bool conflict(const Launch& a, const Launch& b, const MemoryPlan& plan) {
  for (const Bytes& w : a.writes) {
    for (const Bytes& r : b.reads) if (share_bytes(w, r, plan)) return true;
    for (const Bytes& v : b.writes) if (share_bytes(w, v, plan)) return true;
  }
  for (const Bytes& r : a.reads)
    for (const Bytes& w : b.writes) if (share_bytes(r, w, plan)) return true;
  return false;
}

// happens[k][m]: step m completes before step k starts (same lane earlier, or through event waits).
std::vector<std::vector<bool>> happens_before(const cuda::LaneSchedule& s) {
  const size_t n = s.steps.size();
  std::vector<std::vector<bool>> hb(n, std::vector<bool>(n, false));
  std::map<int, int> tail;  // lane → last step so far
  for (size_t k = 0; k < n; ++k) {
    std::vector<int> preds = s.steps[k].waits;
    if (tail.count(s.steps[k].lane)) preds.push_back(tail[s.steps[k].lane]);
    for (int p : preds) {
      hb[k][p] = true;
      for (size_t m = 0; m < n; ++m) hb[k][m] = hb[k][m] || hb[p][m];
    }
    tail[s.steps[k].lane] = int(k);
  }
  return hb;
}

// Checks one schedule against the verifier's model of the launches.
void verify(const Network& net, const MemoryPlan& plan, const std::vector<cuda::NetworkStep>& steps,
            const cuda::LaneSchedule& s, int max_lanes, const std::vector<std::pair<int, int>>& fused_pairs = {}) {
  const std::vector<Launch> want = launches(net, plan, fused_pairs);
  ASSERT_EQ(steps.size(), want.size());
  ASSERT_EQ(s.steps.size(), want.size());
  std::map<int, int> step_of;  // layer → step
  for (size_t k = 0; k < steps.size(); ++k) {
    ASSERT_EQ(steps[k].layer, want[k].layer) << "step " << k;
    ASSERT_EQ(steps[k].writes.size(), want[k].writes.size()) << "step " << k;
    ASSERT_EQ(steps[k].copies.size(), net.layers[steps[k].layer].type == LayerType::Route ? want[k].writes.size() : 0)
        << "step " << k;
    step_of[steps[k].layer] = int(k);
  }
  ASSERT_LE(s.lanes, max_lanes);
  for (size_t k = 0; k < s.steps.size(); ++k) {
    ASSERT_GE(s.steps[k].lane, 0);
    ASSERT_LT(s.steps[k].lane, s.lanes);
    for (int w : s.steps[k].waits) {
      ASSERT_LT(w, int(k)) << "a wait for a step issued later would never be met";
      EXPECT_NE(s.steps[w].lane, s.steps[k].lane) << "a wait on the own lane is implied";
      EXPECT_TRUE(s.steps[w].record) << "step " << w << " is waited for but records no event";
    }
  }
  const auto hb = happens_before(s);
  int checked = 0;
  for (size_t k = 0; k < want.size(); ++k)
    for (size_t m = 0; m < k; ++m)
      if (conflict(want[k], want[m], plan)) {
        ++checked;
        EXPECT_TRUE(hb[k][m]) << "layers " << want[m].layer << " and " << want[k].layer
                              << " touch common bytes but may run concurrently";
      }
  EXPECT_GT(checked, 0);
  for (size_t k = 0; k < want.size(); ++k)
    for (int p : want[k].producers)
      EXPECT_TRUE(hb[k][step_of.at(p)]) << "layer " << want[k].layer << " may start before layer " << p
                                        << " it reads";
  // In launch order, nothing overwrites what a launch reads between its producer and it: the arena's reuse of
  // bytes must follow the order the launches are issued in, since the lanes only keep that order.
  for (size_t k = 0; k < want.size(); ++k)
    for (int producer : want[k].producers) {
      const int p = step_of.at(producer);
      for (int m = p + 1; m < int(k); ++m)
        for (const Bytes& w : want[m].writes)
          for (const Bytes& v : want[p].writes)
            for (const Bytes& r : want[k].reads)
              EXPECT_FALSE(share_bytes(w, v, plan) && share_bytes(w, r, plan) && share_bytes(v, r, plan))
                  << "layer " << want[m].layer << " overwrites what layer " << want[k].layer << " reads from layer "
                  << producer;
    }
  // The join: the engine's stream follows every step once it has waited for the joins.
  std::vector<bool> done(want.size(), false);
  int last0 = -1;
  for (size_t k = 0; k < s.steps.size(); ++k)
    if (s.steps[k].lane == 0) last0 = int(k);
  std::vector<int> ends = s.joins;
  if (last0 >= 0) ends.push_back(last0);
  for (int e : ends) {
    done[e] = true;
    for (size_t m = 0; m < want.size(); ++m) done[m] = done[m] || hb[e][m];
  }
  for (int j : s.joins) EXPECT_TRUE(s.steps[j].record) << "joined step " << j << " records no event";
  for (size_t m = 0; m < want.size(); ++m) EXPECT_TRUE(done[m]) << "step " << m << " is not joined";
}

// Each cfg as loaded, and with its sibling convolutions fused as the CUDA engine runs it (ir/sibling_fusion.h).
class CudaPlanning : public ::testing::TestWithParam<std::tuple<const char*, bool>> {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(cfg_path(cfg()))) GTEST_SKIP() << cfg_path(cfg()) << " not found";
    net_ = load_cfg(cfg_path(cfg()));
    if (fused()) {
      randomize_weights(net_, 1);  // (fusion moves weights)
      fusions_ = ir::fuse_sibling_convs(net_);
      ASSERT_FALSE(fusions_.empty());
    }
  }
  const char* cfg() const { return std::get<0>(GetParam()); }
  bool fused() const { return std::get<1>(GetParam()); }
  std::string label() const { return std::string(cfg()) + (fused() ? " fused" : ""); }
  Network net_;
  std::vector<ir::SiblingFusion> fusions_;
};

TEST_P(CudaPlanning, EveryConflictingPairOfStepsIsOrdered) {
  for (Layout layout : {Layout::Copy, Layout::InPlace, Layout::Mixed})
    for (bool concurrent : {true, false})
      for (int lanes : {1, 2, 4, 8}) {
        SCOPED_TRACE(std::string("concat ") + name(layout) + (concurrent ? ", concurrent plan" : ", one-stream plan") +
                     ", lanes " + std::to_string(lanes));
        const MemoryPlan plan = cuda::plan_memory(net_, fp16_options(net_, layout, concurrent));
        const auto steps = cuda::network_steps(net_, plan);
        const auto s = cuda::schedule_lanes(steps, plan, lanes);
        verify(net_, plan, steps, s, lanes);
        if (lanes == 1) {
          EXPECT_EQ(s.lanes, 1);
          EXPECT_EQ(s.waits(), 0);
          EXPECT_TRUE(s.joins.empty());
        } else if (concurrent) {
          EXPECT_GT(s.lanes, 1) << "no two steps run concurrently";
        }
        if (lanes == 4 && concurrent) {
          std::vector<int> depth(steps.size(), 1);  // the longest chain of steps that must follow each other
          std::map<int, int> tail;
          for (size_t k = 0; k < steps.size(); ++k) {
            if (tail.count(s.steps[k].lane)) depth[k] = depth[tail[s.steps[k].lane]] + 1;
            for (int w : s.steps[k].waits) depth[k] = std::max(depth[k], depth[w] + 1);
            tail[s.steps[k].lane] = int(k);
          }
          std::cout << "[ schedule ] " << label() << " " << name(layout) << ": " << steps.size()
                    << " steps on " << s.lanes << " lanes, " << s.waits() << " event waits, " << s.joins.size()
                    << " joins, longest chain " << *std::max_element(depth.begin(), depth.end()) << " steps"
                    << std::endl;
        }
      }
}

// Layers whose launches touch each storage: writers, and all (readers too), from the verifier's model.
struct Accessors {
  std::vector<std::set<int>> writers, touchers;
};
Accessors accessors(const Network& net, const MemoryPlan& plan) {
  Accessors a;
  a.writers.resize(plan.storages.size());
  a.touchers.resize(plan.storages.size());
  for (const Launch& x : launches(net, plan)) {
    for (const Bytes& w : x.writes) a.writers[w.storage].insert(x.layer), a.touchers[w.storage].insert(x.layer);
    for (const Bytes& r : x.reads) a.touchers[r.storage].insert(x.layer);
  }
  const int n = int(net.layers.size());
  a.writers[plan.input.storage].insert(-1);  // the upload, before the network
  a.touchers[plan.input.storage].insert(-1);
  for (const Head& h : net.heads) a.touchers[plan.layers[h.source].storage].insert(n);  // the read-back, after
  return a;
}

TEST_P(CudaPlanning, ConcurrentPlanSharesBytesOnlyBetweenOrderedLayers) {
  const int n = int(net_.layers.size());
  // reaches[a][b]: layer b reads, transitively, layer a's output; -1 (upload) precedes all, n (read-back) follows.
  auto reaches = [&, memo = std::map<std::pair<int, int>, bool>()](int a, int b) mutable {
    std::function<bool(int, int)> go = [&](int x, int y) -> bool {
      if (x == -1) return y != -1;
      if (y == n) return x != n;
      if (y < 0 || x == n) return false;
      auto key = std::make_pair(x, y);
      auto it = memo.find(key);
      if (it != memo.end()) return it->second;
      bool r = false;
      for (int j : net_.layers[y].inputs) r = r || j == x || (j >= 0 && go(x, j));
      return memo[key] = r;
    };
    return go(a, b);
  };
  for (Layout layout : {Layout::Copy, Layout::InPlace, Layout::Mixed}) {
    SCOPED_TRACE(std::string("concat ") + name(layout));
    const MemoryPlan one = cuda::plan_memory(net_, fp16_options(net_, layout, false));
    const MemoryPlan plan = cuda::plan_memory(net_, fp16_options(net_, layout, true));
    const Accessors acc = accessors(net_, plan);
    auto all_before = [&](int a, int b) {  // every access of storage a precedes every write of storage b
      for (int x : acc.touchers[a])
        for (int y : acc.writers[b])
          if (!reaches(x, y)) return false;
      return true;
    };
    size_t sum = 0;
    for (size_t a = 0; a < plan.storages.size(); ++a) {
      const auto& s = plan.storages[a];
      sum += s.bytes;
      EXPECT_LE(s.offset + s.bytes, plan.arena_bytes);
      for (size_t b = a + 1; b < plan.storages.size(); ++b) {
        const auto& t = plan.storages[b];
        if (s.offset + s.bytes <= t.offset || t.offset + t.bytes <= s.offset) continue;
        EXPECT_TRUE(all_before(int(a), int(b)) || all_before(int(b), int(a)))
            << "storages " << a << " and " << b << " share bytes but their layers are not ordered";
      }
    }
    EXPECT_LE(plan.arena_bytes, sum);
    std::cout << "[ arena ] " << label() << " " << name(layout) << ": " << one.arena_bytes
              << " bytes for one stream, " << plan.arena_bytes << " with concurrent branches (" << sum
              << " unshared), fp16 batch 2" << std::endl;
  }
}

// Exactly the marked producers write into their concat's storage, at their channel offset; the others keep
// storages of their own, and only a concat with every input in place needs no copy.
TEST_P(CudaPlanning, MarkedProducersWriteIntoTheirConcatAndTheRestAreCopied) {
  const std::vector<bool> marked = every_other_concat_conv(net_);
  const MemoryPlan plan = cuda::plan_memory(net_, fp16_options(net_, Layout::Mixed, true));
  int in_place = 0, copied = 0;
  std::vector<bool> seen(net_.layers.size(), false);
  for (const Layer& r : net_.layers) {
    if (r.type != LayerType::Route || r.inputs.size() < 2) continue;
    const Placement& me = plan.layers[r.index];
    const int base = me.channel_offset - r.as<RouteParams>().group_id * me.c;
    int at = base;
    bool all = true;
    for (int j : r.inputs) {
      const Placement& src = placed(plan, j);
      const bool inside = src.storage == me.storage && src.channel_offset == at;
      if (j >= 0 && !seen[j]) {  // a producer goes into the first concat that reads it
        EXPECT_EQ(inside, bool(marked[j])) << "layer " << j << " feeding concat " << r.index;
        (inside ? in_place : copied) += 1;
      }
      all = all && inside;
      if (j >= 0) seen[j] = true;
      at += src.c;
    }
    EXPECT_EQ(plan.concat_done[r.index], all) << "concat " << r.index;
  }
  EXPECT_GT(in_place, 0);
  EXPECT_GT(copied, 0);
}

// A fused sibling convolution writes its whole output into the concat that reads all its slices side by side,
// when producers write in place; with copies it keeps a storage of its own and the concat copies its slices.
class CudaPlanningFused : public CudaPlanning {};
TEST_P(CudaPlanningFused, SiblingsWriteTheirConcatSliceInPlace) {
  int into_concat = 0;
  for (Layout layout : {Layout::InPlace, Layout::Copy}) {
    const MemoryPlan plan = cuda::plan_memory(net_, fp16_options(net_, layout, true));
    for (const ir::SiblingFusion& f : fusions_) {
      const Placement& conv = plan.layers[f.conv];
      for (size_t k = 0; k < f.views.size(); ++k) {  // each member's output: its channel slice of the fused conv
        const Placement& v = plan.layers[f.views[k]];
        EXPECT_EQ(v.storage, conv.storage);
        EXPECT_EQ(v.channel_offset, conv.channel_offset + int(k) * v.c);
        EXPECT_EQ(v.c * int(f.views.size()), conv.c);
      }
      const bool own_storage = conv.channel_offset == 0 && plan.storages[conv.storage].c == conv.c;
      if (layout == Layout::Copy) EXPECT_TRUE(own_storage) << "layer " << f.conv;
      else into_concat += !own_storage;
    }
  }
  EXPECT_GE(into_concat, 9) << "the ELAN pairs and the three-way block sit in their concat";
}

// The stem pair (layers 0 and 1 of every LightNet cfg) may run as one kernel, which reads the network input
// where layer 1 runs: marked as fused, the input lives until layer 1, so layer 1's output cannot take its bytes.
TEST_P(CudaPlanning, StemPairKeepsTheNetworkInputUntilItsSecondConv) {
  ASSERT_EQ(cuda::find_stem_pair(net_), std::make_pair(0, 1));
  for (Layout layout : {Layout::Copy, Layout::InPlace, Layout::Mixed})
    for (bool concurrent : {true, false}) {
      SCOPED_TRACE(std::string("concat ") + name(layout) + (concurrent ? ", concurrent plan" : ", one-stream plan"));
      MemoryPlanOptions o = fp16_options(net_, layout, concurrent);
      const MemoryPlan apart = cuda::plan_memory(net_, o);
      EXPECT_EQ(apart.storages[apart.input.storage].last, 0);
      o.fused_pairs = {{0, 1}};
      const MemoryPlan plan = cuda::plan_memory(net_, o);
      EXPECT_EQ(plan.storages[plan.input.storage].last, 1);
      EXPECT_FALSE(share_bytes(bytes_of(plan.layers[1]), bytes_of(plan.input), plan));
    }
}

std::string param_name(const ::testing::TestParamInfo<std::tuple<const char*, bool>>& info) {
  std::string s = std::get<0>(info.param);
  s = s.substr(0, s.find(".cfg"));
  for (char& c : s) if (!isalnum(static_cast<unsigned char>(c))) c = '_';
  return s + (std::get<1>(info.param) ? "_fused" : "");
}
// What ConvPair::supports accepts, without asking a GPU: two 3×3 stride-1 convs of 32 or 64 channels throughout.
bool pairable(const Layer& a, const Layer& b) {
  auto plain = [](const Layer& l, int c) {
    const auto& p = l.as<ConvParams>();
    return p.size == 3 && p.stride_x == 1 && p.stride_y == 1 && p.padding == 1 && p.dilation == 1 && p.groups == 1 &&
           p.filters == c && l.input_shapes.at(0).c == c;
  };
  const int c = a.as<ConvParams>().filters;
  return (c == 32 || c == 64) && plain(a, c) && plain(b, c);
}

// With the conv pairs (and the stem) fused, the pair kernels read their first's inputs where their second runs:
// the plan keeps those alive until then, and every schedule orders the kernel against whatever else touches them.
TEST_P(CudaPlanning, FusedPairsReadTheirFirstsInputsSafely) {
  std::vector<std::pair<int, int>> pairs = cuda::find_conv_pairs(net_, pairable);
  ASSERT_FALSE(pairs.empty());
  pairs.push_back(cuda::find_stem_pair(net_));
  for (Layout layout : {Layout::Copy, Layout::InPlace, Layout::Mixed})
    for (bool concurrent : {true, false})
      for (int lanes : {1, 4}) {
        SCOPED_TRACE(std::string("concat ") + name(layout) + (concurrent ? ", concurrent plan" : ", one-stream plan") +
                     ", lanes " + std::to_string(lanes));
        MemoryPlanOptions o = fp16_options(net_, layout, concurrent);
        o.fused_pairs = pairs;
        const MemoryPlan plan = cuda::plan_memory(net_, o);
        for (const auto& [first, second] : pairs) {
          const Placement& in = placed(plan, net_.layers[first].inputs.at(0));
          EXPECT_GE(plan.storages[in.storage].last, second) << first << " + " << second;
          EXPECT_FALSE(share_bytes(bytes_of(plan.layers[second]), bytes_of(in), plan)) << first << " + " << second;
        }
        const auto steps = cuda::network_steps(net_, plan);
        verify(net_, plan, steps, cuda::schedule_lanes(steps, plan, lanes), lanes, pairs);
      }
}

INSTANTIATE_TEST_SUITE_P(LightNetCfgs, CudaPlanning, ::testing::Combine(::testing::ValuesIn(kCfgs), ::testing::Bool()),
                         param_name);
INSTANTIATE_TEST_SUITE_P(LightNetCfgs, CudaPlanningFused,
                         ::testing::Combine(::testing::ValuesIn(kCfgs), ::testing::Values(true)), param_name);

// The ELAN chains' 3×3 convs pair up two by two where the first's output has no other reader: (5, 6) and (7, 8)
// of 5 → 6 → 7 → 8, whose 6 and 8 a concat reads too; the 128- and 256-channel chains do not fit the kernel.
TEST(CudaPlanningPairs, ElanChainsPairUpTwoByTwo) {
  const std::string cfg = cfg_path("lightNet-BDD100K-1280x960.cfg");
  if (!std::filesystem::exists(cfg)) GTEST_SKIP() << cfg << " not found";
  const Network net = load_cfg(cfg);
  const std::vector<std::pair<int, int>> want = {{5, 6},   {7, 8},   {15, 16}, {17, 18}, {61, 62},
                                                 {63, 64}, {75, 76}, {77, 78}, {86, 87}, {88, 89}};
  EXPECT_EQ(cuda::find_conv_pairs(net, pairable), want);
  // Any two convs, one the other's only reader: the 128- and 256-channel chains too, never the stem (it reads
  // the network input), never a head's conv as the first, no layer twice.
  const auto any = cuda::find_conv_pairs(net, [](const Layer&, const Layer&) { return true; });
  EXPECT_GT(any.size(), want.size());
  std::set<int> seen;
  for (const auto& [first, second] : any) {
    EXPECT_TRUE(seen.insert(first).second && seen.insert(second).second) << first << " + " << second;
    EXPECT_NE(first, 0);
    EXPECT_EQ(net.layers[second].inputs, std::vector<int>{first});
    for (const Head& h : net.heads) EXPECT_NE(h.source, first);
  }
  EXPECT_NE(std::find(any.begin(), any.end(), std::make_pair(25, 26)), any.end());
  // A second reader of layer 5 (the concat) leaves 5 → 6 apart and 7 → 8 paired.
  Network routed = net;
  routed.layers[9].inputs.push_back(5);
  const auto pairs = cuda::find_conv_pairs(routed, pairable);
  EXPECT_EQ(std::count(pairs.begin(), pairs.end(), std::make_pair(5, 6)), 0);
  EXPECT_EQ(std::count(pairs.begin(), pairs.end(), std::make_pair(7, 8)), 1);
}

// No stem pair where layer 0's output has another reader or feeds a head, or the second conv reads more.
TEST(CudaPlanningStem, NoPairWhereLayerZerosOutputIsReadElsewhere) {
  const std::string cfg = cfg_path("lightNet-BDD100K-1280x960.cfg");
  if (!std::filesystem::exists(cfg)) GTEST_SKIP() << cfg << " not found";
  const Network net = load_cfg(cfg);
  ASSERT_EQ(cuda::find_stem_pair(net), std::make_pair(0, 1));
  Network routed = net;
  routed.layers[3].inputs = {0};  // the [route] reads layer 0 as well
  EXPECT_EQ(cuda::find_stem_pair(routed), std::make_pair(-1, -1));
  Network wider = net;
  wider.layers[1].inputs = {0, -1};
  EXPECT_EQ(cuda::find_stem_pair(wider), std::make_pair(-1, -1));
  Network head = net;
  head.heads[0].source = 0;
  EXPECT_EQ(cuda::find_stem_pair(head), std::make_pair(-1, -1));
}

// Real concurrency where the cfg has it: the ELAN block's 1×1 branch (layer 2) and its conv chain (layer 4 on)
// both read layer 1; the three detection heads are independent.
TEST(CudaPlanningSchedule, IndependentBranchesOfTheDetectionCfgRunOnDifferentLanes) {
  const std::string cfg = cfg_path("lightNet-BDD100K-1280x960.cfg");
  if (!std::filesystem::exists(cfg)) GTEST_SKIP() << cfg << " not found";
  const Network net = load_cfg(cfg);
  ASSERT_EQ(net.layers[2].inputs, std::vector<int>{1});
  ASSERT_EQ(net.layers[4].inputs, std::vector<int>{3});  // [route] layers=-2: a view of layer 1
  ASSERT_EQ(net.layers[3].inputs, std::vector<int>{1});
  for (bool in_place : {false, true}) {
    SCOPED_TRACE(in_place ? "concat in place" : "concat by copies");
    const MemoryPlan plan = cuda::plan_memory(net, fp16_options(in_place, true));
    const auto steps = cuda::network_steps(net, plan);
    const auto s = cuda::schedule_lanes(steps, plan, 4);
    std::map<int, int> lane;  // layer → lane
    for (size_t k = 0; k < steps.size(); ++k) lane[steps[k].layer] = s.steps[k].lane;
    ASSERT_TRUE(lane.count(2) && lane.count(4));
    EXPECT_NE(lane[2], lane[4]);
    std::set<int> head_lanes;
    for (const Head& h : net.heads) head_lanes.insert(lane.at(h.source));
    EXPECT_GT(head_lanes.size(), 1u) << "the heads' convs all on one lane";
    EXPECT_GT(s.waits(), 0);
  }
}

// A hand-checked schedule: a diamond 0 → (1, 2) → 3 where 1 and 2 write different storages.
TEST(CudaPlanningSchedule, DiamondForksAndJoinsWithOneWaitEach) {
  MemoryPlan plan;
  for (int i = 0; i < 4; ++i) {
    cuda::Storage s;
    s.c = 8;
    s.offset = size_t(i) * 256;
    s.bytes = 256;
    plan.storages.push_back(s);
  }
  auto step = [](int layer, std::vector<int> reads, int write) {
    cuda::NetworkStep s;
    s.layer = layer;
    for (int r : reads) s.reads.push_back({r, 0, 8});
    s.writes.push_back({write, 0, 8});
    return s;
  };
  const std::vector<cuda::NetworkStep> steps = {step(0, {0}, 1), step(1, {1}, 2), step(2, {1}, 3),
                                                step(3, {2, 3}, 0)};
  const auto s = cuda::schedule_lanes(steps, plan, 4);
  EXPECT_EQ(s.lanes, 2);
  EXPECT_EQ(s.steps[0].lane, 0);
  EXPECT_EQ(s.steps[1].lane, 0);
  EXPECT_EQ(s.steps[2].lane, 1);
  EXPECT_EQ(s.steps[2].waits, std::vector<int>{0});
  EXPECT_EQ(s.steps[3].lane, 1);  // continues its latest dependency's lane
  EXPECT_EQ(s.steps[3].waits, std::vector<int>{1});
  EXPECT_TRUE(s.steps[0].record && s.steps[1].record && s.steps[3].record);
  EXPECT_FALSE(s.steps[2].record);
  EXPECT_EQ(s.joins, std::vector<int>{3});
  EXPECT_EQ(s.waits(), 2);
  // Step 3 writes storage 0, which step 0 read: covered through step 1's and 2's waits, no extra wait.
  EXPECT_THROW(cuda::schedule_lanes(steps, plan, 0), std::invalid_argument);
}

}  // namespace
}  // namespace lightnet
