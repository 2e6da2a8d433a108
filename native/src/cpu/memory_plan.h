// Offsets for buffers with known lifetimes in one arena: a buffer may reuse the bytes of any buffer whose
// last use is strictly before its first use (first fit, in order of first use).
#pragma once
#include <cstddef>
#include <vector>

namespace lightnet::cpu {

struct BufferRequest {
  size_t bytes = 0;
  int first = 0, last = 0;  // inclusive lifetime, in step order
};

struct MemoryPlan {
  std::vector<size_t> offsets;  // per request, multiples of the alignment
  size_t total = 0;             // arena size in bytes
};

MemoryPlan plan_memory(const std::vector<BufferRequest>& requests, size_t alignment);

}  // namespace lightnet::cpu
