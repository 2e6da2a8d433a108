// lightnet::ModelError: every bad-model-input error carries the file and (when known) the line.
#include "lightnet/model_loader.h"

namespace lightnet {

namespace {
std::string format_location(const std::string& file, int line, const std::string& message) {
  if (file.empty()) return message;
  if (line > 0) return file + ":" + std::to_string(line) + ": " + message;
  return file + ": " + message;
}
}  // namespace

ModelError::ModelError(const std::string& file, int line, const std::string& message)
    : std::runtime_error(format_location(file, line, message)), file_(file), line_(line) {}

}  // namespace lightnet
