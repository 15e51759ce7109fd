// GET /api/rooms/{id}/events (ROOMS.md §6.2). The connection leaves its HTTP session and
// moves to the room's shard, where replay, `ready` and registration happen as one step
// (§18.2) and every later event is a queue push on the same thread.
#include "api/responses.h"
#include "api/room_routes.h"
#include "core/clock.h"
#include "core/js_int.h"
#include "core/text_rules.h"
#include "net/socket_handoff.h"
#include "net/sse_stream.h"

namespace b2b::api {
namespace {

class SseSubscriber final : public core::StreamSubscriber {
 public:
  explicit SseSubscriber(std::shared_ptr<net::SseStream> stream) : stream_(std::move(stream)) {}

  core::Delivery deliver(const core::EventPtr& e, bool replay) override {
    switch (stream_->push(net::SharedBytes{e, e->sse()}, /*counted=*/!replay)) {
      case net::PushResult::kQueued:
        return core::Delivery::kQueued;
      case net::PushResult::kOverLimit:
        return core::Delivery::kOverLimit;
      case net::PushResult::kClosed:
        break;
    }
    return core::Delivery::kClosed;
  }
  void drop_slow_consumer() override {
    // Deferred: closing runs the close handler, which must not re-enter the room mid-broadcast.
    boost::asio::post(stream_->executor(), [s = stream_] { s->abort(); });
  }
  void close_going_away() override { stream_->finish(": server shutting down\n\n"); }

 private:
  std::shared_ptr<net::SseStream> stream_;
};

std::string sse_head() {
  std::string head =
      "HTTP/1.1 200 OK\r\n"
      "Content-Type: text/event-stream\r\n"
      "Cache-Control: no-cache, no-transform\r\n"
      "Connection: keep-alive\r\n"
      "X-Accel-Buffering: no\r\n"
      "Transfer-Encoding: chunked\r\n";
  head.append(security_header_lines()).append("\r\n");
  return head;
}

struct SseJoin {
  std::string room_id;
  int64_t after = 0;
  std::optional<std::string> name;
  std::optional<std::string> box_pub;
  core::Slot slot;
};

void start_on_room_shard(RelayState& state, std::size_t shard_index,
                         boost::asio::ip::tcp::socket socket, std::shared_ptr<SseJoin> join) {
  core::RoomShard& shard = state.shard(shard_index);
  auto stream =
      std::make_shared<net::SseStream>(std::move(socket), state.limits.send_queue_max_bytes,
                                       std::chrono::milliseconds(state.limits.sse_keepalive_ms));
  state.get_or_create_room(shard_index, join->room_id, [&state, &shard, stream, join](auto room) {
    if (!room) {  // §6.2 step 4: the status is already 200, so the refusal is an event
      stream->start(sse_head(), [join] {});
      // "room cap reached", or in cluster mode "redis unavailable"
      stream->push(net::SharedBytes::copy_of("data: {\"type\":\"error\",\"error\":" +
                                             json_quote(room.error().error) + "}\n\n"),
                   false);
      stream->finish("");
      return;
    }
    auto member_id = std::make_shared<uint64_t>(0);
    core::add(state.metrics.sse_connections, 1);
    core::inc(state.metrics.sse_connects);
    // Runs once when the connection ends for any reason; the slot goes with `join` (§18.5).
    stream->start(sse_head(), [&state, &shard, join, member_id] {
      core::add(state.metrics.sse_connections, -1);
      if (core::Room* r = shard.find(join->room_id)) {
        r->unsubscribe(*member_id, core::wall_clock_ms());
      }
    });
    *member_id = room.value()->subscribe(
        core::Joiner{std::make_shared<SseSubscriber>(stream), core::StreamKind::kSse, join->after,
                     join->name, join->box_pub},
        core::wall_clock_ms());
  });
}

}  // namespace

void open_event_stream(RelayState& state, RoomCall call) {
  core::Slot slot = state.streams_per_ip.try_acquire(call.client_ip);
  if (!slot.held()) {
    return call.reply.send(error_response(429, "too many concurrent streams from this IP",
                                          "close other streams or retry later", 5));
  }
  auto join = std::make_shared<SseJoin>();
  join->room_id = call.room_id;
  join->after = core::js_int_clamped(call.query.get("after"), 0, 0, INT64_MAX);
  if (auto n = call.query.get("name")) join->name = core::normalize_presence_name(*n);
  if (auto b = call.query.get("box_pub"); b && core::is_valid_box_pub(*b)) join->box_pub = *b;
  join->slot = std::move(slot);

  call.reply.log_stream_opened();
  const std::size_t target = state.shard_of(call.room_id);
  net::DetachedSocket detached = call.reply.session()->detach();
  net::hand_off(std::move(detached.socket), state.pool().context(target),
                [&state, target, join](boost::asio::ip::tcp::socket s) {
                  start_on_room_shard(state, target, std::move(s), join);
                });
}

}  // namespace b2b::api
