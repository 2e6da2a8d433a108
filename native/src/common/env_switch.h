// An on/off environment variable: unset gives `fallback`, "1" on, "0" off; any other value is an error naming
// the variable, so that a mistyped switch is not silently taken as either.
#pragma once
#include <cstdlib>
#include <stdexcept>
#include <string>

namespace lightnet {

inline bool env_switch(const char* name, bool fallback) {
  const char* v = std::getenv(name);
  if (!v) return fallback;
  const std::string s = v;
  if (s == "1") return true;
  if (s == "0") return false;
  throw std::invalid_argument(std::string(name) + ": expected 0 or 1, found \"" + s + "\"");
}

}  // namespace lightnet
