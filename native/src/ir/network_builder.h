// Parsed cfg sections → Network: [net] input, every layer (via layer_builders), heads and class names.
#pragma once
#include <string>
#include <vector>

#include "darknet/cfg_reader.h"
#include "lightnet/network.h"

namespace lightnet::ir {

// `sections` must start with [net] (or [network]). Throws ModelError naming the file and line.
Network build_network(const std::vector<darknet::CfgSection>& sections, const std::string& cfg_path);

// Keys present in the cfg that no builder read (training-only or unknown), as "<line>: [type] key", for `info`.
// darknet warns about unknown keys instead of failing; lightnet accepts them too.
std::vector<std::string> unused_cfg_keys(const std::vector<darknet::CfgSection>& sections);

// lightnet::load_cfg that also returns unused_cfg_keys() of the file (for `info`).
Network load_cfg_reporting_unused(const std::string& cfg_path, std::vector<std::string>& unused_keys);

}  // namespace lightnet::ir
