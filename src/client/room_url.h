// Room invite URLs (CLIENT-PROTOCOL.md §1.1–§1.2):
//   <base>/room/<roomId>[/]#k=<key b64url>[&m=<msgId>][&signed=1][&other=pairs]
//
// API:
//   core::Result<RoomUrl> parse_room_url(std::string_view url);
//     errors: "bad room URL" (not http(s), no /room/<id>, bad id) or "bad room key" (missing
//     k, not base64url, not exactly 32 bytes); https is refused by parse_endpoint.
//   RoomUrl::to_string()     the invite URL again (k first, then the other pairs in order)
//   RoomUrl::api_path(tail)  "/api/rooms/<id><tail>" (without the endpoint's prefix)
//   RoomUrl::fragment(name)  value of another fragment pair ("m", "signed"), or nullopt
//   new_room_id()            10 chars from ABCDEFGHJKLMNPQRSTUVWXYZ23456789 (byte mod 32)
//   new_room_key()           32 random bytes
//   make_room_url(endpoint, id, key)
//   key_fingerprint(key)     "3F2A 9C01 …": first 16 hex digits of SHA-256(key), upper case
//   decode_b64_lenient(s)    standard or URL alphabet, padded or not (for keys and fragments)
//   is_valid_room_id(id)     ^[A-Za-z0-9_-]{4,64}$
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "client/endpoint.h"
#include "core/result.h"

namespace b2b::client {

inline constexpr std::size_t kRoomKeyBytes = 32;
inline constexpr std::string_view kRoomIdAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

struct RoomUrl {
  Endpoint endpoint;
  std::string room_id;
  std::string key;                                               // 32 raw bytes
  std::vector<std::pair<std::string, std::string>> other_pairs;  // fragment pairs besides k

  std::string to_string() const;
  std::string api_path(std::string_view tail = "") const;
  std::optional<std::string> fragment(std::string_view name) const;
};

core::Result<RoomUrl> parse_room_url(std::string_view url);
bool is_valid_room_id(std::string_view id);
std::string new_room_id();
std::string new_room_key();
RoomUrl make_room_url(const Endpoint& endpoint, std::string room_id, std::string key);
std::string key_fingerprint(std::string_view key);
std::optional<std::string> decode_b64_lenient(std::string_view s);

}  // namespace b2b::client
