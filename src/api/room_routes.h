// Handlers of ROOMS.md §6, one file per endpoint family. The router has already checked
// the method and the room id; each handler hops to the room's shard for the domain work.
#pragma once

#include <memory>
#include <string>

#include "api/query.h"
#include "api/relay_state.h"
#include "api/reply.h"
#include "net/http_types.h"

namespace b2b::api {

struct RoomCall {
  Reply reply;
  std::string room_id;    // percent-decoded and valid (§2.1)
  std::string client_ip;  // §11, one rule for every path (§20.13)
  Query query;
  net::Request request;
};

void post_message(RelayState& state, RoomCall call);       // rooms_post.cpp
void open_event_stream(RelayState& state, RoomCall call);  // rooms_sse.cpp
void wait_for_messages(RelayState& state, RoomCall call);  // rooms_wait.cpp
void get_transcript(RelayState& state, RoomCall call);     // rooms_read.cpp
void get_room_status(RelayState& state, RoomCall call);    // rooms_read.cpp
void post_listening(RelayState& state, RoomCall call);     // rooms_read.cpp
void claim_message(RelayState& state, RoomCall call);      // rooms_claim.cpp
void ack_message(RelayState& state, RoomCall call);        // rooms_claim.cpp
// rooms_ws.cpp: the upgrade path is matched on the raw target (§6.3), not by the router.
void upgrade_websocket(RelayState& state, const std::shared_ptr<net::HttpSession>& session,
                       net::Request request, std::string room_id, std::string client_ip);

// Shared by the read endpoints: `{"messages":[…]` with each event's JSON.
std::string render_message_list(const std::vector<core::MessagePtr>& messages);

}  // namespace b2b::api
