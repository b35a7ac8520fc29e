// Small file helpers used at start-up (reading models, labels, configs).
#pragma once

#include <string>
#include <vector>

#include "core/result.h"

namespace vigil {

Result<std::string> read_file(const std::string& path, std::size_t max_bytes = std::size_t(1) << 31);

// Writes `data` to a temporary file created with `mode` (so a secret is never readable by others, not even for a
// moment), fsyncs it and renames it over `path`: readers see the old file or the new one, never a part.
Status write_file_atomic(const std::string& path, const std::string& data, unsigned mode = 0644);

// Non-empty lines with CR/LF and surrounding spaces removed.
std::vector<std::string> split_lines(const std::string& text);

}  // namespace vigil
