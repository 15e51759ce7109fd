// A request parked on a room, or on a room id that does not exist yet (§20.9): room /wait
// and /claim. It owns the timer, the per-IP waiter slot and the reply, and leaves the room's
// waiter list exactly once, whichever of wake-up, timeout, hang-up or shutdown comes first.
// Lives on the room's shard; every method runs there.
#pragma once

#include <boost/asio/steady_timer.hpp>

#include <memory>
#include <string>

#include "api/parked_request.h"
#include "api/relay_state.h"
#include "api/reply.h"
#include "api/responses.h"
#include "core/limiters.h"
#include "core/room_shard.h"
#include "core/subscriber.h"

namespace b2b::api {

class RoomParkedRequest : public core::Waiter {
 public:
  // The client hung up (§6.4 "client disconnects"): forget the request, answer nothing.
  void abort() {
    if (done_) return;
    done_ = true;
    leave_room();
    timer_.cancel();
    slot_.release();
  }

 protected:
  RoomParkedRequest(RelayState& state, core::RoomShard& shard, Reply reply, std::string room_id,
                    core::Slot slot)
      : state_(state),
        shard_(shard),
        reply_(std::move(reply)),
        room_id_(std::move(room_id)),
        slot_(std::move(slot)),
        timer_(state.pool().context(state.shard_of(room_id_))) {}

  // `self` is this request; the timer keeps it alive until it fires or is cancelled.
  template <class Self>
  static void arm(const std::shared_ptr<Self>& self, int64_t timeout_s) {
    RoomParkedRequest* base = self.get();
    base->timer_.expires_after(std::chrono::seconds(timeout_s));
    base->timer_.async_wait([self, base](boost::system::error_code ec) {
      if (ec || base->done_) return;
      base->leave_room();
      base->on_timeout();
    });
  }
  virtual void on_timeout() = 0;

  // Answers 200 with `body`, once.
  void finish(std::string body) {
    done_ = true;
    timer_.cancel();
    slot_.release();
    reply_.send(json_response(200, std::move(body)));
  }
  void leave_room() {
    if (core::Room* room = shard_.find(room_id_)) {
      room->unpark(this);
    } else {
      shard_.unpark_orphan(room_id_, this);
    }
  }

  RelayState& state_;
  core::RoomShard& shard_;
  const Reply reply_;
  const std::string room_id_;
  bool done_ = false;

 private:
  core::Slot slot_;
  boost::asio::steady_timer timer_;
};

// The parking every room long-poll shares (/wait and /claim, on one node and in a cluster): the
// per-room and per-IP waiter caps, parking on the room — or on its id while the room does not
// exist yet (§20.9) — and the hang-up watch. `make(slot)` builds the waiter; the caller arms its
// timer. Returns null after answering 429. Runs on shard `s`, the room's.
template <class Make>
auto park_room_request(RelayState& state, std::size_t s, const Reply& reply,
                       const std::string& client_ip, const std::string& room_id, int64_t now,
                       Make&& make) {
  core::RoomShard& shard = state.shard(s);
  using WaiterPtr = decltype(make(std::declval<core::Slot>()));
  auto slot = acquire_waiter_slot(state, reply, client_ip, shard.waiters_for(room_id),
                                  static_cast<std::size_t>(state.limits.room_waiters_max),
                                  "too many concurrent waiters for this room");
  if (!slot) return WaiterPtr{};
  WaiterPtr waiter = make(std::move(*slot));
  if (core::Room* room = shard.find(room_id)) {
    room->park(waiter, now);
  } else {
    shard.park_orphan(room_id, waiter);
  }
  abort_on_disconnect(state, reply, s, waiter);
  return waiter;
}

}  // namespace b2b::api
