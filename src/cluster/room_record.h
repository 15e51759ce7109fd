// What a room message is in Redis (cluster mode): the posting node's draft with the id and
// timestamp it chose, as compact JSON. The seq is not in it — Redis assigns the seq in the same
// step as the append (room_log.h) and it travels as the stream entry's id and beside the record
// in the live fan-out. Every node renders the wire event from this record itself, so each
// serves byte-identical messages.
#pragma once

#include <string>
#include <string_view>

#include "core/message.h"
#include "core/presence.h"
#include "core/result.h"

namespace b2b::cluster {

struct RoomRecord {
  core::MessageDraft draft;
  std::string id;
  int64_t ts = 0;
  bool lock_first = false;  // this post locks the room signed-only (ROOMS.md §7.3)
};

std::string encode_room_record(const RoomRecord& record);
core::Result<RoomRecord> decode_room_record(std::string_view json);

// The record numbered: the message every node serves.
core::MessagePtr numbered_message(RoomRecord record, int64_t seq);

// One node's presence in a room (its stream members and heartbeats), as it publishes it on the
// live channel with seq 0 and keeps it in the room's presence hash. Names and X25519 public
// keys are what every member of the room sees anyway; times are absolute (ms since epoch).
struct NodePresenceRecord {
  std::string node;
  core::NodePresence presence;
};
std::string encode_node_presence(const NodePresenceRecord& record);
core::Result<NodePresenceRecord> decode_node_presence(std::string_view json);

}  // namespace b2b::cluster
