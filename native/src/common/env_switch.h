// Settings from environment variables. A mistyped value is an error naming the variable and what it takes,
// never silently taken as something else.
#pragma once
#include <cstdlib>
#include <stdexcept>
#include <string>

namespace lightnet {

// An on/off switch: unset gives `fallback`, "1" on, "0" off.
inline bool env_switch(const char* name, bool fallback) {
  const char* v = std::getenv(name);
  if (!v) return fallback;
  const std::string s = v;
  if (s == "1") return true;
  if (s == "0") return false;
  throw std::invalid_argument(std::string(name) + ": expected 0 or 1, found \"" + s + "\"");
}

// A count: unset gives `fallback`; else decimal digits only, in least..most.
inline int env_count(const char* name, int fallback, int least, int most) {
  const char* v = std::getenv(name);
  if (!v) return fallback;
  const std::string s = v;
  long n = -1;
  if (!s.empty() && s.size() <= 9 && s.find_first_not_of("0123456789") == std::string::npos) n = std::stol(s);
  if (n < least || n > most)
    throw std::invalid_argument(std::string(name) + ": expected " + std::to_string(least) + ".." +
                                std::to_string(most) + ", found \"" + s + "\"");
  return int(n);
}

}  // namespace lightnet
