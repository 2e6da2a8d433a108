// Running the independent Python/OpenCV reference scripts from C++ tests.
#pragma once
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace lightnet::testing {

constexpr const char* kPython = "/usr/bin/python3";

// True when /usr/bin/python3 can import cv2 and numpy (Debian python3-opencv).
inline bool have_python_cv2() {
  static int ok = -1;
  if (ok < 0) ok = std::system("/usr/bin/python3 -c 'import cv2, numpy' >/dev/null 2>&1") == 0;
  return ok == 1;
}

inline std::string reference_script(const std::string& name) {
  // CMake compiles with absolute paths: this header sits next to reference/.
  return (std::filesystem::path(__FILE__).parent_path() / "reference" / name).string();
}

inline std::filesystem::path test_tmp(const std::string& name) {
  std::filesystem::path dir(LIGHTNET_TEST_TMP);
  std::filesystem::create_directories(dir);
  return dir / name;
}

// Runs the command; returns its exit status (0 = success).
inline int run_command(const std::string& command) { return std::system(command.c_str()); }

template <class T>
void write_raw(const std::filesystem::path& path, const std::vector<T>& data) {
  std::ofstream f(path, std::ios::binary);
  f.write(reinterpret_cast<const char*>(data.data()), std::streamsize(data.size() * sizeof(T)));
}

template <class T>
std::vector<T> read_raw(const std::filesystem::path& path) {
  std::ifstream f(path, std::ios::binary | std::ios::ate);
  if (!f) return {};
  std::vector<T> v(size_t(f.tellg()) / sizeof(T));
  f.seekg(0);
  f.read(reinterpret_cast<char*>(v.data()), std::streamsize(v.size() * sizeof(T)));
  return v;
}

}  // namespace lightnet::testing
