// GET /api/rooms/{id}/wait (ROOMS.md §6.4): answer at once when something newer is buffered,
// otherwise park until a post, the timeout or the client hanging up. With the §20.9 fix a
// wait on a missing room is held too (without creating it) and is woken by the post that
// creates the room; with the §20.2 fix a woken wait re-applies its `after` filter.
#include <boost/asio/steady_timer.hpp>

#include "api/parked_request.h"
#include "api/responses.h"
#include "api/room_routes.h"
#include "core/clock.h"
#include "core/js_int.h"

namespace b2b::api {
namespace {

constexpr std::size_t kImmediateBatchMax = 500;  // §10.3
constexpr std::string_view kMissingRoomAnswer = R"({"messages":[],"last_seq":0,"exists":false})";

std::string empty_answer(int64_t last_seq) {
  return R"({"messages":[],"last_seq":)" + std::to_string(last_seq) + "}";
}

// Lives on the room's shard; every method runs there.
class LongPollWaiter final : public core::Waiter,
                             public std::enable_shared_from_this<LongPollWaiter> {
 public:
  LongPollWaiter(RelayState& state, core::RoomShard& shard, Reply reply, std::string room_id,
                 int64_t after, core::Slot slot)
      : state_(state),
        shard_(shard),
        reply_(std::move(reply)),
        room_id_(std::move(room_id)),
        after_(after),
        slot_(std::move(slot)),
        timer_(state.pool().context(state.shard_of(room_id_))) {}

  void arm(int64_t timeout_s) {
    timer_.expires_after(std::chrono::seconds(timeout_s));
    timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (!ec) self->on_timeout();
    });
  }

  bool offer(const core::MessagePtr& m, int64_t last_seq) override {
    if (done_) return true;
    if (m->seq <= after_) return false;  // §20.2: not newer than what the client has
    done_ = true;
    core::inc(state_.metrics.longpoll_wakes);
    core::inc(state_.metrics.messages_delivered);
    std::string body = render_message_list({m});
    body.append(",\"last_seq\":").append(std::to_string(last_seq)).push_back('}');
    finish(std::move(body));
    return true;
  }

  void answer_for_shutdown() override {
    if (done_) return;
    done_ = true;
    core::Room* room = shard_.find(room_id_);
    finish(room ? empty_answer(room->last_seq()) : std::string(kMissingRoomAnswer));
  }

  // The client went away (§6.4 "client disconnects"): forget it, answer nothing.
  void abort() {
    if (done_) return;
    done_ = true;
    unpark();
    timer_.cancel();
    slot_.release();
  }

 private:
  void on_timeout() {
    if (done_) return;
    done_ = true;
    core::inc(state_.metrics.longpoll_timeouts);
    unpark();
    core::Room* room = shard_.find(room_id_);
    finish(room ? empty_answer(room->last_seq()) : std::string(kMissingRoomAnswer));
  }

  void finish(std::string body) {
    timer_.cancel();
    slot_.release();
    reply_.send(json_response(200, std::move(body)));
  }

  void unpark() {
    if (core::Room* room = shard_.find(room_id_)) {
      room->unpark(this);
    } else {
      shard_.unpark_orphan(room_id_, this);
    }
  }

  RelayState& state_;
  core::RoomShard& shard_;
  Reply reply_;
  const std::string room_id_;
  const int64_t after_;
  core::Slot slot_;
  boost::asio::steady_timer timer_;
  bool done_ = false;
};

}  // namespace

void wait_for_messages(RelayState& state, RoomCall call) {
  const int64_t after = core::js_int_clamped(call.query.get("after"), 0, 0, INT64_MAX);
  const int64_t timeout_s = core::js_int_clamped(call.query.get("timeout"), 30, 1, 90);
  const std::size_t shard_index = state.shard_of(call.room_id);
  state.on_shard(shard_index, [&state, call = std::move(call), after,
                               timeout_s](core::RoomShard& shard) mutable {
    const int64_t now = core::wall_clock_ms();
    core::Room* room = shard.find(call.room_id);
    if (room) {
      room->prune(now);
      auto messages = room->messages_after(after, kImmediateBatchMax);
      if (!messages.empty()) {
        core::inc(state.metrics.messages_delivered, messages.size());
        std::string body = render_message_list(messages);
        body.append(",\"last_seq\":").append(std::to_string(room->last_seq())).push_back('}');
        return call.reply.send(json_response(200, std::move(body)));
      }
      room->bump_activity(now);  // §2.2: a wait that parks bumps lastActive, before the caps
    }
    auto slot =
        acquire_waiter_slot(state, call.reply, call.client_ip, shard.waiters_for(call.room_id),
                            static_cast<std::size_t>(state.limits.room_waiters_max),
                            "too many concurrent waiters for this room");
    if (!slot) return;
    auto waiter = std::make_shared<LongPollWaiter>(state, shard, call.reply, call.room_id, after,
                                                   std::move(*slot));
    core::inc(state.metrics.longpoll_waits);
    if (room) {
      room->park(waiter, now);
    } else {
      shard.park_orphan(call.room_id, waiter);
    }
    waiter->arm(timeout_s);

    abort_on_disconnect(state, call.reply, state.shard_of(call.room_id), waiter);
  });
}

}  // namespace b2b::api
