// Small files holding key material: written atomically (temp file + rename), created with mode
// 0600 from the start in a 0700 directory, so the keys are never readable by others, not even
// for a moment. The contents are never logged.
#pragma once

#include <optional>
#include <string>

#include "core/result.h"

namespace b2b::mcp {

// Writes `bytes` to `path`, creating the parent directories (0700).
core::Result<bool> write_secret_file(const std::string& path, const std::string& bytes);

// The whole file, or nullopt when it does not exist; an error when it exists but cannot be
// read.
core::Result<std::optional<std::string>> read_file_if_exists(const std::string& path);

}  // namespace b2b::mcp
