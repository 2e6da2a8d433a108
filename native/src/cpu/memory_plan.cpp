#include "cpu/memory_plan.h"

#include <algorithm>
#include <numeric>

namespace lightnet::cpu {

MemoryPlan plan_memory(const std::vector<BufferRequest>& requests, size_t alignment) {
  struct Block {
    size_t offset, size;
    int last;
  };
  MemoryPlan plan;
  plan.offsets.assign(requests.size(), 0);
  std::vector<size_t> order(requests.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return requests[a].first < requests[b].first; });
  std::vector<Block> live;  // sorted by offset
  for (size_t id : order) {
    const BufferRequest& r = requests[id];
    const size_t size = (r.bytes + alignment - 1) / alignment * alignment;
    live.erase(std::remove_if(live.begin(), live.end(), [&](const Block& b) { return b.last < r.first; }),
               live.end());
    size_t at = 0;
    for (const Block& b : live) {
      if (b.offset >= at + size) break;  // the gap before b fits
      at = std::max(at, b.offset + b.size);
    }
    plan.offsets[id] = at;
    live.insert(std::upper_bound(live.begin(), live.end(), at,
                                 [](size_t off, const Block& b) { return off < b.offset; }),
                {at, size, r.last});
    plan.total = std::max(plan.total, at + size);
  }
  return plan;
}

}  // namespace lightnet::cpu
