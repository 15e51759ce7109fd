// IDENTITY.md §4: direct messages. POST /api/dm/:handle, the owner's inbox long-poll
// GET /api/dm/:handle/inbox/wait, and DELETE /api/dm/:handle/inbox/:id. An inbox lives on
// the shard its handle hashes to; envelopes are persisted and an answer 200 means durable.
#pragma once

#include <string>

#include "api/query.h"
#include "api/relay_state.h"
#include "api/reply.h"
#include "net/http_types.h"

namespace b2b::api {

struct DmCall {
  Reply reply;
  std::string handle;  // normalised and valid (§1.2)
  std::string client_ip;
  Query query;
  net::Request request;
};

void post_dm(RelayState& state, DmCall call);
void wait_inbox(RelayState& state, DmCall call);
void delete_inbox_envelope(RelayState& state, DmCall call, std::string id);

}  // namespace b2b::api
