// POST /api/rooms/{id}/messages (ROOMS.md §6.1). Validation and rate limits run on the
// connection's shard; the rest (steps 4–9) on the room's shard, as one step.
#include <boost/json.hpp>

#include "api/cluster_posting.h"
#include "api/json_body.h"
#include "api/responses.h"
#include "api/room_routes.h"
#include "api/webhook_service.h"
#include "core/clock.h"
#include "core/message_validation.h"
#include "core/room_posting.h"

namespace b2b::api {
namespace {

constexpr std::string_view kLockedHttp =
    "signed_only: this room requires sender_sig from a registered @handle";

net::Response refusal_response(const core::PostResult& r) {
  switch (*r.refusal) {
    case core::PostRefusal::kUnavailable:
      return error_response(503, r.detail, "the relay's cluster store is unreachable", 1);
    case core::PostRefusal::kRoomBufferFull:
      return error_response(503, "room buffer full \xE2\x80\x94 try again shortly", r.detail, 60);
    case core::PostRefusal::kGlobalBufferFull:
      return error_response(503, "global room buffer full \xE2\x80\x94 try again shortly", r.detail,
                            60);
    case core::PostRefusal::kBadSignature:
      return error_response(401, "bad sender_sig", r.detail);
    case core::PostRefusal::kSignatureBusy:
      return error_response(429, "replay-cache full for this handle", r.detail, 5);
    case core::PostRefusal::kSignedOnlyNeedsSig:
      return error_response(400, "signed_only requires sender_sig", r.detail);
    case core::PostRefusal::kRoomLocked:
      return error_response(403, kLockedHttp, r.detail);
  }
  return error_response(500, "internal error");
}

}  // namespace

void post_message(RelayState& state, RoomCall call) {
  auto body = parse_json_body(call.request);
  if (!body) return call.reply.send(error_response(400, body.error().error, body.error().detail));
  auto message = core::validate_message(body.value());
  if (!message) {
    return call.reply.send(error_response(400, message.error().error, message.error().detail));
  }
  const int64_t now = core::wall_clock_ms();
  // §10.1 with the §20.10 fix: room buckets are namespaced so no route shares them.
  if (!state.allow_rate(call.client_ip, "room:" + call.room_id, now)) {
    core::inc(state.metrics.rate_limited);
    return call.reply.send(
        error_response(429, "rate limited", "slow down; retry after a second", 1));
  }

  // The Ed25519 check runs here, on whichever core took the connection; the room's shard only
  // records the nonce (§6.1 step 6 keeps its place in the order of refusals).
  std::optional<core::SignatureCheck> precheck;
  if (message.value().is_signed) {
    precheck = state.sender_verifier->check(call.room_id, message.value(), now);
  }
  const std::size_t shard_index = state.shard_of(call.room_id);
  state.on_shard(shard_index, [&state, shard_index, call = std::move(call),
                               precheck = std::move(precheck),
                               m = std::move(message.value())](core::RoomShard&) mutable {
    const std::string room_id = call.room_id;
    state.get_or_create_room(
        shard_index, room_id,
        [&state, call = std::move(call), precheck = std::move(precheck),
         m = std::move(m)](auto room) mutable {
          if (!room) return call.reply.send(unavailable_response(room.error()));
          const std::size_t ciphertext_len = m.ciphertext.size();
          auto answer = [&state, call, ciphertext_len](core::PostResult r) {
            if (r.refusal) return call.reply.send(refusal_response(r));
            // Issue 10: subscribers are served on the webhook thread, never on this executor.
            // In cluster mode only the node that took the post enqueues it.
            if (state.webhooks) state.webhooks->enqueue_room_message(call.room_id, r.message);
            core::inc(state.metrics.messages_posted_http);
            core::inc(state.metrics.bytes_relayed, ciphertext_len);
            std::string out = R"({"ok":true,"id":")";
            out.append(r.message->id).append(R"(","seq":)").append(std::to_string(r.message->seq));
            out.push_back('}');
            call.reply.send(json_response(200, std::move(out)));
          };
          const int64_t now = core::wall_clock_ms();
          if (!state.cluster) {
            return answer(core::post_to_room(*room.value(), std::move(m), "agent",
                                             *state.sender_verifier, now,
                                             precheck ? &*precheck : nullptr));
          }
          core::PreparedPost prepared =
              core::prepare_post(*room.value(), std::move(m), "agent", *state.sender_verifier, now,
                                 precheck ? &*precheck : nullptr);
          if (prepared.refusal) {
            return answer(core::PostResult{nullptr, prepared.refusal, prepared.detail});
          }
          post_through_cluster(state, state.shard_of(call.room_id), call.room_id,
                               std::move(prepared), now, std::move(answer));
        });
  });
}

}  // namespace b2b::api
