#include "api/dm_routes.h"

#include <boost/asio/steady_timer.hpp>
#include <boost/json.hpp>

#include "api/identity_services.h"
#include "api/json_body.h"
#include "api/parked_request.h"
#include "api/request_auth.h"
#include "api/responses.h"
#include "api/shared_nonces.h"
#include "api/webhook_service.h"
#include "core/clock.h"
#include "core/js_int.h"
#include "core/uuid.h"
#include "identity/crypto.h"
#include "identity/dm_validation.h"
#include "identity/signing_texts.h"

namespace b2b::api {
namespace {

using identity::EnvelopePtr;

std::string page_body(const std::vector<EnvelopePtr>& envs, std::optional<bool> has_more,
                      int64_t last_seq) {
  std::string out = "{\"messages\":[";
  for (std::size_t i = 0; i < envs.size(); ++i) {
    if (i) out.push_back(',');
    out.append(envs[i]->to_json());
  }
  out.append("],\"last_seq\":").append(std::to_string(last_seq));
  if (has_more) out.append(",\"has_more\":").append(*has_more ? "true" : "false");
  out.push_back('}');
  return out;
}

// Mirrors evictions and expiries of an inbox in the store (not awaited: losing one only
// means an envelope that was already gone from memory comes back after a restart).
void forget_dropped(IdentityServices& ids, const std::string& handle,
                    const identity::InboxChange& change) {
  for (const auto& id : change.dropped_ids) ids.store->delete_dm(handle, id, [](auto) {});
}

// §4.2 step 9 for a signed envelope: nullopt = verified (and `key` is its replay key),
// otherwise the refusal to send.
std::optional<net::Response> verify_sender(IdentityServices& ids, const std::string& recipient,
                                           const identity::DmSenderClaim& claim,
                                           const identity::DmEnvelopeFields& env, int64_t now,
                                           std::string& key) {
  auto sender = ids.registry.find(claim.from_handle);
  if (!sender)
    return error_response(400, "from_handle not registered", "register the sender first");
  const std::string hash = identity::env_hash(env.ciphertext, env.nonce, env.sender_eph_pub);
  key = identity::dm_replay_key(recipient, hash);
  using Outcome = identity::ReplayCache::Outcome;
  if (ids.dm_envelopes.check(claim.from_handle, key, claim.from_ts, now) == Outcome::kReplay) {
    return error_response(401, "envelope already seen", "this envelope was delivered before");
  }
  const std::string text =
      identity::dm_text(recipient, claim.from_handle, claim.from_ts_text, hash);
  if (!identity::verify_detached(sender->sign_pub, text, claim.from_sig)) {
    return error_response(401, "bad from_handle signature",
                          "from_sig does not verify over dm <to> <from> <from_ts> <env_hash>");
  }
  switch (ids.dm_envelopes.check_and_record(claim.from_handle, key, claim.from_ts, now)) {
    case Outcome::kFresh:
      break;
    case Outcome::kFull:
      return error_response(429, "replay-cache full for this handle", "retry shortly", 5);
    default:
      return error_response(401, "envelope already seen", "this envelope was delivered before");
  }
  ids.registry.touch(claim.from_handle, now);
  return std::nullopt;
}

class InboxWaiter final : public identity::InboxWaiter,
                          public std::enable_shared_from_this<InboxWaiter> {
 public:
  InboxWaiter(RelayState& state, std::size_t shard, Reply reply, std::string handle, int64_t after,
              core::Slot slot)
      : state_(state),
        shard_(shard),
        reply_(std::move(reply)),
        handle_(std::move(handle)),
        after_(after),
        slot_(std::move(slot)),
        timer_(state.pool().context(shard)) {}

  void arm(int64_t timeout_s) {
    timer_.expires_after(std::chrono::seconds(timeout_s));
    timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (ec || self->done_) return;
      self->state_.ids->inboxes[self->shard_]->unpark(self->handle_, self.get());
      self->finish(page_body({}, std::nullopt, self->after_));
    });
  }
  bool offer(const EnvelopePtr& e) override {
    if (done_) return true;
    if (e->seq <= after_) return false;
    finish(page_body({e}, std::nullopt, e->seq));  // §4.4: only that envelope
    return true;
  }
  void answer_for_shutdown() override {
    if (!done_) finish(page_body({}, std::nullopt, after_));
  }
  void abort() {
    if (done_) return;
    done_ = true;
    state_.ids->inboxes[shard_]->unpark(handle_, this);
    timer_.cancel();
    slot_.release();
  }

 private:
  void finish(std::string body) {
    done_ = true;
    timer_.cancel();
    slot_.release();
    reply_.send(json_response(200, std::move(body)));
  }

  RelayState& state_;
  const std::size_t shard_;
  Reply reply_;
  const std::string handle_;
  const int64_t after_;
  core::Slot slot_;
  boost::asio::steady_timer timer_;
  bool done_ = false;
};

void wait_inbox_authenticated(RelayState& state, DmCall call) {
  const int64_t after = std::max<int64_t>(0, core::js_int_or(call.query.get("after"), 0));
  const int64_t timeout_s = core::js_int_clamped(call.query.get("timeout"), 30, 1, 90);
  const std::size_t shard = state.shard_of(call.handle);
  state.on_shard(
      shard, [&state, shard, call = std::move(call), after, timeout_s](core::RoomShard&) {
        IdentityServices& ids = *state.ids;
        identity::InboxChange change;
        auto page = ids.inboxes[shard]->after(call.handle, after, core::wall_clock_ms(), &change);
        forget_dropped(ids, call.handle, change);
        if (!page.envelopes.empty()) {
          return call.reply.send(json_response(
              200, page_body(page.envelopes, page.has_more, page.envelopes.back()->seq)));
        }
        auto slot = acquire_waiter_slot(
            state, call.reply, call.client_ip, ids.inboxes[shard]->waiters_for(call.handle),
            ids.config.dm_waiters_per_handle, "too many concurrent waiters for this handle");
        if (!slot) return;
        auto waiter = std::make_shared<InboxWaiter>(state, shard, call.reply, call.handle, after,
                                                    std::move(*slot));
        ids.inboxes[shard]->park(call.handle, waiter);
        waiter->arm(timeout_s);
        abort_on_disconnect(state, call.reply, shard, waiter);
      });
}

void delete_authenticated(RelayState& state, DmCall call, std::string id) {
  const std::size_t shard = state.shard_of(call.handle);
  state.on_shard(
      shard, [&state, shard, call = std::move(call), id = std::move(id)](core::RoomShard&) {
        const int removed = state.ids->inboxes[shard]->remove(call.handle, id);
        const std::string body = R"({"ok":true,"removed":)" + std::to_string(removed) + "}";
        if (removed == 0) return call.reply.send(json_response(200, body));
        state.ids->store->delete_dm(call.handle, id, [reply = call.reply, body](auto r) {
          if (!r) return reply.send(error_response(503, r.error().error, r.error().detail, 5));
          reply.send(json_response(200, body));
        });
      });
}

// §4.2 steps 11–13: the inbox seq, the inbox and the store; 200 once the DM is durable.
void store_dm(RelayState& state, DmCall call, std::shared_ptr<identity::Envelope> e) {
  IdentityServices& ids = *state.ids;
  const std::size_t shard = state.shard_of(call.handle);
  state.on_shard(shard, [&state, &ids, shard, call = std::move(call), e](core::RoomShard&) {
    const int64_t now = core::wall_clock_ms();
    auto seq = ids.registry.next_inbox_seq(call.handle, now, [](auto) {});
    if (!seq) return call.reply.send(error_response(404, "no such handle", "nobody registered it"));
    e->seq = *seq;
    identity::InboxChange change;
    if (!ids.inboxes[shard]->append(call.handle, e, now, &change)) {
      return call.reply.send(error_response(
          503, "global DM buffer full \xE2\x80\x94 try again shortly", "inboxes are full", 60));
    }
    forget_dropped(ids, call.handle, change);
    // 200 only once the envelope is durable (issue: an acknowledged DM survives kill -9).
    ids.store->insert_dm(
        store::DmRecord{call.handle, e->seq, e->id, e->ciphertext, e->nonce, e->sender_eph_pub,
                        e->from_handle, e->from_verified, e->ts, e->from_sig, e->from_ts},
        [&state, shard, reply = call.reply, handle = call.handle, e](auto r) {
          if (!r) {
            // Refused (503): the sender will retry, so the copy in RAM must not stay readable
            // (a waiter parked right now may have had it; that cannot be undone).
            state.on_shard(shard, [&state, shard, handle, id = e->id](core::RoomShard&) {
              state.ids->inboxes[shard]->remove(handle, id);
            });
            return reply.send(error_response(503, r.error().error, r.error().detail, 5));
          }
          auto answer = [reply, id = e->id, seq = e->seq] {
            boost::json::object o{{"ok", true}, {"id", id}, {"seq", seq}};
            reply.send(json_response(200, boost::json::serialize(o)));
          };
          // Issue 10: with a webhook, 200 waits until its delivery record is durable too.
          if (!state.webhooks) return answer();
          state.webhooks->enqueue_dm(handle, *e, std::move(answer));
        });
  });
}

}  // namespace

void post_dm(RelayState& state, DmCall call) {
  IdentityServices& ids = *state.ids;
  auto parsed = parse_json_body(call.request);  // a malformed body is refused first (§1.1)
  if (!parsed)
    return call.reply.send(error_response(400, parsed.error().error, parsed.error().detail));
  const int64_t now = core::wall_clock_ms();
  if (!state.allow_rate(call.client_ip, "dm:" + call.handle, now)) {
    core::inc(state.metrics.rate_limited);
    return call.reply.send(error_response(429, "rate limited", "too many DMs to this handle", 1));
  }
  if (!ids.registry.find(call.handle)) {
    return call.reply.send(error_response(404, "no such handle", "nobody registered it"));
  }
  static const boost::json::object kEmpty;
  const auto& body = parsed.value().is_object() ? parsed.value().get_object() : kEmpty;
  auto env = identity::validate_dm_envelope(body);
  if (!env) return call.reply.send(error_response(400, env.error().error, env.error().detail));
  auto claim = identity::parse_dm_sender_claim(body, now);
  if (!claim)
    return call.reply.send(error_response(400, claim.error().error, claim.error().detail));
  std::string replay_key;
  if (claim.value()) {
    if (auto refused =
            verify_sender(ids, call.handle, *claim.value(), env.value(), now, replay_key)) {
      return call.reply.send(std::move(*refused));
    }
  }
  if (!ids.dm_pool.would_fit(static_cast<int64_t>(env.value().ciphertext.size() + 512))) {
    return call.reply.send(error_response(
        503, "global DM buffer full \xE2\x80\x94 try again shortly", "inboxes are full", 60));
  }

  auto e = std::make_shared<identity::Envelope>();
  e->id = core::random_uuid_v4();
  e->ciphertext = std::move(env.value().ciphertext);
  e->nonce = std::move(env.value().nonce);
  e->sender_eph_pub = std::move(env.value().sender_eph_pub);
  e->ts = now;
  if (const auto& c = claim.value()) {
    e->from_handle = c->from_handle;
    e->from_verified = true;
    e->from_sig = c->from_sig;
    e->from_ts = c->from_ts;
  }
  if (!claim.value()) return store_dm(state, std::move(call), std::move(e));
  // Cluster mode: the envelope is single-use across nodes, not only here (shared_nonces.h).
  auto held = std::make_shared<DmCall>(std::move(call));
  const std::string from = e->from_handle.value_or("");
  const int64_t from_ts = e->from_ts.value_or(0);
  claim_nonce_then(
      state, held->reply, NonceKind::kDmEnvelope, from, replay_key, from_ts,
      error_response(401, "envelope already seen", "this envelope was delivered before"),
      [&state, held, e] { store_dm(state, std::move(*held), e); });
}

void wait_inbox(RelayState& state, DmCall call) {
  std::string handle = call.handle;
  when_signed(state, std::move(call), std::move(handle), UnknownHandle::kNotFound404,
              [&state](DmCall& c) { wait_inbox_authenticated(state, std::move(c)); });
}

void delete_inbox_envelope(RelayState& state, DmCall call, std::string id) {
  std::string handle = call.handle;
  when_signed(
      state, std::move(call), std::move(handle), UnknownHandle::kNotFound404,
      [&state, id = std::move(id)](DmCall& c) { delete_authenticated(state, std::move(c), id); });
}

}  // namespace b2b::api
