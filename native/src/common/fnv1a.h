// FNV-1a, 64 bit: a content hash that is stable across platforms and runs, for cache and table keys (not for
// security).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace lightnet {

struct Fnv1a {
  uint64_t h = 1469598103934665603ull;
  void bytes(const void* data, size_t n) {
    const auto* p = static_cast<const unsigned char*>(data);
    for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 1099511628211ull;
  }
  template <class T> void value(const T& v) { bytes(&v, sizeof v); }
  void text(const std::string& s) { value(s.size()); bytes(s.data(), s.size()); }
};

}  // namespace lightnet
