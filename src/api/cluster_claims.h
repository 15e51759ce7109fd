// Claim/ack in cluster mode (`serve --redis`): the routes of rooms_claim.cpp branch here when
// `state.cluster` is set, after the same parsing and authentication.
//
// The cursor and lease of (handle, room) are Redis's (cluster/room_claims.h): each claim or ack
// runs the ordinary core::try_claim / core::ack_claim on a copy of that state against this
// node's copy of the room, then commits it with a compare-and-set script, deciding again with
// the value the script returns if another node got there first. So a handle claiming through
// several nodes holds one lease at a time, and an ack is judged the same on every node.
//
// Round trips: the shard's ClaimBook caches the last state this shard confirmed, and the swap
// expects it, so a claim or ack through the node that made the previous one costs one script
// call; after another node changed the state, two (the first answers the current value). The
// first touch of a (handle, room) reads once more; a state Redis no longer has (expired with
// the room's keys) starts from the cursor persisted in the Store. An advancing ack also
// persists the cursor in the Store, as on one node, before it is answered.
//
// A node applies messages after Redis numbered them, so its copy of a room may lag: a live
// lease on a seq this node has not received yet is left alone (nothing claimable here yet)
// rather than dropped as "gone from the buffer". Parked claims (§20.9) are woken by the room's
// waiters as on one node and then take the same path; a message that arrives while a claim is
// deciding makes it decide again. Redis unreachable: 503 {"error":"redis unavailable"},
// Retry-After: 1, as posts.
#pragma once

#include <cstdint>
#include <string>

#include "api/claim_replies.h"
#include "api/room_routes.h"

namespace b2b::api {

class RelayState;

void cluster_claim(RelayState& state, RoomCall call, ClaimRequest request);
void cluster_ack(RelayState& state, RoomCall call, std::string handle, std::string claim_id,
                 int64_t seq);

}  // namespace b2b::api
