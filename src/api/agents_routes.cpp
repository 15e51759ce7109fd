#include "api/agents_routes.h"

#include <boost/json.hpp>

#include "api/identity_services.h"
#include "api/json_body.h"
#include "api/request_auth.h"
#include "api/responses.h"
#include "core/base64.h"
#include "core/clock.h"
#include "identity/agent_profile.h"
#include "identity/handles.h"

namespace b2b::api {
namespace {

// §3.5–§3.10: every directory read may be cached for 30 s.
net::Response cached_json(boost::json::object body) {
  net::Response res = json_response(200, boost::json::serialize(body));
  res.set(net::http::field::cache_control, "public, max-age=30");
  return res;
}

store::ProfileRecord to_record(const identity::DirectoryEntry& e, const std::string& canonical,
                               int64_t created_at) {
  return store::ProfileRecord{
      e.profile.handle,       canonical, e.profile_sig, e.profile.updated_at, e.last_seen_at,
      e.effective_expires_at, created_at};
}

// A publish the store refused (503) is taken back, so what readers see matches what a restart
// would load: the previous profile returns, or none. Skipped if a newer publish came since.
void undo_publish(identity::Directory& directory, const identity::DirectoryEntry& refused,
                  const std::optional<identity::DirectoryEntry>& previous,
                  std::optional<int64_t> previous_created_at) {
  const std::string& handle = refused.profile.handle;
  auto now_stored = directory.any(handle);
  if (!now_stored || now_stored->profile_sig != refused.profile_sig) return;
  if (!previous) {
    directory.remove(handle);
    return;
  }
  directory.restore(*previous, previous_created_at.value_or(previous->profile.updated_at));
}

}  // namespace

void put_profile(RelayState& state, const AgentCall& call) {
  IdentityServices& ids = *state.ids;
  auto parsed = parse_json_body(call.request);
  if (!parsed)
    return call.reply.send(error_response(400, parsed.error().error, parsed.error().detail));
  const int64_t now = core::wall_clock_ms();
  if (!state.allow_rate(call.client_ip, "agent:" + call.handle, now)) {
    core::inc(state.metrics.rate_limited);
    return call.reply.send(error_response(429, "rate limited", "too many profile updates", 5));
  }
  auto id = ids.registry.find(call.handle);
  if (!id) return call.reply.send(error_response(404, "identity not registered", "register first"));
  const boost::json::object* body = parsed.value().if_object();
  const boost::json::value* sig = body ? body->if_contains("profile_sig") : nullptr;
  if (!sig || !sig->is_string() || core::strict_base64_decoded_size(sig->get_string()) != 64) {
    return call.reply.send(error_response(400,
                                          "profile_sig must be strict canonical base64 of 64 bytes",
                                          "sign the T5 text of the cleaned profile"));
  }
  static const boost::json::value kNull;
  const boost::json::value* in = body->if_contains("profile");
  identity::ProfileCleaningOptions opts;
  opts.now_ms = now;
  auto cleaned = identity::clean_profile(in ? *in : kNull, call.handle, opts);
  if (!cleaned)
    return call.reply.send(error_response(400, cleaned.error().error, cleaned.error().detail));
  auto stored = ids.directory.any(call.handle);
  if (stored && stored->profile.updated_at > cleaned.value().profile.updated_at) {  // step 6
    return call.reply.send(
        error_response(409, "stale profile update", "updated_at is older than the stored one"));
  }
  if (!identity::verify_profile_signature(cleaned.value(), id->sign_pub, sig->get_string())) {
    auto diff = identity::first_cleaned_difference(*in, cleaned.value().profile);
    return call.reply.send(
        error_response(401, "bad profile signature",
                       diff ? "cleaning changed '" + *diff + "': sign the cleaned profile"
                            : "the signature does not verify"));
  }
  identity::DirectoryEntry entry{
      cleaned.value().profile,        id->box_pub, id->sign_pub,
      std::string(sig->get_string()), now,         cleaned.value().effective_expires_at};
  int64_t created_at = now;
  const std::optional<int64_t> previous_created_at = ids.directory.created_at(call.handle);
  if (ids.directory.publish(entry, now, &created_at) == identity::Directory::Publish::kStale) {
    return call.reply.send(error_response(409, "stale profile update", "a newer profile arrived"));
  }
  ids.registry.touch(call.handle, now);
  // 201 once durable (an acknowledged publish survives kill -9).
  ids.store->upsert_profile(
      to_record(entry, cleaned.value().canonical_json, created_at),
      [&ids, reply = call.reply, entry, stored, previous_created_at](auto r) {
        if (!r) {
          undo_publish(ids.directory, entry, stored, previous_created_at);
          return reply.send(error_response(503, r.error().error, r.error().detail, 5));
        }
        boost::json::object o{
            {"ok", true},
            {"handle", entry.profile.handle},
            {"profile", identity::served_profile(entry.profile, entry.box_pub, entry.sign_pub,
                                                 entry.profile_sig, entry.last_seen_at)}};
        reply.send(json_response(201, boost::json::serialize(o)));
      });
}

namespace {

// §3.9 after authentication: only last_seen_at moves.
void heartbeat(RelayState& state, const Reply& reply, const std::string& handle) {
  const int64_t now = core::wall_clock_ms();
  auto entry = state.ids->directory.heartbeat(handle, now);
  if (!entry)
    return reply.send(error_response(404, "profile not found", "publish a profile first"));
  // expires_at is not extended: it is signed.
  identity::ProfileCleaningOptions opts;
  opts.now_ms = now;
  opts.check_freshness = false;
  auto cleaned = identity::clean_profile(identity::profile_to_json(entry->profile), handle, opts);
  if (cleaned) {
    const int64_t created = state.ids->directory.created_at(handle).value_or(now);
    state.ids->store->upsert_profile(to_record(*entry, cleaned.value().canonical_json, created),
                                     [](auto) {});
  }
  boost::json::object o{
      {"ok", true}, {"handle", handle}, {"expires_at", entry->profile.expires_at}};
  reply.send(json_response(200, boost::json::serialize(o)));
}

}  // namespace

void delete_profile(RelayState& state, const AgentCall& call) {
  authenticate_handle(
      state, call.reply, call.request, call.handle, call.client_ip, UnknownHandle::kUnauthorized401,
      [&state, reply = call.reply, handle = call.handle] {
        state.ids->directory.remove(handle);
        state.ids->store->delete_profile(handle, [reply, handle](auto r) {
          if (!r) return reply.send(error_response(503, r.error().error, r.error().detail, 5));
          boost::json::object o{{"ok", true}, {"handle", handle}};
          reply.send(json_response(200, boost::json::serialize(o)));
        });
      });
}

void heartbeat_profile(RelayState& state, const AgentCall& call) {
  authenticate_handle(
      state, call.reply, call.request, call.handle, call.client_ip, UnknownHandle::kUnauthorized401,
      [&state, reply = call.reply, handle = call.handle] { heartbeat(state, reply, handle); });
}

void get_agent(RelayState& state, const AgentCall& call) {
  auto entry = state.ids->directory.live(call.handle, core::wall_clock_ms());
  if (!entry)
    return call.reply.send(
        error_response(404, "profile not found", "no live profile for this handle"));
  call.reply.send(cached_json(boost::json::object{{"agent", identity::served_entry(*entry)}}));
}

void search_agents(RelayState& state, const AgentCall& call) {
  identity::RawSearchParams raw{call.query.get("q"),          call.query.get("framework"),
                                call.query.get("capability"), call.query.get("topic"),
                                call.query.get("language"),   call.query.get("limit"),
                                call.query.get("cursor")};
  const auto query = identity::parse_search_query(raw);
  const int64_t now = core::wall_clock_ms();
  auto body = state.ids->directory.read([&](std::span<const identity::DirectoryEntry> entries) {
    return identity::search_response_body(identity::search_directory(entries, query, now));
  });
  call.reply.send(cached_json(std::move(body)));
}

void match_agents(RelayState& state, const AgentCall& call) {
  auto raw = call.query.get("handle");
  const std::string handle = raw ? identity::normalize_handle(*raw) : "";
  if (!identity::is_valid_handle(handle)) {
    return call.reply.send(error_response(400, "valid handle query required", "?handle=<handle>"));
  }
  auto source = state.ids->directory.any(handle);
  if (!source)
    return call.reply.send(error_response(404, "profile not found", "that handle has no profile"));
  const int64_t limit = identity::parse_matches_limit(call.query.get("limit"));
  const int64_t now = core::wall_clock_ms();
  auto body = state.ids->directory.read([&](std::span<const identity::DirectoryEntry> entries) {
    return identity::matches_response_body(
        identity::match_profiles(source->profile, entries, now, limit));
  });
  call.reply.send(cached_json(std::move(body)));
}

void directory_snapshot(RelayState& state, const Reply& reply) {
  const int64_t now = core::wall_clock_ms();
  auto body = state.ids->directory.read([&](std::span<const identity::DirectoryEntry> entries) {
    return identity::directory_snapshot_body(entries, now);
  });
  reply.send(cached_json(std::move(body)));
}

void load_directory(IdentityServices& ids, const std::vector<store::ProfileRecord>& records,
                    int64_t now_ms) {
  identity::ProfileCleaningOptions opts;
  opts.now_ms = now_ms;
  opts.check_freshness = false;
  for (const auto& r : records) {
    auto id = ids.registry.find(r.handle);
    if (!id || r.expires_at <= now_ms) continue;  // §3.11: identity gone, or expired
    boost::system::error_code ec;
    auto v = boost::json::parse(r.profile_json, ec);
    if (ec) continue;
    auto cleaned = identity::clean_profile(v, r.handle, opts);
    if (!cleaned) continue;
    ids.directory.restore(
        identity::DirectoryEntry{cleaned.value().profile, id->box_pub, id->sign_pub, r.profile_sig,
                                 r.last_seen_at, r.expires_at},
        r.created_at);
  }
}

}  // namespace b2b::api
