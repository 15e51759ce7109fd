// A wait cursor on disk: the last room seq a consumer has durably handed on, so the next wait
// resumes exactly there however long the consumer was away (issue: lossless wake-ups).
//
// File format (JSON, replaced atomically): {"seq":N,"room":"<id>","name":"<label>","updated_ms":T}
// Only `seq` is read back; the rest tells a human which room and label the file belongs to.
//
// API:
//   default_cursor_path(room_id, name)  $XDG_STATE_HOME/bot2bot/cursors/<room>.<name-tag>.json,
//                                       else ~/.local/state/bot2bot/cursors/…; <name-tag> is the
//                                       label's safe characters plus a hash, so no two labels
//                                       share a file and no label escapes the folder
//   load_cursor(path)                   nullopt when the file does not exist yet; an Error when
//                                       it exists but is unreadable or malformed
//   save_cursor(path, seq, room_id, name)
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "core/result.h"

namespace b2b::client {

std::string default_cursor_path(std::string_view room_id, std::string_view name);
// The general form: $XDG_STATE_HOME/bot2bot/<folder>/<room>.<name-tag>.json (cursors, budgets).
std::string per_room_state_path(std::string_view folder, std::string_view room_id,
                                std::string_view name);
core::Result<std::optional<int64_t>> load_cursor(const std::string& path);
core::Result<std::monostate> save_cursor(const std::string& path, int64_t seq,
                                         std::string_view room_id, std::string_view name);

}  // namespace b2b::client
