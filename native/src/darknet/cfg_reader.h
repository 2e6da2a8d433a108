// darknet .cfg text → sections of key/value entries with their line numbers (the ParamDict seam: the IR
// builder reads typed values from a CfgSection and never sees cfg syntax).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace lightnet::darknet {

struct CfgEntry {
  std::string key;
  std::string value;  // trimmed; inner whitespace kept (list getters treat it as a separator)
  int line = 0;
};

// One `[type]` section. Typed getters throw lightnet::ModelError("<file>:<line>: [type] key=value: …").
// Every getter marks its key as used, so the keys nobody asked for (training-only or unknown) can be listed.
class CfgSection {
 public:
  CfgSection(std::string file, std::string type, int line) : file_(std::move(file)), type_(std::move(type)), line_(line) {}

  const std::string& file() const { return file_; }
  const std::string& type() const { return type_; }
  int line() const { return line_; }
  const std::vector<CfgEntry>& entries() const { return entries_; }

  // Adds an entry; a key given twice in one section is an error (darknet would silently take the first).
  void add(CfgEntry entry);

  bool has(const std::string& key) const { return find(key) != nullptr; }
  const CfgEntry* find(const std::string& key) const;
  // Line of `key` if present, else the section header's line (for errors about a missing or derived value).
  int line_of(const std::string& key) const;

  int get_int(const std::string& key, int fallback) const;
  int require_int(const std::string& key) const;
  float get_float(const std::string& key, float fallback) const;
  std::string get_string(const std::string& key, const std::string& fallback) const;
  std::string require_string(const std::string& key) const;
  // Comma- (or whitespace-) separated lists; empty items from doubled or trailing commas are skipped.
  std::vector<int> get_int_list(const std::string& key) const;
  std::vector<int> require_int_list(const std::string& key) const;
  std::vector<float> get_float_list(const std::string& key) const;
  // Comma-separated names, each trimmed (names may contain inner spaces).
  std::vector<std::string> get_name_list(const std::string& key) const;

  // "<file>:<line>: [type] key=value: message" as a ModelError, for checks done by the caller.
  [[noreturn]] void fail(const std::string& key, const std::string& message) const;
  // "<file>:<line>: [type]: message" at the section header.
  [[noreturn]] void fail_section(const std::string& message) const;

  // Entries present but never read by a getter (training-only or unknown keys), in file order.
  std::vector<CfgEntry> unused_entries() const;

 private:
  const CfgEntry& require(const std::string& key) const;

  std::string file_;
  std::string type_;
  int line_;
  std::vector<CfgEntry> entries_;
  mutable std::vector<bool> used_;
};

// Splits cfg text into sections. `#` and `;` start comment lines; blank lines are skipped; whitespace around
// `=` is ignored. A key/value line before the first section or a line that is neither a section header nor
// `key=value` is an error naming `file_name` and the line.
std::vector<CfgSection> parse_cfg(const std::string& text, const std::string& file_name);

// Reads and parses a file; a missing or unreadable file, or a directory, is a ModelError.
std::vector<CfgSection> read_cfg_file(const std::string& path);

// Strict number parsing used by the getters (whole string, no trailing characters). Return false on failure.
bool parse_int(const std::string& s, int& out);
bool parse_float(const std::string& s, float& out);

}  // namespace lightnet::darknet
