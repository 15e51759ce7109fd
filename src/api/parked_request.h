// What every parked long-poll shares (room /wait, /claim, DM inbox wait): the per-room and
// per-IP waiter caps (ROOMS.md §10.2) and cancelling the wait when the client hangs up.
#pragma once

#include <boost/asio/post.hpp>

#include <memory>
#include <optional>
#include <string>

#include "api/relay_state.h"
#include "api/reply.h"
#include "api/responses.h"
#include "core/limiters.h"

namespace b2b::api {

// The per-IP waiter slot, after the `parked_here` per-room (or per-handle) check; nullopt
// after answering the 429.
inline std::optional<core::Slot> acquire_waiter_slot(RelayState& state, const Reply& reply,
                                                     const std::string& client_ip,
                                                     std::size_t parked_here, std::size_t max_here,
                                                     std::string_view here_error) {
  if (parked_here >= max_here) {
    reply.send(error_response(429, here_error, "retry in a few seconds", 5));
    return std::nullopt;
  }
  core::Slot slot = state.waiters_per_ip.try_acquire(client_ip);
  if (!slot.held()) {
    reply.send(error_response(429, "too many concurrent waiters from this IP",
                              "close other long-polls or retry later", 5));
    return std::nullopt;
  }
  return slot;
}

// Arms the hang-up watch on the connection's shard; on a hang-up, `waiter->abort()` runs on
// `waiter_shard` (the thread that owns it). Call on the waiter's shard after parking it.
template <class Waiter>
void abort_on_disconnect(RelayState& state, const Reply& reply, std::size_t waiter_shard,
                         const std::shared_ptr<Waiter>& waiter) {
  auto session = reply.session();
  boost::asio::post(session->executor(),
                    [&state, session, waiter_shard, weak = std::weak_ptr<Waiter>(waiter)] {
                      session->watch_for_disconnect([&state, waiter_shard, weak] {
                        boost::asio::post(state.pool().context(waiter_shard), [weak] {
                          if (auto w = weak.lock()) w->abort();
                        });
                      });
                    });
}

}  // namespace b2b::api
