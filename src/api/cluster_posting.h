// Cluster mode's step 9 of a post (ROOMS.md §6.1): the prepared draft is numbered and appended
// in Redis (cluster_rooms.h) instead of by the local room. Shared by HTTP POST and WebSocket
// message frames, as core::post_to_room is in single-node mode.
#pragma once

#include <cstddef>
#include <functional>
#include <string>

#include "core/room_posting.h"

namespace b2b::api {

class RelayState;

// `done` runs on shard `s` with the message as every node will serve it (the room itself shows
// it once the live channel brings it back), or with kRoomLocked / kUnavailable.
void post_through_cluster(RelayState& state, std::size_t s, const std::string& room_id,
                          core::PreparedPost prepared, int64_t now_ms,
                          std::function<void(core::PostResult)> done);

}  // namespace b2b::api
