#include "client/cursor_file.h"

#include <sodium.h>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "client/atomic_file.h"
#include "client/relay_types.h"
#include "core/clock.h"

namespace b2b::client {
namespace fs = std::filesystem;

namespace {

fs::path state_dir() {
  if (const char* xdg = std::getenv("XDG_STATE_HOME"); xdg != nullptr && *xdg != '\0') {
    return fs::path(xdg) / "bot2bot";
  }
  const char* home = std::getenv("HOME");
  return fs::path(home != nullptr ? home : ".") / ".local" / "state" / "bot2bot";
}

// Labels may hold any character (spaces, '/', '@', emoji): keep a readable safe part and add
// 8 hex digits of SHA-256 so labels that differ only in unsafe characters never collide.
std::string name_tag(std::string_view name) {
  std::string safe;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_';
    if (ok && safe.size() < 40) safe.push_back(c);
  }
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(name.data()), name.size());
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (int i = 0; i < 4; ++i) {
    hex.push_back(kHex[digest[i] >> 4]);
    hex.push_back(kHex[digest[i] & 15]);
  }
  return (safe.empty() ? "label" : safe) + "-" + hex;
}

}  // namespace

std::string per_room_state_path(std::string_view folder, std::string_view room_id,
                                std::string_view name) {
  // Room ids are [A-Za-z0-9_-]{4,64} (ROOMS.md §2.1), safe as a file name as they are.
  return (state_dir() / std::string(folder) /
          (std::string(room_id) + "." + name_tag(name) + ".json"))
      .string();
}

std::string default_cursor_path(std::string_view room_id, std::string_view name) {
  return per_room_state_path("cursors", room_id, name);
}

core::Result<std::optional<int64_t>> load_cursor(const std::string& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return std::optional<int64_t>{};
  std::ifstream in(path, std::ios::binary);
  if (!in) return core::Error{"cannot read cursor", path};
  std::stringstream ss;
  ss << in.rdbuf();
  boost::json::error_code jec;
  auto v = boost::json::parse(ss.str(), jec);
  const auto* obj = jec ? nullptr : v.if_object();
  const auto* seq = obj != nullptr ? obj->if_contains("seq") : nullptr;
  auto n = json_int(seq);
  if (!n || *n < 0) {
    return core::Error{"bad cursor file", path + " has no {\"seq\": N} (delete it to start over)"};
  }
  return std::optional<int64_t>{*n};
}

core::Result<std::monostate> save_cursor(const std::string& path, int64_t seq,
                                         std::string_view room_id, std::string_view name) {
  const int64_t now = core::wall_clock_ms();
  boost::json::object o{{"seq", seq}, {"room", room_id}, {"name", name}, {"updated_ms", now}};
  return write_file_atomically(path, boost::json::serialize(o) + "\n", 0600);
}

}  // namespace b2b::client
