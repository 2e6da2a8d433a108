#include "cuda/stream_schedule.h"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace lightnet::cuda {
namespace {

Region region_of(const Placement& p) { return {p.storage, p.channel_offset, p.channel_offset + p.c}; }

bool is_concat(const Layer& l) { return l.type == LayerType::Route && l.inputs.size() > 1; }

}  // namespace

std::vector<NetworkStep> network_steps(const Network& net, const MemoryPlan& plan) {
  auto placement_of = [&](int j) -> const Placement& { return j < 0 ? plan.input : plan.layers.at(j); };
  std::vector<NetworkStep> steps;
  for (const Layer& l : net.layers) {
    if (plan.writes_in_place[l.index]) continue;
    NetworkStep step;
    step.layer = l.index;
    switch (l.type) {
      case LayerType::Upsample:
        if (plan.upsample_fused[l.index]) continue;  // its concat computes it
        [[fallthrough]];
      case LayerType::Convolutional:
      case LayerType::Maxpool:
        step.reads = {region_of(placement_of(l.inputs.at(0)))};
        step.writes = {region_of(plan.layers[l.index])};
        break;
      case LayerType::Shortcut:
        step.reads = {region_of(placement_of(l.inputs.at(0))), region_of(placement_of(l.inputs.at(1)))};
        step.writes = {region_of(plan.layers[l.index])};
        break;
      case LayerType::Route: {
        if (!is_concat(l)) throw std::logic_error("layer " + std::to_string(l.index) + ": a one-input route computes");
        // As CudaEngine::add_steps: the whole concat (a groups route is a slice of it); every input not already
        // at its place is copied there, a fused upsample from the upsample's input.
        const auto& rp = l.as<RouteParams>();
        const Placement& pl = plan.layers[l.index];
        const int full_offset = pl.channel_offset - rp.group_id * pl.c;
        int offset = 0;
        for (size_t q = 0; q < l.inputs.size(); ++q) {
          const int j = l.inputs[q];
          const Placement& src = placement_of(j);
          if (!(src.storage == pl.storage && src.channel_offset == full_offset + offset)) {
            const bool fused = j >= 0 && plan.upsample_fused[j];
            step.reads.push_back(region_of(fused ? placement_of(net.layers[j].inputs.at(0)) : src));
            step.writes.push_back({pl.storage, full_offset + offset, full_offset + offset + src.c});
            step.copies.push_back(int(q));
          }
          offset += src.c;
        }
        if (step.writes.empty()) continue;  // every input sits in place (plan.concat_done): nothing to launch
        break;
      }
      default:
        throw std::logic_error("layer " + std::to_string(l.index) + ": " + to_string(l.type) + " has no CUDA step");
    }
    steps.push_back(std::move(step));
  }
  return steps;
}

bool regions_overlap(const Region& a, const Region& b, const MemoryPlan& plan) {
  if (a.storage == b.storage) return a.channel_begin < b.channel_end && b.channel_begin < a.channel_end;
  const Storage& s = plan.storages.at(a.storage);
  const Storage& t = plan.storages.at(b.storage);
  return s.offset < t.offset + t.bytes && t.offset < s.offset + s.bytes;
}

int LaneSchedule::waits() const {
  int n = 0;
  for (const StepLane& s : steps) n += int(s.waits.size());
  return n;
}

LaneSchedule schedule_lanes(const std::vector<NetworkStep>& steps, const MemoryPlan& plan, int max_lanes) {
  if (max_lanes < 1) throw std::invalid_argument("schedule_lanes: max_lanes: expected >= 1, found " +
                                                 std::to_string(max_lanes));
  const int n = int(steps.size());
  LaneSchedule out;
  out.steps.resize(n);
  out.lanes = 0;
  // Vector clocks: clock[k][l] = how many of lane l's first steps happen before step k, or are k.
  std::vector<std::vector<int>> clock(n, std::vector<int>(max_lanes, 0));
  std::vector<int> position(n, 0);             // index of a step within its lane
  std::vector<std::vector<int>> lane_steps;    // per opened lane, its steps in order
  auto conflict = [&](const NetworkStep& a, const NetworkStep& b) {
    for (const Region& w : a.writes) {
      for (const Region& r : b.reads) if (regions_overlap(w, r, plan)) return true;
      for (const Region& x : b.writes) if (regions_overlap(w, x, plan)) return true;
    }
    for (const Region& r : a.reads)
      for (const Region& x : b.writes) if (regions_overlap(r, x, plan)) return true;
    return false;
  };
  for (int k = 0; k < n; ++k) {
    std::vector<int> deps;  // earlier steps it must follow, latest first
    for (int m = k - 1; m >= 0; --m)
      if (conflict(steps[k], steps[m])) deps.push_back(m);
    std::vector<int> known(max_lanes, 0);  // what the dependencies' clocks already cover
    for (int d : deps)
      for (int l = 0; l < max_lanes; ++l) known[l] = std::max(known[l], clock[d][l]);
    const int opened = int(lane_steps.size());
    int lane = -1;
    for (int d : deps) {  // latest dependency that is the tail of its lane
      const int l = out.steps[d].lane;
      if (lane_steps[l].back() == d) { lane = l; break; }
    }
    for (int l = 0; lane < 0 && l < opened; ++l)  // a lane whose tail is already complete for this step
      if (known[l] >= int(lane_steps[l].size())) lane = l;
    if (lane < 0 && opened < max_lanes) {
      lane = opened;
      lane_steps.emplace_back();
    }
    if (lane < 0) {  // the lane whose tail was issued first
      lane = 0;
      for (int l = 1; l < opened; ++l)
        if (lane_steps[l].back() < lane_steps[lane].back()) lane = l;
    }
    std::vector<int>& c = clock[k];
    if (!lane_steps[lane].empty()) c = clock[lane_steps[lane].back()];
    for (int d : deps) {  // latest first: a later dependency's clock covers the earlier ones it follows
      const int l = out.steps[d].lane;
      if (c[l] > position[d]) continue;
      out.steps[k].waits.push_back(d);
      out.steps[d].record = true;
      for (int i = 0; i < max_lanes; ++i) c[i] = std::max(c[i], clock[d][i]);
    }
    std::sort(out.steps[k].waits.begin(), out.steps[k].waits.end());
    out.steps[k].lane = lane;
    position[k] = int(lane_steps[lane].size());
    lane_steps[lane].push_back(k);
    c[lane] = position[k] + 1;
  }
  out.lanes = std::max(1, int(lane_steps.size()));
  // The join: the engine's stream (lane 0) waits for the tail of every other lane. Tails it already follows
  // need no wait for the order, but stream capture demands that every forked stream rejoin the origin stream.
  for (size_t l = 1; l < lane_steps.size(); ++l) {
    out.joins.push_back(lane_steps[l].back());
    out.steps[lane_steps[l].back()].record = true;
  }
  return out;
}

}  // namespace lightnet::cuda
