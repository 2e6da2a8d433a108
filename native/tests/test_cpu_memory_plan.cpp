// The arena planner: buffers whose lifetimes overlap never share bytes; dead buffers are reused.
#include <gtest/gtest.h>

#include "cpu/memory_plan.h"

namespace lightnet::cpu {
namespace {

TEST(MemoryPlan, ReusesDeadBuffersAndAligns) {
  // A [0,1], B [1,2], C [2,3]: C may take A's place (A's last use 1 < C's first use 2), not B's.
  MemoryPlan p = plan_memory({{100, 0, 1}, {100, 1, 2}, {100, 2, 3}}, 64);
  EXPECT_EQ(p.offsets, (std::vector<size_t>{0, 128, 0}));
  EXPECT_EQ(p.total, 256u);
}

TEST(MemoryPlan, GapTooSmallIsSkipped) {
  // A [0,0] 64 B frees a 64-byte hole below B; C needs 128 and goes above B.
  MemoryPlan p = plan_memory({{64, 0, 0}, {64, 0, 5}, {128, 1, 5}, {64, 2, 5}}, 64);
  EXPECT_EQ(p.offsets[0], 0u);
  EXPECT_EQ(p.offsets[1], 64u);
  EXPECT_EQ(p.offsets[2], 128u);
  EXPECT_EQ(p.offsets[3], 0u);  // fits the hole A left
  EXPECT_EQ(p.total, 256u);
}

TEST(MemoryPlan, OverlappingLifetimesNeverShareBytes) {
  std::vector<BufferRequest> r;
  for (int i = 0; i < 40; ++i) r.push_back({size_t(64 * (1 + (i * 7) % 5)), i % 13, i % 13 + (i * 3) % 6});
  MemoryPlan p = plan_memory(r, 64);
  for (size_t a = 0; a < r.size(); ++a)
    for (size_t b = a + 1; b < r.size(); ++b) {
      bool alive_together = r[a].first <= r[b].last && r[b].first <= r[a].last;
      bool bytes_overlap = p.offsets[a] < p.offsets[b] + r[b].bytes && p.offsets[b] < p.offsets[a] + r[a].bytes;
      EXPECT_FALSE(alive_together && bytes_overlap) << a << " and " << b;
      EXPECT_LE(p.offsets[a] + r[a].bytes, p.total);
    }
}

}  // namespace
}  // namespace lightnet::cpu
