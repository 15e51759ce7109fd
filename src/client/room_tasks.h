// Claiming work from a room with the server-side cursor (ROOMS.md §9, CLIENT-PROTOCOL.md §3.2,
// §4.2): the loop the CLI's `room claim/next` and the MCP's claim_task/next_task share.
//
// API:
//   core::Result<ClaimOutcome> claim_visible(client, room, id, exclude_senders, timeout_s)
//     claims until it gets a message that is NOT a protocol envelope (envelopes are acked and
//     skipped, §3.2), or `timeout_s` has passed (the relay answers early when an excluded
//     sender posts; we claim again with the time left). Envelope acks that fail are errors.
//   open_message(key, msg)   the plaintext, or nullopt when undecryptable
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "client/client_identity.h"
#include "client/relay_client.h"
#include "client/relay_types.h"
#include "client/room_url.h"
#include "core/result.h"

namespace b2b::client {

struct ClaimedTask {
  std::string claim_id;
  RoomMessage message;
  std::optional<std::string> text;  // nullopt = undecryptable
};

struct ClaimOutcome {
  std::optional<ClaimedTask> task;  // nullopt = nothing within the timeout
  int64_t cursor = 0;
  int64_t last_seq = 0;
  bool exists = true;
};

core::Result<ClaimOutcome> claim_visible(RelayClient& client, const RoomUrl& room,
                                         const ClientIdentity& id,
                                         const std::vector<std::string>& exclude_senders,
                                         int timeout_s);

std::optional<std::string> open_message(const std::string& key, const RoomMessage& msg);

}  // namespace b2b::client
