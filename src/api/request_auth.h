// The shared front of every Hdr-auth endpoint (IDENTITY.md §1.10, §0): registered check,
// the `auth:<handle>` rate bucket, then the request signature over the raw target, and in
// cluster mode the claim of its nonce across nodes (shared_nonces.h).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "api/relay_state.h"
#include "api/reply.h"
#include "net/http_types.h"

namespace b2b::api {

enum class UnknownHandle { kNotFound404, kUnauthorized401 };

// Runs `proceed` on the calling shard when the request may go on: at once on a single node,
// once the nonce is claimed in cluster mode. Otherwise answers on `reply` (404, 429, 401, or
// 503 when the cluster's Redis is unreachable) and never runs `proceed`. `proceed` must own
// what it needs: in cluster mode it runs after the handler has returned.
void authenticate_handle(RelayState& state, const Reply& reply, const net::Request& request,
                         const std::string& handle, const std::string& client_ip,
                         UnknownHandle unknown, std::function<void()> proceed);

// authenticate_handle for a route's whole call (DmCall, RoomCall: reply, request, client_ip),
// kept alive until `then(call)` runs; `then` may move out of it. `handle` is taken by value:
// copy it out of the call before moving the call in.
template <class Call, class Then>
void when_signed(RelayState& state, Call call, std::string handle, UnknownHandle unknown,
                 Then then) {
  auto held = std::make_shared<Call>(std::move(call));
  authenticate_handle(state, held->reply, held->request, handle, held->client_ip, unknown,
                      [held, then]() mutable { then(*held); });
}

}  // namespace b2b::api
