// A room's ordered message log in Redis for cluster mode: seq assignment and append are one
// atomic step (a Lua script), so every node hands out the same gap-free seq order.
//
// Key layout (docs/SCALING.md "Key layout"). Every key of one room carries the hash tag
// {r:<room_key>}, so a room's keys live in one Redis Cluster slot and a script may touch them
// all. <room_key> is the store's name for the room (store::room_key_for: a keyed hash of the
// room id), never the room id itself, which is the capability to join the room.
//
//   {r:<room_key>}:seq  string  the last seq handed out
//   {r:<room_key>}:log  stream  entry id "<seq>-0", one field "m" = the message record (JSON),
//                               trimmed to the replay limit (MAXLEN)
//   {r:<room_key>}:lock string  "1" once the room is signed-only (ROOMS.md §7.3)
//   {r:<room_key>}:presence hash  node id -> that node's presence in the room (room_record.h)
//   {r:<room_key>}:nonce:<handle>:<nonce>  string  a signed post's nonce (ROOMS.md §20.7), kept
//                               for the replay window, so a post replayed to another node is
//                               refused as on the node that took it (kRoomReplayedReply)
//
// The append also PUBLISHes "<room_key> <seq> <record>" on AppendRequest::channel, inside the
// same script: every node receives each room's messages in seq order, once per node however
// many subscribers it serves (live fan-out, docs/SCALING.md).
//
// Both keys get the room's retention as a PEXPIRE on every append, so an idle room's keys
// expire together. A room that comes back starts at AppendRequest::min_seq, the store's
// high-water mark (ROOMS.md §20.8), so a seq is never handed out twice.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cluster/redis_connection.h"
#include "core/result.h"

namespace b2b::cluster {

std::string room_hash_tag(std::string_view room_key);      // "{r:<room_key>}"
std::string room_seq_key(std::string_view room_key);       // "{r:<room_key>}:seq"
std::string room_log_key(std::string_view room_key);       // "{r:<room_key>}:log"
std::string room_lock_key(std::string_view room_key);      // "{r:<room_key>}:lock"
std::string room_presence_key(std::string_view room_key);  // "{r:<room_key>}:presence"
// "{r:<room_key>}:nonce:<handle>:<nonce>": a signed post's nonce, remembered by every node.
std::string room_nonce_key(std::string_view room_key, std::string_view signer_nonce);

// The error detail of an append refused because the room is signed-only and the post is not
// signed (nothing was written, no seq used).
inline constexpr std::string_view kRoomLockedReply = "LOCKED";
// The error detail of a signed append whose nonce another node already accepted.
inline constexpr std::string_view kRoomReplayedReply = "REPLAYED";

// The append script's source (needs Redis 7: its `#!lua` line makes Redis refuse it up front
// under maxmemory instead of failing halfway).
const std::string& room_append_script();

struct AppendRequest {
  std::string room_key;
  std::string record;        // the message as the relay serialises it
  int64_t min_seq = 1;       // the first seq this room may hand out (store high-water mark)
  int64_t max_len = 2000;    // entries kept (--room-buffer-max)
  int64_t ttl_ms = 0;        // retention of the room's keys; 0: none
  bool is_signed = true;     // an unsigned post to a signed-only room is refused (kRoomLockedReply)
  bool lock = false;         // this (signed) post makes the room signed-only
  std::string channel;       // where to PUBLISH the numbered record; empty: nowhere
  std::string signer_nonce;  // "<handle>:<nonce>" of a signed post; empty: unsigned
  int64_t nonce_ttl_ms = 0;  // how long that nonce is refused afterwards
};

struct LogEntry {
  int64_t seq = 0;
  std::string record;
};

// A room as Redis holds it, for a node that starts serving it.
struct RoomSnapshot {
  int64_t last_seq = 0;  // the last seq handed out (0: the room has none)
  bool signed_only = false;
  std::vector<LogEntry> entries;      // the newest ones, oldest first
  std::vector<std::string> presence;  // every node's presence record (room_record.h)
};

// One node's presence in a room: kept in the room's presence hash (removed when `gone`) and
// published on `channel` as "<room_key> 0 <record>".
struct PresenceUpdate {
  std::string room_key;
  std::string node;
  std::string record;
  bool gone = false;
  int64_t ttl_ms = 0;
  std::string channel;
};

// Callbacks hold what they need (the connection, the script's sha), not the RoomLog: it may be
// destroyed with appends in flight.
class RoomLog {
 public:
  explicit RoomLog(std::shared_ptr<RedisConnection> redis)
      : redis_(std::move(redis)), sha_(std::make_shared<std::string>()) {}

  // SCRIPT LOAD; call from the connection's on_ready (a restarted Redis has no scripts).
  // Appends work without it too: a missing script is sent in full once (NOSCRIPT fallback).
  void load_script(std::function<void(core::Result<bool>)> done);

  // Appends one record; `done` gets its seq. On any error nothing was written and no seq was
  // used: the script checks everything before its first write.
  void append(const AppendRequest& request, std::function<void(core::Result<int64_t>)> done);

  // Up to `count` entries with seq > after_seq, in seq order. A first seq above after_seq + 1
  // means the entries between were trimmed (a gap for the reader).
  void read_after(const std::string& room_key, int64_t after_seq, int64_t count,
                  std::function<void(core::Result<std::vector<LogEntry>>)> done);

  void publish_presence(const PresenceUpdate& update, std::function<void(core::Result<bool>)> done);

  // The room's counter, lock, newest `count` entries and presence, read in one step.
  void load(const std::string& room_key, int64_t count,
            std::function<void(core::Result<RoomSnapshot>)> done);

 private:
  std::shared_ptr<RedisConnection> redis_;
  std::shared_ptr<std::string> sha_;  // from SCRIPT LOAD; empty until then
};

}  // namespace b2b::cluster
