// GET /api/rooms/{id}/wait (ROOMS.md §6.4): answer at once when something newer is buffered,
// otherwise park until a post, the timeout or the client hanging up. With the §20.9 fix a
// wait on a missing room is held too (without creating it) and is woken by the post that
// creates the room; with the §20.2 fix a woken wait re-applies its `after` filter.

#include "api/parked_request.h"
#include "api/responses.h"
#include "api/room_parked_request.h"
#include "api/room_routes.h"
#include "core/clock.h"
#include "core/js_int.h"

namespace b2b::api {
namespace {

constexpr std::size_t kImmediateBatchMax = 500;  // §10.3

// Ours adds "dropped_through" (only when > 0): the highest seq the room no longer holds, so a
// reader whose `after` is below it knows it missed messages (the `room wait` gap line).
void append_tail(std::string& body, int64_t last_seq, int64_t dropped_through) {
  body.append(",\"last_seq\":").append(std::to_string(last_seq));
  if (dropped_through > 0) {
    body.append(",\"dropped_through\":").append(std::to_string(dropped_through));
  }
  body.push_back('}');
}

std::string empty_answer(const core::Room& room) {
  std::string body = R"({"messages":[])";
  append_tail(body, room.last_seq(), room.dropped_through());
  return body;
}

// A room that does not exist now; if this shard remembers an evicted incarnation, what it held.
std::string missing_room_answer(const core::RoomShard& shard, const std::string& room_id) {
  std::string body = R"({"messages":[],"last_seq":0,"exists":false)";
  if (int64_t lost = shard.remembered_lost_through(room_id); lost > 0) {
    body.append(",\"dropped_through\":").append(std::to_string(lost));
  }
  body.push_back('}');
  return body;
}

class LongPollWaiter final : public RoomParkedRequest,
                             public std::enable_shared_from_this<LongPollWaiter> {
 public:
  LongPollWaiter(RelayState& state, core::RoomShard& shard, Reply reply, std::string room_id,
                 int64_t after, core::Slot slot)
      : RoomParkedRequest(state, shard, std::move(reply), std::move(room_id), std::move(slot)),
        after_(after) {}

  void arm(int64_t timeout_s) { RoomParkedRequest::arm(shared_from_this(), timeout_s); }

  bool offer(const core::MessagePtr& m, int64_t last_seq) override {
    if (done_) return true;
    if (m->seq <= after_) return false;  // §20.2: not newer than what the client has
    core::inc(state_.metrics.longpoll_wakes);
    core::inc(state_.metrics.messages_delivered);
    std::string body = render_message_list({m});
    const core::Room* room = shard_.find(room_id_);  // offer() runs on the room's shard
    append_tail(body, last_seq, room ? room->dropped_through() : 0);
    finish(std::move(body));
    return true;
  }

  void answer_for_shutdown() override {
    if (!done_) answer_empty();
  }

 private:
  void on_timeout() override {
    core::inc(state_.metrics.longpoll_timeouts);
    answer_empty();
  }
  void answer_empty() {
    core::Room* room = shard_.find(room_id_);
    finish(room ? empty_answer(*room) : missing_room_answer(shard_, room_id_));
  }

  const int64_t after_;
};

}  // namespace

void wait_for_messages(RelayState& state, RoomCall call) {
  const int64_t after = core::js_int_clamped(call.query.get("after"), 0, 0, INT64_MAX);
  const int64_t timeout_s = core::js_int_clamped(call.query.get("timeout"), 30, 1, 90);
  const std::size_t shard_index = state.shard_of(call.room_id);
  state.on_shard(shard_index, [&state, shard_index, call = std::move(call), after,
                               timeout_s](core::RoomShard& shard) mutable {
    const std::string room_id = call.room_id;
    state.find_room(
        shard_index, room_id,
        [&state, &shard, call = std::move(call), after,
         timeout_s](core::Result<core::Room*> found) mutable {
          if (!found) return call.reply.send(unavailable_response(found.error()));
          const int64_t now = core::wall_clock_ms();
          core::Room* room = found.value();
          if (room) {
            room->prune(now);
            auto messages = room->messages_after(after, kImmediateBatchMax);
            if (!messages.empty()) {
              core::inc(state.metrics.messages_delivered, messages.size());
              std::string body = render_message_list(messages);
              append_tail(body, room->last_seq(), room->dropped_through());
              return call.reply.send(json_response(200, std::move(body)));
            }
            room->bump_activity(now);  // §2.2: a wait that parks bumps lastActive, before the caps
          }
          auto waiter = park_room_request(state, state.shard_of(call.room_id), call.reply,
                                          call.client_ip, call.room_id, now, [&](core::Slot slot) {
                                            return std::make_shared<LongPollWaiter>(
                                                state, shard, call.reply, call.room_id, after,
                                                std::move(slot));
                                          });
          if (!waiter) return;
          core::inc(state.metrics.longpoll_waits);
          waiter->arm(timeout_s);
        });
  });
}

}  // namespace b2b::api
