// Replacing a small file so that a reader (or a crash) sees the old contents or the new ones,
// never a mix: write a temp file beside it, fsync, rename over the target.
//
// API:
//   write_file_atomically(path, text, mode)  creates missing parent directories (0700); the temp
//                                            file is created with `mode` from the start (O_EXCL),
//                                            so secrets never exist with a looser mode.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>
#include <variant>

#include "core/result.h"

namespace b2b::client {

core::Result<std::monostate> write_file_atomically(const std::string& path, std::string_view text,
                                                   mode_t mode);

}  // namespace b2b::client
