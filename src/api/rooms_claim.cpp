// POST /api/rooms/{id}/claim and /ack (ROOMS.md §9, IDENTITY.md §5.8): an at-least-once pull
// with a server-side cursor. Authentication runs on the connection's shard; cursor work on
// the room's shard, where the ClaimBook lives. With §20.9 a claim on a missing room is held
// (not created) and a woken claim with nothing claimable keeps waiting.
#include <boost/json.hpp>

#include "api/claim_replies.h"
#include "api/cluster_claims.h"
#include "api/identity_services.h"
#include "api/json_body.h"
#include "api/parked_request.h"
#include "api/request_auth.h"
#include "api/responses.h"
#include "api/room_parked_request.h"
#include "api/room_routes.h"
#include "core/claims.h"
#include "core/clock.h"
#include "core/js_int.h"
#include "identity/handles.h"
#include "identity/js_values.h"

namespace b2b::api {
namespace {

constexpr int64_t kLeaseMinMs = 60'000, kLeaseMaxMs = 300'000;

// Steps 1–4 shared by claim and ack: the handle from the body (authenticated next).
std::optional<std::string> body_handle(const RoomCall& call, const boost::json::value& body) {
  const boost::json::object* o = body.if_object();
  const boost::json::value* h = o ? o->if_contains("handle") : nullptr;
  const std::string raw = h && !identity::js_is_falsy(*h) ? identity::js_string(*h) : "";
  auto handle = identity::normalize_loose_handle(raw);
  if (!handle) {
    call.reply.send(error_response(400, "bad handle", "handle must match ^[a-z0-9_-]{1,32}$"));
  }
  return handle;
}

// The cursor of (handle, room) on this shard, adopting a persisted one the first time.
core::ClaimCursor* cursor_for(RelayState& state, core::RoomShard& shard, const std::string& handle,
                              const std::string& room_id, bool create) {
  core::ClaimCursor* c = shard.claims().find(handle, room_id);
  if (c && !create) return c;
  auto restored = state.ids->restored_cursors.take(handle, state.ids->room_key(room_id));
  if (!c && !restored && !create) return nullptr;
  std::vector<std::string> evicted;
  core::ClaimCursor& cur = shard.claims().touch(handle, room_id, &evicted);
  if (restored && cur.cursor == 0) cur.cursor = *restored;
  for (const auto& gone : evicted) {
    state.ids->store->delete_claim_cursor(handle, state.ids->room_key(gone), [](auto) {});
  }
  return &cur;
}

void persist_cursor(RelayState& state, const std::string& handle, const std::string& room_id,
                    int64_t cursor, store::Done done) {
  state.ids->store->upsert_claim_cursor(
      store::ClaimCursorRecord{handle, state.ids->room_key(room_id), cursor, core::wall_clock_ms()},
      std::move(done));
}

// Runs steps 9–12 on the current room; the body to send, or nullopt if nothing is claimable.
std::optional<std::string> attempt(RelayState& state, core::RoomShard& shard,
                                   const std::string& room_id, const ClaimRequest& r) {
  core::Room* room = shard.find(room_id);
  if (!room) return std::nullopt;
  const int64_t now = core::wall_clock_ms();
  room->prune(now);
  core::ClaimCursor* c = cursor_for(state, shard, r.handle, room_id, /*create=*/true);
  bool moved = false;
  auto offer = core::try_claim(*room, *c, r.excluded, r.ttl_ms, now, &moved);
  if (moved) persist_cursor(state, r.handle, room_id, c->cursor, [](auto) {});
  if (!offer) return std::nullopt;
  return offer_body(*offer, room->last_seq());
}

class ClaimWaiter final : public RoomParkedRequest,
                          public std::enable_shared_from_this<ClaimWaiter> {
 public:
  ClaimWaiter(RelayState& state, core::RoomShard& shard, Reply reply, std::string room_id,
              ClaimRequest request, core::Slot slot)
      : RoomParkedRequest(state, shard, std::move(reply), std::move(room_id), std::move(slot)),
        request_(std::move(request)) {}

  void arm() { RoomParkedRequest::arm(shared_from_this(), request_.timeout_s); }

  bool offer(const core::MessagePtr&, int64_t) override {
    if (done_) return true;
    auto body = attempt(state_, shard_, room_id_, request_);
    if (!body) return false;  // §20.9: nothing claimable yet, keep waiting
    finish(std::move(*body));
    return true;
  }
  void answer_for_shutdown() override {
    if (!done_) on_timeout();
  }

 private:
  void on_timeout() override {
    core::Room* room = shard_.find(room_id_);
    core::ClaimCursor* c = shard_.claims().find(request_.handle, room_id_);
    finish(empty_body(room ? room->last_seq() : 0, c ? c->cursor : 0, room != nullptr));
  }

  const ClaimRequest request_;
};

ClaimRequest parse_claim(RelayState& state, const RoomCall& call, const boost::json::value& body,
                         std::string handle) {
  ClaimRequest r;
  r.handle = std::move(handle);
  r.timeout_s = core::js_int_clamped(call.query.get("timeout"), 30, 1, 90);
  // §9.2 with §20.19: a missing or invalid lease takes the default, which is clamped too.
  const int64_t ttl = core::js_int_or(call.query.get("ttl_ms"), -1);
  r.ttl_ms = std::clamp(ttl > 0 ? ttl : state.limits.claim_ttl_ms, kLeaseMinMs, kLeaseMaxMs);
  r.excluded.senders = {r.handle, "@" + r.handle};
  if (const auto* o = body.if_object()) {
    if (const auto* ex = o->if_contains("exclude_senders"); ex && ex->is_array()) {
      for (const auto& v : ex->get_array()) {
        if (v.is_string() && !v.get_string().empty() && v.get_string().size() <= 64) {
          r.excluded.senders.emplace(v.get_string());
        }
      }
    }
  }
  return r;
}

// Steps 6 on, once the handle is authenticated.
void claim_authenticated(RelayState& state, RoomCall call, ClaimRequest request) {
  if (state.cluster) return cluster_claim(state, std::move(call), std::move(request));

  const std::size_t shard_index = state.shard_of(call.room_id);
  state.on_shard(shard_index, [&state, shard_index, call = std::move(call),
                               request = std::move(request)](core::RoomShard& shard) mutable {
    if (auto ready = attempt(state, shard, call.room_id, request)) {
      return call.reply.send(json_response(200, std::move(*ready)));
    }
    const int64_t now = core::wall_clock_ms();
    if (core::Room* room = shard.find(call.room_id)) room->bump_activity(now);  // §9.2 step 13
    auto waiter = park_room_request(
        state, shard_index, call.reply, call.client_ip, call.room_id, now, [&](core::Slot slot) {
          return std::make_shared<ClaimWaiter>(state, shard, call.reply, call.room_id,
                                               std::move(request), std::move(slot));
        });
    if (waiter) waiter->arm();
  });
}

void ack_authenticated(RelayState& state, RoomCall call, std::string handle, std::string claim_id,
                       int64_t seq) {
  if (state.cluster) {
    return cluster_ack(state, std::move(call), std::move(handle), std::move(claim_id), seq);
  }

  const std::size_t shard_index = state.shard_of(call.room_id);
  state.on_shard(shard_index, [&state, call = std::move(call), handle = std::move(handle),
                               claim_id = std::move(claim_id), seq](core::RoomShard& shard) {
    core::ClaimCursor* c = cursor_for(state, shard, handle, call.room_id, /*create=*/false);
    if (!c)
      return call.reply.send(json_response(200, R"({"ok":true,"advanced":false,"cursor":0})"));
    switch (core::ack_claim(*c, claim_id, seq)) {
      case core::AckOutcome::kAlreadyAcked: {
        // The first ack may have advanced the cursor in memory and then failed to persist
        // (503): persist again, so that no 200 is ever given for a cursor a restart would lose.
        const int64_t cursor = c->cursor;
        return persist_cursor(
            state, handle, call.room_id, cursor, [reply = call.reply, cursor](auto r) {
              if (!r) {
                return reply.send(error_response(503, r.error().error, r.error().detail, 5));
              }
              reply.send(json_response(
                  200, R"({"ok":true,"advanced":false,"cursor":)" + std::to_string(cursor) + "}"));
            });
      }
      case core::AckOutcome::kStale: {
        boost::json::object o{{"error", "stale or unknown claim"},
                              {"detail", "claim it again: the claim id or seq is not current"},
                              {"cursor", c->cursor}};
        return call.reply.send(json_response(409, boost::json::serialize(o)));
      }
      case core::AckOutcome::kAdvanced:
        break;
    }
    // An acknowledged ack is durable: answer once the cursor is committed.
    const int64_t cursor = c->cursor;
    persist_cursor(state, handle, call.room_id, cursor, [reply = call.reply, cursor](auto r) {
      if (!r) return reply.send(error_response(503, r.error().error, r.error().detail, 5));
      reply.send(json_response(
          200, R"({"ok":true,"advanced":true,"cursor":)" + std::to_string(cursor) + "}"));
    });
  });
}

}  // namespace

void claim_message(RelayState& state, RoomCall call) {
  auto body = parse_json_body(call.request);
  if (!body) return call.reply.send(error_response(400, body.error().error, body.error().detail));
  auto handle = body_handle(call, body.value());
  if (!handle) return;
  auto request = std::make_shared<ClaimRequest>(parse_claim(state, call, body.value(), *handle));
  when_signed(state, std::move(call), *handle, UnknownHandle::kNotFound404,
              [&state, request](RoomCall& c) {
                claim_authenticated(state, std::move(c), std::move(*request));
              });
}

void ack_message(RelayState& state, RoomCall call) {
  auto body = parse_json_body(call.request);
  if (!body) return call.reply.send(error_response(400, body.error().error, body.error().detail));
  auto handle = body_handle(call, body.value());
  if (!handle) return;
  std::string claim_id, seq_text = "0";
  if (const auto* o = body.value().if_object()) {
    if (const auto* c = o->if_contains("claim_id"); c && c->is_string()) claim_id = c->get_string();
    if (const auto* s = o->if_contains("seq"); s && !identity::js_is_falsy(*s)) {
      seq_text = identity::js_string(*s);
    }
  }
  const int64_t seq = core::parse_js_int(seq_text).value_or(0);
  when_signed(state, std::move(call), *handle, UnknownHandle::kNotFound404,
              [&state, handle = *handle, claim_id, seq](RoomCall& c) {
                ack_authenticated(state, std::move(c), handle, claim_id, seq);
              });
}

}  // namespace b2b::api
