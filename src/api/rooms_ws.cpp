// WebSocket /api/rooms/{id}/ws (ROOMS.md §6.3). Over-cap and room-cap refusals are plain
// HTTP answers before switching protocols (§20.20); after the upgrade the session lives on
// its room's shard, where its frames are handled in order.
#include <boost/json.hpp>

#include "api/cluster_posting.h"
#include "api/responses.h"
#include "api/room_routes.h"
#include "api/webhook_service.h"
#include "core/clock.h"
#include "core/json_parse.h"
#include "core/message_validation.h"
#include "core/room_posting.h"
#include "core/text_rules.h"
#include "net/raw_response.h"
#include "net/socket_handoff.h"
#include "net/ws_session.h"

namespace b2b::api {
namespace {

namespace websocket = boost::beast::websocket;

class WsSubscriber final : public core::StreamSubscriber {
 public:
  explicit WsSubscriber(std::shared_ptr<net::WsSession> ws) : ws_(std::move(ws)) {}

  core::Delivery deliver(const core::EventPtr& e, bool replay) override {
    switch (ws_->push(net::SharedBytes{e, e->json()}, /*counted=*/!replay)) {
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
    boost::asio::post(ws_->executor(), [ws = ws_] { ws->abort(); });
  }
  void close_going_away() override { ws_->close(websocket::close_code::going_away); }

 private:
  std::shared_ptr<net::WsSession> ws_;
};

void send_ws_error(const std::weak_ptr<net::WsSession>& ws, unsigned code, std::string_view error,
                   std::string_view detail = {}) {
  boost::json::object o{{"type", "error"}, {"code", code}, {"error", error}};
  if (!detail.empty()) o.emplace("detail", detail);
  if (auto session = ws.lock()) {
    session->push(net::SharedBytes::copy_of(boost::json::serialize(o)), true);
  }
}

// How a post from a WebSocket ended: counted and handed to webhooks, or an error frame. The
// sender sees its own message through the broadcast echo.
void report_ws_post(RelayState& state, const std::string& room_id,
                    const std::weak_ptr<net::WsSession>& ws, const core::PostResult& r,
                    std::size_t ciphertext_len) {
  if (!r.refusal) {
    core::inc(state.metrics.messages_posted_ws);
    core::inc(state.metrics.bytes_relayed, ciphertext_len);
    // Room webhooks see WebSocket posts as they see HTTP ones (delivery is off this executor).
    if (state.webhooks) state.webhooks->enqueue_room_message(room_id, r.message);
    return;
  }
  switch (*r.refusal) {
    case core::PostRefusal::kRoomBufferFull:
      return send_ws_error(ws, 503, "room buffer full", r.detail);
    case core::PostRefusal::kGlobalBufferFull:
      return send_ws_error(ws, 503, "global room buffer full", r.detail);
    case core::PostRefusal::kBadSignature:
      return send_ws_error(ws, 401, "bad sender_sig", r.detail);
    case core::PostRefusal::kSignatureBusy:
      return send_ws_error(ws, 429, "replay-cache full for this handle", r.detail);
    case core::PostRefusal::kSignedOnlyNeedsSig:
      return send_ws_error(ws, 400, "signed_only requires sender_sig", r.detail);
    case core::PostRefusal::kRoomLocked:
      return send_ws_error(ws, 403, "signed_only", r.detail);
    case core::PostRefusal::kUnavailable:
      return send_ws_error(ws, 503, r.detail);
  }
}

// One connected client: its room, its member id, the address its posts are limited by.
// The session owns the client (through its message handler); the client only refers back
// weakly, so no cycle outlives the connection, even when the event loops stop first.
struct WsClient {
  RelayState& state;
  core::RoomShard& shard;
  std::string room_id;
  std::string rate_ip;  // §6.3: the literal "ws" when no address is known
  std::weak_ptr<net::WsSession> ws;
  core::Slot slot;
  uint64_t member_id = 0;

  void send_error(unsigned code, std::string_view error, std::string_view detail = {}) {
    send_ws_error(ws, code, error, detail);
  }

  void on_frame(std::string_view text);
  void on_hello(core::Room& room, const boost::json::object& frame, int64_t now);
  void on_post(core::Room& room, const boost::json::value& frame, int64_t now);
};

void WsClient::on_frame(std::string_view text) {
  core::Room* room = shard.find(room_id);
  if (!room) return;
  const int64_t now = core::wall_clock_ms();
  room->touch(member_id, now);  // §5.1: any client frame refreshes last_seen

  boost::system::error_code ec;
  boost::json::parse_options opts;
  opts.max_depth = 32;
  // The same number parsing as HTTP bodies (core/json_parse.h), so a frame and a POST of the
  // same JSON are the same message.
  boost::json::value v = core::parse_json(text, ec, opts);
  if (ec) return send_error(400, "invalid json", "each frame must be one JSON object");

  if (const boost::json::object* o = v.if_object()) {
    const boost::json::value* type = o->if_contains("type");
    if (type && type->is_string()) {
      // §20.20: heartbeats and hellos never get an error frame, even when invalid.
      if (type->get_string() == "listening") return;
      if (type->get_string() == "hello") return on_hello(*room, *o, now);
    }
  }
  on_post(*room, v, now);
}

void WsClient::on_hello(core::Room& room, const boost::json::object& frame, int64_t now) {
  const boost::json::value* name = frame.if_contains("name");
  if (!name || !name->is_string()) return;
  auto valid = core::normalize_presence_name(name->get_string());
  if (!valid) return;  // §6.3: an invalid name voids the whole frame
  core::BoxPubUpdate update;
  if (const boost::json::value* bp = frame.if_contains("box_pub")) {
    if (bp->is_null()) {
      update.present = true;
    } else if (bp->is_string() && core::is_valid_box_pub(bp->get_string())) {
      update.present = true;
      update.value = std::string(bp->get_string());
    }  // an invalid key leaves the stored one unchanged
  }
  room.hello(member_id, std::move(*valid), std::move(update), now);
}

void WsClient::on_post(core::Room& room, const boost::json::value& frame, int64_t now) {
  auto message = core::validate_message(frame);
  if (!message) return send_error(400, message.error().error, message.error().detail);
  if (!state.allow_rate(rate_ip, "room:" + room_id, now)) {
    core::inc(state.metrics.rate_limited);
    return send_error(429, "rate limited", "slow down");
  }
  const std::size_t ciphertext_len = message.value().ciphertext.size();
  if (!state.cluster) {
    return report_ws_post(
        state, room_id, ws,
        core::post_to_room(room, std::move(message.value()), "user", *state.sender_verifier, now),
        ciphertext_len);
  }
  core::PreparedPost prepared =
      core::prepare_post(room, std::move(message.value()), "user", *state.sender_verifier, now);
  if (prepared.refusal) {
    return report_ws_post(state, room_id, ws,
                          core::PostResult{nullptr, prepared.refusal, prepared.detail},
                          ciphertext_len);
  }
  post_through_cluster(
      state, state.shard_of(room_id), room_id, std::move(prepared), now,
      [&state = state, room_id = room_id, ws = ws, ciphertext_len](core::PostResult r) {
        report_ws_post(state, room_id, ws, r, ciphertext_len);
      });
}

void joined(const std::shared_ptr<WsClient>& client, const std::shared_ptr<net::WsSession>& ws,
            core::Result<core::Room*> room);

void accepted(const std::shared_ptr<WsClient>& client, const std::shared_ptr<net::WsSession>& ws) {
  RelayState& state = client->state;
  state.get_or_create_room(
      state.shard_of(client->room_id), client->room_id,
      [client, ws](core::Result<core::Room*> room) { joined(client, ws, std::move(room)); });
}

void joined(const std::shared_ptr<WsClient>& client, const std::shared_ptr<net::WsSession>& ws,
            core::Result<core::Room*> room) {
  RelayState& state = client->state;
  const int64_t now = core::wall_clock_ms();
  if (!room) {
    ws->start([](std::string_view) {}, [client] {});
    client->send_error(503, room.error().error);
    ws->close(websocket::close_code::try_again_later);
    return;
  }
  core::add(state.metrics.ws_connections, 1);
  core::inc(state.metrics.ws_connects);
  ws->start([client](std::string_view text) { client->on_frame(text); },
            [client] {
              core::add(client->state.metrics.ws_connections, -1);
              if (core::Room* r = client->shard.find(client->room_id)) {
                r->unsubscribe(client->member_id, core::wall_clock_ms());
              }
              client->slot.release();
            });
  client->member_id = room.value()->subscribe(
      core::Joiner{std::make_shared<WsSubscriber>(ws), core::StreamKind::kWebSocket, 0,
                   std::nullopt, std::nullopt},
      now);
}

}  // namespace

void upgrade_websocket(RelayState& state, const std::shared_ptr<net::HttpSession>& session,
                       net::Request request, std::string room_id, std::string client_ip) {
  Reply reply(session, state, request, core::RouteLabel::kRoomWs);
  core::Slot slot = state.streams_per_ip.try_acquire(client_ip);
  if (!slot.held()) {
    return reply.send(error_response(429, "too many concurrent streams from this IP",
                                     "close other streams or retry later", 5));
  }
  const std::size_t target = state.shard_of(room_id);
  auto slot_holder = std::make_shared<core::Slot>(std::move(slot));
  auto req = std::make_shared<net::Request>(std::move(request));
  reply.log_stream_opened();
  net::DetachedSocket detached = session->detach();
  net::hand_off(std::move(detached.socket), state.pool().context(target),
                [&state, target, room_id = std::move(room_id), ip = std::move(client_ip),
                 slot_holder, req](boost::asio::ip::tcp::socket socket) mutable {
                  core::RoomShard& shard = state.shard(target);
                  const std::string id = room_id;
                  state.get_or_create_room(
                      target, id,
                      [&state, &shard, socket = std::move(socket), room_id = std::move(room_id),
                       ip = std::move(ip), slot_holder, req](auto room) mutable {
                        if (!room) {
                          net::Response res =
                              error_response(503, "room cap reached", "try again later", 60);
                          add_security_headers(res);
                          return net::write_response_and_close(std::move(socket), std::move(res));
                        }
                        net::WsLimits limits;
                        limits.max_live_bytes = state.limits.send_queue_max_bytes;
                        limits.max_message_bytes =
                            static_cast<std::size_t>(state.limits.ws_message_max_bytes);
                        limits.ping_interval = std::chrono::milliseconds(state.limits.ws_ping_ms);
                        auto ws = std::make_shared<net::WsSession>(std::move(socket), limits);
                        auto client = std::make_shared<WsClient>(
                            WsClient{state, shard, room_id, ip.empty() ? std::string("ws") : ip, ws,
                                     std::move(*slot_holder), 0});
                        ws->accept(std::move(*req), [client, weak = std::weak_ptr(ws)](bool ok) {
                          auto session = weak.lock();
                          if (ok && session) accepted(client, session);
                        });
                      });
                });
}

}  // namespace b2b::api
