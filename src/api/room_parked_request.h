// A request parked on a room, or on a room id that does not exist yet (§20.9): room /wait
// and /claim. It owns the timer, the per-IP waiter slot and the reply, and leaves the room's
// waiter list exactly once, whichever of wake-up, timeout, hang-up or shutdown comes first.
// Lives on the room's shard; every method runs there.
#pragma once

#include <boost/asio/steady_timer.hpp>

#include <memory>
#include <string>

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

}  // namespace b2b::api
