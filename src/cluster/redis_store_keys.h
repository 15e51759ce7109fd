// Key names of RedisStore (docs/SCALING.md "Durable state in Redis"). A handle's records carry
// the hash tag {h:<handle>}, a room's the tag {r:<room_key>} (the same tag as the room log),
// so that each group lives in one Redis Cluster slot. Index sets under b2b: let load()
// enumerate everything without KEYS or SCAN. The Lua scripts (redis_store_scripts.cpp) build
// some of these names themselves; both must change together.
#pragma once

#include <string>
#include <string_view>

namespace b2b::cluster::store_keys {

inline std::string handle_key(std::string_view handle, std::string_view suffix) {
  std::string k = "{h:";
  k.append(handle).append("}:").append(suffix);
  return k;
}
inline std::string room_key(std::string_view room, std::string_view suffix) {
  std::string k = "{r:";
  k.append(room).append("}:").append(suffix);
  return k;
}

inline std::string identity(std::string_view h) {
  return handle_key(h, "id");
}
inline std::string profile(std::string_view h) {
  return handle_key(h, "profile");
}
inline std::string dms(std::string_view h) {
  return handle_key(h, "dm");
}  // seq → DM
inline std::string dm_ids(std::string_view h) {
  return handle_key(h, "dm_id");
}  // id → seq
inline std::string cursor_rooms(std::string_view h) {
  return handle_key(h, "cursor_rooms");
}
inline std::string handle_hooks(std::string_view h) {
  return handle_key(h, "hooks");
}
inline std::string cursors(std::string_view room) {
  return room_key(room, "cursors");
}
inline std::string high_water(std::string_view room) {
  return room_key(room, "hw");
}
inline std::string hook(std::string_view id) {
  return "b2b:hook:" + std::string(id);
}
inline std::string hook_deliveries(std::string_view id) {
  return "b2b:hook_deliveries:" + std::string(id);
}
inline std::string delivery(std::string_view id) {
  return "b2b:delivery:" + std::string(id);
}

inline constexpr const char* kRoomKeySecret = "b2b:room_key_secret";
inline constexpr const char* kHandles = "b2b:handles";           // set: handles with identity
inline constexpr const char* kProfiles = "b2b:profiles";         // set: handles with profile
inline constexpr const char* kInboxes = "b2b:inboxes";           // set: handles with DMs
inline constexpr const char* kDmTimes = "b2b:dm_ts";             // zset "<handle>/<seq>" by ts
inline constexpr const char* kCursorRooms = "b2b:cursor_rooms";  // set: rooms with cursors
inline constexpr const char* kHighWaterRooms = "b2b:hw_rooms";   // set: rooms with a mark
inline constexpr const char* kHooks = "b2b:hooks";               // set: webhook ids
inline constexpr const char* kDeliveries = "b2b:deliveries";     // zset id by created_at
inline constexpr const char* kFinishedDeliveries = "b2b:deliveries_done";  // by updated_at

}  // namespace b2b::cluster::store_keys
