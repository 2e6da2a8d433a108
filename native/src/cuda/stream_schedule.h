// Which of the engine's steps may run concurrently, decided once per engine on the host.
// The CUDA engine issues one step per computed layer (memory_plan.h decides which layers compute). Steps touch
// regions of the planned arena; two steps must run in program order when their regions overlap and one of them
// writes (the arena reuses bytes, so this covers more than the layers' data flow). Everything else may overlap
// in time: the schedule spreads the steps over a few streams ("lanes") with event waits where a step needs a
// step of another lane, so that a graph captured from them is a DAG instead of a chain.
// Pure C++ (no CUDA headers): the planning is unit-tested on machines without the CUDA backend.
#pragma once
#include <vector>

#include "cuda/memory_plan.h"
#include "lightnet/network.h"

namespace lightnet::cuda {

// Channels [channel_begin, channel_end) of every pixel of one storage (all images of the batch).
struct Region {
  int storage = -1;
  int channel_begin = 0, channel_end = 0;
};

struct NetworkStep {
  int layer = -1;
  std::vector<Region> reads;
  std::vector<Region> writes;  // one region, or one per copied input of a concat
  std::vector<int> copies;     // a concat's step: the positions (in its input list) of the inputs it copies
};

// The steps CudaEngine::add_steps launches, in launch order: none for in-place views (writes_in_place), fused
// upsamples (their concat reads the upsample's input) and concats whose inputs all sit in place (concat_done).
std::vector<NetworkStep> network_steps(const Network& net, const MemoryPlan& plan);

// True when the two regions share bytes of the arena (channel ranges of one storage, or storages placed on
// overlapping arena bytes).
bool regions_overlap(const Region& a, const Region& b, const MemoryPlan& plan);

struct StepLane {
  int lane = 0;
  std::vector<int> waits;  // steps on other lanes this step waits for (events), none implied by another
  bool record = false;     // an event is recorded after it (a later step or the join waits for it)
};

struct LaneSchedule {
  int lanes = 1;                // lanes used (lane 0 is the engine's own stream)
  std::vector<StepLane> steps;  // per step of network_steps()
  std::vector<int> joins;       // the tail of every other lane: the engine's stream waits for them at the end
  int waits() const;            // event waits in all
};

// Greedy in step order: a step continues the lane of its latest dependency at that lane's tail, else takes a
// lane whose tail it already waits for (vector clocks), else opens a lane (up to `max_lanes`), else joins the
// lane with the oldest tail. `max_lanes` ≥ 1; 1 gives one lane and no waits.
LaneSchedule schedule_lanes(const std::vector<NetworkStep>& steps, const MemoryPlan& plan, int max_lanes);

}  // namespace lightnet::cuda
