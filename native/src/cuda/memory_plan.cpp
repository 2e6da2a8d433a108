#include "cuda/memory_plan.h"

#include <algorithm>
#include <numeric>
#include <stdexcept>
#include <string>

namespace lightnet::cuda {
namespace {

constexpr size_t kAlign = 256;
size_t align_up(size_t v) { return (v + kAlign - 1) / kAlign * kAlign; }

bool is_concat(const Layer& l) { return l.type == LayerType::Route && l.inputs.size() > 1; }

struct Target {
  int layer = -1;   // the concat (route) whose storage this output is a slice of
  int offset = 0;   // channel offset inside that concat
};

// First-fit offsets, largest first; storages that may not share bytes (apart(i, j)) never overlap.
template <class Apart>
size_t assign_offsets(std::vector<Storage>& storages, const Apart& apart) {
  std::vector<int> order(storages.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return storages[a].bytes > storages[b].bytes; });
  std::vector<int> placed;
  size_t total = 0;
  for (int i : order) {
    Storage& s = storages[i];
    std::vector<std::pair<size_t, size_t>> busy;  // [begin, end) of live neighbours
    for (int j : placed) {
      const Storage& o = storages[j];
      if (apart(i, j)) busy.emplace_back(o.offset, o.offset + o.bytes);
    }
    std::sort(busy.begin(), busy.end());
    size_t at = 0;
    for (const auto& [b, e] : busy) {
      if (at + s.bytes <= b) break;
      at = std::max(at, e);
    }
    s.offset = at;
    total = std::max(total, at + s.bytes);
    placed.push_back(i);
  }
  return total;
}

// Per layer, the layers it reads from transitively (darknet's inputs), as bits.
std::vector<std::vector<bool>> ancestors(const Network& net) {
  const size_t n = net.layers.size();
  std::vector<std::vector<bool>> anc(n, std::vector<bool>(n, false));
  for (const Layer& l : net.layers)
    for (int j : l.inputs) {
      if (j < 0) continue;
      anc[l.index][j] = true;
      for (size_t k = 0; k < n; ++k) anc[l.index][k] = anc[l.index][k] || anc[j][k];
    }
  return anc;
}

}  // namespace

int producer_of_slices(const Network& net, const std::vector<int>& inputs, size_t q) {
  auto slice = [&](size_t at, int& producer, int& groups) {
    if (at >= inputs.size() || inputs[at] < 0) return -1;
    const Layer& l = net.layers[inputs[at]];
    if (l.type != LayerType::Route || l.inputs.size() != 1 || l.inputs[0] < 0) return -1;
    producer = l.inputs[0], groups = l.as<RouteParams>().groups;
    return l.as<RouteParams>().group_id;
  };
  int producer = -1, groups = 1;
  if (slice(q, producer, groups) != 0 || groups < 2) return -1;
  for (int k = 1; k < groups; ++k) {
    int p = -1, g = 0;
    if (slice(q + k, p, g) != k || p != producer || g != groups) return -1;
  }
  return producer;
}

bool can_write_slice(const Layer& l) {
  switch (l.type) {
    case LayerType::Convolutional:
    case LayerType::Upsample:
    case LayerType::Maxpool:
    case LayerType::Shortcut:
      return true;
    case LayerType::Route:  // a nested concat: its own producers then write into the outer storage
      return is_concat(l) && l.as<RouteParams>().groups == 1;
    default:
      return false;
  }
}

MemoryPlan plan_memory(const Network& net, const MemoryPlanOptions& opt) {
  const int n = int(net.layers.size());
  MemoryPlan plan;
  plan.layers.resize(n);
  plan.writes_in_place.assign(n, false);
  plan.concat_done.assign(n, false);
  plan.upsample_fused.assign(n, false);

  // 1. Which producers write straight into a concat's storage.
  std::vector<Target> target(n);
  auto in_place = [&](int j) {
    return opt.concat_in_place || (j < int(opt.in_place_producers.size()) && opt.in_place_producers[j]);
  };
  for (const Layer& r : net.layers) {
    if (!is_concat(r)) continue;
    int offset = 0;
    for (size_t q = 0; q < r.inputs.size(); ++q) {
      const int j = r.inputs[q];
      // A producer whose every group slice the concat reads side by side, in order (a fused sibling
      // convolution, ir/sibling_fusion.h), writes its whole output there.
      if (const int p = producer_of_slices(net, r.inputs, q); p >= 0) {
        if (target[p].layer < 0 && in_place(p) && can_write_slice(net.layers[p])) target[p] = {r.index, offset};
        offset += net.layers[p].output.c;
        q += net.layers[j].as<RouteParams>().groups - 1;
        continue;
      }
      const Layer* p = j >= 0 ? &net.layers[j] : nullptr;
      if (p && target[j].layer < 0 && in_place(j) && can_write_slice(*p)) target[j] = {r.index, offset};
      offset += j >= 0 ? net.layers[j].output.c : net.input.c;
    }
  }

  // 1b. Upsamples that their only reader, a copying concat, computes itself.
  if (opt.fuse_upsample) {
    std::vector<int> readers(n, 0), reader(n, -1);
    for (const Layer& l : net.layers)
      for (int j : l.inputs)
        if (j >= 0) ++readers[j], reader[j] = l.index;
    for (const Head& h : net.heads) readers[h.source] += 2;
    for (const Layer& l : net.layers)
      plan.upsample_fused[l.index] = l.type == LayerType::Upsample && target[l.index].layer < 0 &&
                                     readers[l.index] == 1 && is_concat(net.layers[reader[l.index]]);
  }

  // 2. The storage (and channel offset) each storage-producing layer writes to, resolved back to front
  //    because a concat's target lies after it.
  auto new_storage = [&](int c, int h, int w) {
    Storage s;
    s.c = c; s.h = h; s.w = w;
    s.first = n; s.last = -1;
    s.bytes = align_up(size_t(opt.max_batch) * h * w * c * opt.element_size);
    plan.storages.push_back(s);
    return int(plan.storages.size()) - 1;
  };
  std::vector<std::pair<int, int>> root(n, {-1, 0});  // storage, offset of the layer's full (pre-groups) output
  for (int i = n - 1; i >= 0; --i) {
    const Layer& l = net.layers[i];
    bool produces = can_write_slice(l) || is_concat(l);
    if (!produces) continue;
    int full_c = l.output.c;
    if (is_concat(l)) {
      full_c = 0;
      for (int j : l.inputs) full_c += j >= 0 ? net.layers[j].output.c : net.input.c;
    }
    if (target[i].layer >= 0) {
      auto [s, off] = root[target[i].layer];
      root[i] = {s, off + target[i].offset};
    } else {
      root[i] = {new_storage(full_c, l.output.h, l.output.w), 0};
    }
  }
  int input_storage = new_storage(opt.input_channels, net.input.h, net.input.w);
  plan.input = {input_storage, 0, opt.input_channels, net.input.h, net.input.w, opt.input_channels};
  plan.storages[input_storage].first = -1;

  // 3. Placements, front to back.
  auto placement_of = [&](int j) -> const Placement& { return j < 0 ? plan.input : plan.layers[j]; };
  // Per storage, the layers that write it and all that touch it (-1: the network input's upload, n: the heads'
  // read-back after the network), for concurrent_branches.
  std::vector<std::vector<int>> writers(plan.storages.size()), touchers(plan.storages.size());
  writers[input_storage] = touchers[input_storage] = {-1};
  for (int i = 0; i < n; ++i) {
    const Layer& l = net.layers[i];
    Placement pl;
    if (root[i].first >= 0) {
      const Storage& s = plan.storages[root[i].first];
      pl = {root[i].first, root[i].second, l.output.c, l.output.h, l.output.w, s.c};
      if (is_concat(l)) {
        const auto& rp = l.as<RouteParams>();
        bool done = true;
        int offset = 0;
        for (int j : l.inputs) {
          const Placement& in = placement_of(j);
          done = done && j >= 0 && in.storage == root[i].first && in.channel_offset == root[i].second + offset;
          offset += in.c;
        }
        plan.concat_done[i] = done;
        pl.channel_offset += rp.group_id * (offset / rp.groups);
        pl.c = offset / rp.groups;
      }
    } else if (l.type == LayerType::Route) {  // one input: a view, a channel slice for groups
      const auto& rp = l.as<RouteParams>();
      pl = placement_of(l.inputs.at(0));
      pl.c /= rp.groups;
      pl.channel_offset += rp.group_id * pl.c;
      plan.writes_in_place[i] = true;
    } else {  // dropout, yolo, softmax: the input itself
      pl = placement_of(l.inputs.at(0));
      plan.writes_in_place[i] = true;
    }
    if (pl.c != l.output.c || pl.h != l.output.h || pl.w != l.output.w)
      throw std::logic_error("layer " + std::to_string(i) + ": planned shape " + std::to_string(pl.c) + "x" +
                             std::to_string(pl.h) + "x" + std::to_string(pl.w) + " differs from the IR's " +
                             std::to_string(l.output.c) + "x" + std::to_string(l.output.h) + "x" +
                             std::to_string(l.output.w));
    plan.layers[i] = pl;
    Storage& s = plan.storages[pl.storage];
    if (!plan.writes_in_place[i]) {
      s.first = std::min(s.first, i);
      writers[pl.storage].push_back(i);
    }
    s.last = std::max(s.last, i);
    touchers[pl.storage].push_back(i);
    std::vector<int> reads = l.inputs;
    for (const auto& [first, second] : opt.fused_pairs)
      if (second == i) reads.insert(reads.end(), net.layers.at(first).inputs.begin(), net.layers.at(first).inputs.end());
    for (int j : reads) {
      // A fused upsample's input is read here, by the concat, not by the upsample.
      const int read = j >= 0 && plan.upsample_fused[j] ? net.layers[j].inputs.at(0) : j;
      for (int r : {j, read}) {
        Storage& in = plan.storages[placement_of(r).storage];
        in.last = std::max(in.last, i);
        touchers[placement_of(r).storage].push_back(i);
      }
    }
  }
  for (const Head& h : net.heads) {
    plan.storages[plan.layers[h.source].storage].last = n;
    touchers[plan.layers[h.source].storage].push_back(n);
  }
  if (!opt.concurrent_branches) {
    plan.arena_bytes = assign_offsets(plan.storages, [&](int a, int b) {
      const Storage &s = plan.storages[a], &o = plan.storages[b];
      return o.first <= s.last && s.first <= o.last;
    });
    return plan;
  }
  const auto anc = ancestors(net);
  auto before = [&](int a, int b) {  // every layer touching storage a precedes, in the data flow, b's writers
    for (int w : writers[b])
      for (int t : touchers[a])
        if (!(t == -1 && w != -1) && !(t >= 0 && t < n && w >= 0 && anc[w][t])) return false;
    return !writers[b].empty();
  };
  plan.arena_bytes = assign_offsets(plan.storages, [&](int a, int b) { return !before(a, b) && !before(b, a); });
  return plan;
}

std::pair<int, int> find_stem_pair(const Network& net) {
  const std::pair<int, int> none{-1, -1};
  if (net.layers.size() < 2) return none;
  const Layer& first = net.layers[0];
  if (first.type != LayerType::Convolutional || first.inputs != std::vector<int>{-1}) return none;
  for (const Head& h : net.heads)
    if (h.source == 0 || h.layer == 0) return none;
  int second = -1;
  for (const Layer& l : net.layers) {
    if (std::find(l.inputs.begin(), l.inputs.end(), 0) == l.inputs.end()) continue;
    if (second >= 0 || l.type != LayerType::Convolutional || l.inputs.size() != 1) return none;
    second = l.index;
  }
  return second < 0 ? none : std::pair<int, int>{0, second};
}

std::vector<std::pair<int, int>> find_conv_pairs(const Network& net,
                                                 const std::function<bool(const Layer&, const Layer&)>& runs) {
  const int n = int(net.layers.size());
  std::vector<int> readers(n, 0), reader(n, -1);
  for (const Layer& l : net.layers)
    for (int j : l.inputs)
      if (j >= 0) ++readers[j], reader[j] = l.index;
  for (const Head& h : net.heads) {  // a head reads its layers too: never a pair's first
    if (h.source >= 0) readers[h.source] += 2;
    if (h.layer >= 0) readers[h.layer] += 2;
  }
  std::vector<std::pair<int, int>> pairs;
  std::vector<bool> taken(n, false);
  for (const Layer& first : net.layers) {
    const int i = first.index;
    if (first.type != LayerType::Convolutional || taken[i] || readers[i] != 1 || first.inputs.size() != 1 ||
        first.inputs[0] < 0)
      continue;
    const Layer& second = net.layers[reader[i]];
    if (second.type != LayerType::Convolutional || second.inputs != std::vector<int>{i} || taken[second.index] ||
        !runs(first, second))
      continue;
    taken[i] = taken[second.index] = true;
    pairs.emplace_back(i, second.index);
  }
  return pairs;
}

}  // namespace lightnet::cuda
