#include "api/identity_routes.h"

#include <sodium.h>

#include <boost/asio/post.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/json.hpp>

#include "api/identity_services.h"
#include "api/json_body.h"
#include "api/responses.h"
#include "api/shared_nonces.h"
#include "core/clock.h"
#include "identity/crypto.h"
#include "identity/handles.h"
#include "identity/registration.h"
#include "identity/signing_texts.h"

namespace b2b::api {
namespace {

constexpr std::string_view kBadRegisterSig =
    "bad register_sig \xE2\x80\x94 does not verify against sign_pub (sign \"register <handle> "
    "<ts> <box_pub> <sign_pub>\")";

// §2.2 step 2: the Authorization value, a leading "Bearer " (any case) removed, compared in
// constant time with the operator token.
bool is_operator(const RelayState& state, std::string_view auth) {
  const auto& token = state.ids->config.admin_token;
  if (!token || token->empty()) return false;
  if (auth.size() >= 7 && boost::beast::iequals(auth.substr(0, 7), "Bearer "))
    auth.remove_prefix(7);
  while (!auth.empty() && (auth.front() == ' ' || auth.front() == '\t')) auth.remove_prefix(1);
  return auth.size() == token->size() &&
         sodium_memcmp(auth.data(), token->data(), auth.size()) == 0;
}

std::string created_body(const std::string& handle, int64_t registered_at) {
  boost::json::object o{{"ok", true}, {"handle", handle}, {"registered_at", registered_at}};
  return boost::json::serialize(o);
}

// §2.2 step 7: the re-registration of an existing handle, answered 201 or 409.
void refresh_existing(RelayState& state, const Reply& reply, const identity::Identity& existing,
                      const boost::json::object& body, const identity::RegisterKeys& keys,
                      int64_t now) {
  IdentityServices& ids = *state.ids;
  auto sig = identity::validate_register_signature(body, now);
  bool proof = sig && existing.sign_pub == keys.sign_pub;
  std::string text;
  if (proof) {
    text = identity::register_text(existing.handle, sig.value().register_ts_text, keys.box_pub,
                                   keys.sign_pub);
    proof = !ids.register_sigs.seen("", identity::sha256_hex(text), now) &&
            identity::verify_detached(keys.sign_pub, text, sig.value().register_sig);
  }
  if (!proof) return reply.send(error_response(409, "handle taken", "the owner's proof failed"));
  const std::string digest = identity::sha256_hex(text);
  ids.register_sigs.check_and_record("", digest, sig.value().register_ts, now);
  claim_nonce_then(
      state, reply, NonceKind::kRegistration, existing.handle, digest, sig.value().register_ts,
      error_response(409, "handle taken", "the owner's proof failed"),
      [&ids, reply, handle = existing.handle, at = existing.registered_at, box_pub = keys.box_pub] {
        // §9 W3: the owner signed this box key, so it replaces the stored one.
        ids.registry.refresh(handle, box_pub, core::wall_clock_ms(), [reply, handle, at](auto r) {
          if (!r) return reply.send(error_response(503, r.error().error, r.error().detail, 5));
          reply.send(json_response(201, created_body(handle, at)));
        });
      });
}

// §2.5: a collected identity takes its inbox, profile and claim cursors with it (the store
// cascades on its side; memory is cleaned on each owning shard).
void forget_collected(RelayState& state, const std::vector<std::string>& handles) {
  if (handles.empty()) return;
  for (const auto& h : handles) state.ids->directory.remove(h);
  for (std::size_t i = 0; i < state.pool().size(); ++i) {
    boost::asio::post(state.pool().context(i), [&state, i, handles] {
      for (const auto& h : handles) {
        state.ids->inboxes[i]->forget(h);
        state.shard(i).claims().forget_handle(h);
      }
    });
  }
}

// §2.2 step 9: the new identity, 201 once durable; 409 when the store already has the handle.
void insert_identity(IdentityServices& ids, const Reply& reply, const identity::Identity& id) {
  const auto taken = [] { return error_response(409, "handle taken", "registered a moment ago"); };
  const bool inserted = ids.registry.insert(id, [reply, &ids, id, taken](auto r) {
    if (!r || !r.value()) ids.registry.forget_insert(id);
    if (!r) return reply.send(error_response(503, r.error().error, r.error().detail, 5));
    // Cluster mode: another node registered the handle first (in this node's registry, or only
    // in the store); its identity reaches this node through the change feed.
    if (!r.value()) return reply.send(taken());
    reply.send(json_response(201, created_body(id.handle, id.registered_at)));
  });
  if (!inserted) reply.send(taken());
}

}  // namespace

void register_identity(RelayState& state, const Reply& reply, const net::Request& req,
                       const std::string& client_ip) {
  IdentityServices& ids = *state.ids;
  const int64_t now = core::wall_clock_ms();
  if (!state.allow_rate(client_ip, "identity:register", now)) {
    core::inc(state.metrics.rate_limited);
    return reply.send(error_response(429, "rate limited", "too many registrations", 5));
  }
  const bool op = is_operator(state, req[net::http::field::authorization]);
  auto parsed = parse_json_body(req);
  if (!parsed) return reply.send(error_response(400, parsed.error().error, parsed.error().detail));
  static const boost::json::object kEmpty;
  const boost::json::object& body =
      parsed.value().is_object() ? parsed.value().get_object() : kEmpty;

  auto handle = identity::validate_register_handle(body);
  if (!handle) return reply.send(error_response(400, handle.error().error, handle.error().detail));
  if (identity::is_reserved_handle(handle.value()) && !op) {
    return reply.send(error_response(409, "handle reserved", "needs the operator token"));
  }
  auto keys = identity::validate_register_keys(body);
  if (!keys) return reply.send(error_response(400, keys.error().error, keys.error().detail));
  if (auto existing = ids.registry.find(handle.value())) {
    return refresh_existing(state, reply, *existing, body, keys.value(), now);
  }
  if (ids.registry.size() >= ids.config.identities_max) {  // step 8
    // Reserved handles are never collected (§2.4); identities with a live profile neither.
    auto removed = ids.registry.collect_inactive(
        ids.config.identities_max - 1, now - ids.config.identity_gc_inactive_ms,
        [&](const std::string& h) {
          return identity::is_reserved_handle(h) || ids.directory.live(h, now).has_value();
        });
    forget_collected(state, removed);
    if (ids.registry.size() >= ids.config.identities_max) {
      return reply.send(error_response(503, "identity cap reached", "try again later", 3600));
    }
  }
  auto sig = identity::validate_register_signature(body, now);
  if (!sig) return reply.send(error_response(400, sig.error().error, sig.error().detail));
  const std::string text = identity::register_text(handle.value(), sig.value().register_ts_text,
                                                   keys.value().box_pub, keys.value().sign_pub);
  // §9 W15: the replay cache is keyed by the digest of what was signed.
  const std::string digest = identity::sha256_hex(text);
  if (ids.register_sigs.seen("", digest, now)) {
    return reply.send(error_response(401, "register_sig already used", "sign a fresh register_ts"));
  }
  if (!identity::verify_detached(keys.value().sign_pub, text, sig.value().register_sig)) {
    return reply.send(error_response(401, kBadRegisterSig, "the signature does not verify"));
  }
  ids.register_sigs.check_and_record("", digest, sig.value().register_ts, now);

  identity::Identity id;
  id.handle = handle.value();
  id.box_pub = keys.value().box_pub;
  id.sign_pub = keys.value().sign_pub;
  id.registered_at = id.updated_at = id.last_seen_at = now;
  id.meta_json = boost::json::serialize(identity::register_meta(body));
  claim_nonce_then(state, reply, NonceKind::kRegistration, id.handle, digest,
                   sig.value().register_ts,
                   error_response(401, "register_sig already used", "sign a fresh register_ts"),
                   [&ids, reply, id] { insert_identity(ids, reply, id); });
}

void get_identity(RelayState& state, const Reply& reply, const std::string& raw_handle) {
  auto id = state.ids->registry.find(identity::normalize_handle(raw_handle));
  if (!id) return reply.send(error_response(404, "no such handle", "nobody registered it"));
  boost::json::value meta = boost::json::parse(id->meta_json);
  boost::json::object o{{"handle", id->handle},
                        {"box_pub", id->box_pub},
                        {"sign_pub", id->sign_pub},
                        {"registered_at", id->registered_at},
                        {"meta", std::move(meta)}};
  reply.send(json_response(200, boost::json::serialize(o)));
}

}  // namespace b2b::api
