// Small file helpers used at start-up (reading models, labels, configs).
#pragma once

#include <string>
#include <vector>

#include "core/result.h"

namespace vigil {

Result<std::string> read_file(const std::string& path, std::size_t max_bytes = std::size_t(1) << 31);

// Non-empty lines with CR/LF and surrounding spaces removed.
std::vector<std::string> split_lines(const std::string& text);

}  // namespace vigil
