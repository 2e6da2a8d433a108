#include "darknet/cfg_reader.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "lightnet/model_loader.h"

namespace lightnet::darknet {

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v'; }

std::string trim(const std::string& s) {
  size_t b = 0, e = s.size();
  while (b < e && is_space(s[b])) ++b;
  while (e > b && is_space(s[e - 1])) --e;
  return s.substr(b, e - b);
}

// Splits on commas and whitespace; LightNet colormaps sometimes miss a comma ("0,255,0  255,0,255").
std::vector<std::string> split_numbers(const std::string& s) {
  std::vector<std::string> items;
  std::string cur;
  for (char c : s) {
    if (c == ',' || is_space(c)) {
      if (!cur.empty()) items.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) items.push_back(cur);
  return items;
}

}  // namespace

bool parse_int(const std::string& s, int& out) {
  if (s.empty()) return false;
  errno = 0;
  char* end = nullptr;
  long v = std::strtol(s.c_str(), &end, 10);
  if (end != s.c_str() + s.size() || errno == ERANGE || v < INT32_MIN || v > INT32_MAX) return false;
  out = int(v);
  return true;
}

bool parse_float(const std::string& s, float& out) {
  if (s.empty()) return false;
  errno = 0;
  char* end = nullptr;
  float v = std::strtof(s.c_str(), &end);
  if (end != s.c_str() + s.size() || errno == ERANGE || !std::isfinite(v)) return false;
  out = v;
  return true;
}

void CfgSection::add(CfgEntry entry) {
  if (const CfgEntry* prev = find(entry.key)) {
    throw ModelError(file_, entry.line,
                     "[" + type_ + "] " + entry.key + "=" + entry.value + ": key given twice in one section (first at line " +
                         std::to_string(prev->line) + ")");
  }
  entries_.push_back(std::move(entry));
  used_.push_back(false);
}

const CfgEntry* CfgSection::find(const std::string& key) const {
  for (size_t i = 0; i < entries_.size(); ++i) {
    if (entries_[i].key == key) {
      used_[i] = true;
      return &entries_[i];
    }
  }
  return nullptr;
}

int CfgSection::line_of(const std::string& key) const {
  const CfgEntry* e = find(key);
  return e ? e->line : line_;
}

const CfgEntry& CfgSection::require(const std::string& key) const {
  const CfgEntry* e = find(key);
  if (!e) fail_section("missing required key '" + key + "'");
  if (e->value.empty()) fail(key, "expected a value");
  return *e;
}

void CfgSection::fail(const std::string& key, const std::string& message) const {
  const CfgEntry* e = find(key);
  if (!e) throw ModelError(file_, line_, "[" + type_ + "] " + key + ": " + message);
  throw ModelError(file_, e->line, "[" + type_ + "] " + key + "=" + e->value + ": " + message);
}

void CfgSection::fail_section(const std::string& message) const {
  throw ModelError(file_, line_, "[" + type_ + "]: " + message);
}

int CfgSection::get_int(const std::string& key, int fallback) const {
  const CfgEntry* e = find(key);
  if (!e) return fallback;
  int v = 0;
  if (!parse_int(e->value, v)) fail(key, "expected an integer");
  return v;
}

int CfgSection::require_int(const std::string& key) const {
  require(key);
  return get_int(key, 0);
}

float CfgSection::get_float(const std::string& key, float fallback) const {
  const CfgEntry* e = find(key);
  if (!e) return fallback;
  float v = 0;
  if (!parse_float(e->value, v)) fail(key, "expected a number");
  return v;
}

std::string CfgSection::get_string(const std::string& key, const std::string& fallback) const {
  const CfgEntry* e = find(key);
  return e ? e->value : fallback;
}

std::string CfgSection::require_string(const std::string& key) const { return require(key).value; }

std::vector<int> CfgSection::get_int_list(const std::string& key) const {
  std::vector<int> out;
  const CfgEntry* e = find(key);
  if (!e) return out;
  for (const auto& item : split_numbers(e->value)) {
    int v = 0;
    if (!parse_int(item, v)) fail(key, "expected a list of integers ('" + item + "' is not one)");
    out.push_back(v);
  }
  return out;
}

std::vector<int> CfgSection::require_int_list(const std::string& key) const {
  require(key);
  auto v = get_int_list(key);
  if (v.empty()) fail(key, "expected a list of integers");
  return v;
}

std::vector<float> CfgSection::get_float_list(const std::string& key) const {
  std::vector<float> out;
  const CfgEntry* e = find(key);
  if (!e) return out;
  for (const auto& item : split_numbers(e->value)) {
    float v = 0;
    if (!parse_float(item, v)) fail(key, "expected a list of numbers ('" + item + "' is not one)");
    out.push_back(v);
  }
  return out;
}

std::vector<std::string> CfgSection::get_name_list(const std::string& key) const {
  std::vector<std::string> out;
  const CfgEntry* e = find(key);
  if (!e) return out;
  std::stringstream ss(e->value);
  for (std::string item; std::getline(ss, item, ',');) {
    item = trim(item);
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

std::vector<CfgEntry> CfgSection::unused_entries() const {
  std::vector<CfgEntry> out;
  for (size_t i = 0; i < entries_.size(); ++i)
    if (!used_[i]) out.push_back(entries_[i]);
  return out;
}

std::vector<CfgSection> parse_cfg(const std::string& text, const std::string& file_name) {
  std::vector<CfgSection> sections;
  const bool bom = text.compare(0, 3, "\xEF\xBB\xBF") == 0;  // UTF-8 byte order mark from some editors
  std::istringstream in(bom ? text.substr(3) : text);
  int line_no = 0;
  for (std::string raw; std::getline(in, raw);) {
    ++line_no;
    const std::string line = trim(raw);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line[0] == '[') {
      const size_t close = line.find(']');
      if (close == std::string::npos) throw ModelError(file_name, line_no, "'" + line + "': expected a section header '[name]'");
      const std::string type = trim(line.substr(1, close - 1));
      const std::string rest = trim(line.substr(close + 1));
      if (type.empty()) throw ModelError(file_name, line_no, "'" + line + "': empty section name");
      if (!rest.empty() && rest[0] != '#' && rest[0] != ';')
        throw ModelError(file_name, line_no, "'" + line + "': unexpected text after the section header");
      sections.emplace_back(file_name, type, line_no);
      continue;
    }
    const size_t eq = line.find('=');
    if (eq == std::string::npos) throw ModelError(file_name, line_no, "'" + line + "': expected key=value");
    CfgEntry entry{trim(line.substr(0, eq)), trim(line.substr(eq + 1)), line_no};
    if (entry.key.empty()) throw ModelError(file_name, line_no, "'" + line + "': missing key before '='");
    if (sections.empty())
      throw ModelError(file_name, line_no, "'" + line + "': key=value before the first section (expected [net] first)");
    sections.back().add(std::move(entry));
  }
  return sections;
}

std::vector<CfgSection> read_cfg_file(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) throw ModelError(path, 0, "cfg file not found");
  if (std::filesystem::is_directory(path, ec)) throw ModelError(path, 0, "is a directory, expected a .cfg file");
  std::ifstream f(path, std::ios::binary);
  if (!f) throw ModelError(path, 0, "cannot open cfg file for reading");
  std::ostringstream ss;
  ss << f.rdbuf();
  if (f.bad()) throw ModelError(path, 0, "read error");
  return parse_cfg(ss.str(), path);
}

}  // namespace lightnet::darknet
