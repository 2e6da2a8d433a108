// The calibration image set: an image list file (LightNet-TRT's format) or a folder.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

#include "lightnet/quantization.h"

namespace lightnet {

namespace fs = std::filesystem;

namespace {

bool is_image_file(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  for (const char* e : {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".ppm", ".pgm"})
    if (ext == e) return true;
  return false;
}

std::string trim(const std::string& s) {
  const size_t a = s.find_first_not_of(" \t\r\n"), b = s.find_last_not_of(" \t\r\n");
  return a == std::string::npos ? "" : s.substr(a, b - a + 1);
}

}  // namespace

std::vector<std::string> calibration_images(const std::string& list_or_folder) {
  std::error_code ec;
  std::vector<std::string> out;
  if (fs::is_directory(list_or_folder, ec)) {
    for (const auto& e : fs::directory_iterator(list_or_folder, ec))
      if (e.is_regular_file() && is_image_file(e.path())) out.push_back(e.path().string());
    std::sort(out.begin(), out.end());
    if (out.empty()) throw std::runtime_error(list_or_folder + ": no image files (.jpg, .png, …) in this folder");
    return out;
  }
  std::ifstream in(list_or_folder);
  if (!in) throw std::runtime_error(list_or_folder + ": cannot open the calibration image list or folder");
  const fs::path dir = fs::path(list_or_folder).parent_path();
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    const std::string p = trim(line);
    if (p.empty() || p[0] == '#') continue;
    if (fs::is_regular_file(p, ec)) {
      out.push_back(p);
    } else if (fs::path(p).is_relative() && fs::is_regular_file(dir / p, ec)) {
      out.push_back((dir / p).string());
    } else {
      throw std::runtime_error(list_or_folder + ":" + std::to_string(n) + ": image '" + p + "' not found");
    }
  }
  if (out.empty()) throw std::runtime_error(list_or_folder + ": the calibration image list is empty");
  return out;
}

}  // namespace lightnet
