// RelayClient: identities, DMs and the agent directory (IDENTITY.md §2–§4).
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "client/dm_crypto.h"
#include "client/relay_client.h"
#include "identity/agent_profile.h"
#include "identity/handles.h"
#include "identity/signing_texts.h"

namespace b2b::client {
namespace json = boost::json;
using namespace std::chrono_literals;

namespace {

core::Error bad_answer(std::string_view what) {
  return core::Error{"unexpected answer", std::string(what) + " has an unexpected shape"};
}

}  // namespace

core::Result<int64_t> RelayClient::register_identity(const ClientIdentity& id,
                                                     std::optional<std::string> bio) {
  std::string payload = json::serialize(register_body(id, now_ms(), std::move(bio)));
  std::string target = endpoint().target("/api/identity/register");
  auto v = call([&] { return HttpRequest{"POST", target, payload, {}, 30s}; }, Retry::kNone, 0);
  if (!v) return v.error();
  const auto* o = v.value().if_object();
  return o != nullptr ? json_int(*o, "registered_at").value_or(0) : 0;
}

core::Result<IdentityRecord> RelayClient::lookup_identity(std::string_view handle) {
  std::string h = identity::normalize_handle(handle);
  std::string target = endpoint().target("/api/identity/" + url_encode(h));
  auto v = get_json(target);
  if (!v) return v.error();
  auto r = parse_identity_record(v.value());
  if (!r) return bad_answer("the identity record");
  return std::move(*r);
}

core::Result<PostResult> RelayClient::send_dm(std::string_view to_handle, std::string_view text,
                                              const ClientIdentity* from) {
  std::string to = identity::normalize_handle(to_handle);
  if (!identity::is_valid_handle(to)) {
    return core::Error{"invalid handle", "'" + std::string(to_handle) + "' is not a handle"};
  }
  auto rec = lookup_identity(to);
  if (!rec) return rec.error();
  auto env = seal_dm(rec.value().box_pub, text);
  if (!env) return env.error();
  std::string payload = json::serialize(dm_body(env.value(), to, from, now_ms()));
  std::string target = endpoint().target("/api/dm/" + to);
  auto v = call(
      [&] {
        return HttpRequest{"POST", target, payload, {}, 30s};
      },
      Retry::kServerErrors, 4);
  if (!v) return v.error();
  const auto* o = v.value().if_object();
  auto seq = o != nullptr ? json_int(*o, "seq") : std::nullopt;
  const auto* id = o != nullptr ? o->if_contains("id") : nullptr;
  if (!seq || id == nullptr || !id->is_string()) return bad_answer("the DM answer");
  return PostResult{std::string(id->get_string()), *seq};
}

core::Result<InboxPage> RelayClient::inbox_wait(const ClientIdentity& id, int64_t after,
                                                int timeout_s) {
  std::string target =
      endpoint().target("/api/dm/" + id.handle() + "/inbox/wait?after=" + std::to_string(after) +
                        "&timeout=" + std::to_string(timeout_s));
  auto http_timeout = std::chrono::seconds(timeout_s + 15);
  auto v = call(
      [&] {
        return HttpRequest{
            "GET",
            target,
            "",
            {{"Authorization", authorization_header(id, "GET", target, now_ms(), random_nonce())}},
            http_timeout};
      },
      Retry::kServerAndConnectionErrors, 3);
  if (!v) return v.error();
  auto page = parse_inbox_page(v.value());
  if (!page) return bad_answer("the inbox answer");
  return std::move(*page);
}

core::Result<bool> RelayClient::inbox_ack(const ClientIdentity& id, std::string_view envelope_id) {
  std::string target =
      endpoint().target("/api/dm/" + id.handle() + "/inbox/" + url_encode(envelope_id));
  auto v = call(
      [&] {
        return HttpRequest{"DELETE",
                           target,
                           "",
                           {{"Authorization",
                             authorization_header(id, "DELETE", target, now_ms(), random_nonce())}},
                           30s};
      },
      Retry::kServerErrors, 3);
  if (!v) return v.error();
  const auto* o = v.value().if_object();
  return o != nullptr && json_int(*o, "removed").value_or(0) > 0;
}

core::Result<json::object> RelayClient::search_agents(const AgentSearch& query) {
  std::string qs;
  auto add = [&](const char* name, const std::string& value) {
    if (value.empty()) return;
    qs += (qs.empty() ? "?" : "&") + std::string(name) + "=" + url_encode(value);
  };
  add("q", query.q);
  add("framework", query.framework);
  add("capability", query.capability);
  add("topic", query.topic);
  add("language", query.language);
  if (query.limit) add("limit", std::to_string(*query.limit));
  if (query.cursor) add("cursor", std::to_string(*query.cursor));
  std::string target = endpoint().target("/api/agents" + qs);
  auto v = get_json(target);
  if (!v) return v.error();
  if (!v.value().is_object()) return bad_answer("the search answer");
  return std::move(v.value().get_object());
}

core::Result<json::object> RelayClient::publish_profile(const ClientIdentity& id,
                                                        const json::object& profile_input) {
  // The signature covers the profile as the relay cleans it (§3.1), so clean it here with the
  // same code and send exactly the cleaned bytes: nothing is left for the relay to rewrite.
  int64_t now = now_ms();
  json::object input = profile_input;
  input["schema"] = "bot2bot.agent_profile.v1";
  input["handle"] = id.handle();
  input["contact_policy"] = "signed_dm_first";
  if (!input.contains("updated_at")) input["updated_at"] = now;
  if (!input.contains("expires_at")) input["expires_at"] = now + identity::kAgentProfileTtlMs;
  identity::ProfileCleaningOptions options;
  options.now_ms = now;
  auto cleaned = identity::clean_profile(input, id.handle(), options);
  if (!cleaned) {
    return core::Error{cleaned.error().error,
                       "the profile was refused before sending: " + cleaned.error().error};
  }
  const auto& c = cleaned.value();
  std::string sig =
      id.sign(identity::profile_text(id.handle(), c.profile.updated_at, c.profile_hash));
  std::string payload = json::serialize(
      json::object{{"profile", json::parse(c.canonical_json)}, {"profile_sig", sig}});
  std::string target = endpoint().target("/api/agents/" + id.handle() + "/profile");
  auto v = call([&] { return HttpRequest{"PUT", target, payload, {}, 30s}; }, Retry::kNone, 0);
  if (!v) return v.error();
  const auto* o = v.value().if_object();
  const auto* p = o != nullptr ? o->if_contains("profile") : nullptr;
  if (p == nullptr || !p->is_object()) return bad_answer("the publish answer");
  return p->get_object();
}

}  // namespace b2b::client
