// Shared helpers for the model tests: paths to ../shared and scratch files under LIGHTNET_TEST_TMP.
#pragma once
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace lightnet::test {

inline std::string shared_path(const std::string& rel) { return std::string(LIGHTNET_SHARED_DIR) + "/" + rel; }

inline bool shared_exists(const std::string& rel) { return std::filesystem::exists(shared_path(rel)); }

// Writes `content` to LIGHTNET_TEST_TMP/<name> and returns the path.
inline std::string write_temp(const std::string& name, const std::string& content) {
  std::filesystem::create_directories(LIGHTNET_TEST_TMP);
  const std::string path = std::string(LIGHTNET_TEST_TMP) + "/" + name;
  std::ofstream(path, std::ios::binary | std::ios::trunc) << content;
  return path;
}

inline std::string temp_path(const std::string& name) {
  std::filesystem::create_directories(LIGHTNET_TEST_TMP);
  return std::string(LIGHTNET_TEST_TMP) + "/" + name;
}

// Runs `fn`, expects a lightnet::ModelError, and returns its what().
template <class Fn>
std::string model_error_of(Fn&& fn) {
  try {
    fn();
  } catch (const ModelError& e) {
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "expected ModelError, got another exception: " << e.what();
    return "";
  }
  ADD_FAILURE() << "expected ModelError, nothing was thrown";
  return "";
}

}  // namespace lightnet::test
