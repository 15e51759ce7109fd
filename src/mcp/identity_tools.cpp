// Identity, DM and directory tools (ours; IDENTITY.md §2–§4). All act as the auth identity.
#include <boost/json.hpp>

#include "client/dm_crypto.h"
#include "identity/handles.h"
#include "mcp/mcp_service.h"

namespace b2b::mcp {
namespace json = boost::json;

namespace {

std::vector<std::string> string_items(const json::object& o, std::string_view key) {
  std::vector<std::string> out;
  if (const json::value* v = o.if_contains(key); v != nullptr && v->is_array()) {
    for (const json::value& item : v->as_array()) {
      if (item.is_string()) out.emplace_back(item.as_string());
    }
  }
  return out;
}

std::string string_field(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
}

}  // namespace

McpService::Outcome McpService::register_identity(const ToolArguments& args) {
  core::Result<std::optional<std::string>> handle = args.optional_string("handle");
  if (!handle) return handle.error();
  core::Result<std::optional<std::string>> bio = args.optional_string("bio");
  if (!bio) return bio.error();
  core::Result<AuthIdentity> auth = auth_store_.get(handle.value());
  if (!auth) return auth.error();
  core::Result<client::Endpoint> endpoint = allowed(client::parse_endpoint(settings_.base_url));
  if (!endpoint) return endpoint.error();
  client::RelayClient relay(endpoint.value());
  core::Result<std::shared_ptr<const client::ClientIdentity>> registered =
      registered_auth(relay, bio.value());
  if (!registered) return registered.error();
  const client::ClientIdentity& id = *registered.value();
  std::string text =
      "identity @" + id.handle() + " is registered on " + endpoint.value().base_url() +
      (auth.value().created_now ? " (new; keys saved in " + settings_.config_dir + ")" : "") +
      "\nIt signs claims, DMs and your directory profile; others can DM you at @" + id.handle() +
      ".";
  return ToolResult{std::move(text), false,
                    json::object{{"handle", id.handle()},
                                 {"created", auth.value().created_now},
                                 {"box_pub", id.box_pub_b64()},
                                 {"sign_pub", id.sign_pub_b64()}}};
}

McpService::Outcome McpService::send_dm(const ToolArguments& args) {
  core::Result<std::string> to = args.required_string("to");
  if (!to) return to.error();
  core::Result<std::string> text = args.required_string("text");
  if (!text) return text.error();
  core::Result<client::Endpoint> endpoint = allowed(client::parse_endpoint(settings_.base_url));
  if (!endpoint) return endpoint.error();
  client::RelayClient relay(endpoint.value());
  core::Result<std::shared_ptr<const client::ClientIdentity>> auth = registered_auth(relay);
  if (!auth) return auth.error();
  core::Result<client::PostResult> sent =
      relay.send_dm(to.value(), text.value(), auth.value().get());
  if (!sent) return sent.error();
  const std::string handle = identity::normalize_handle(to.value());
  return ToolResult{
      dm_sent_text(handle, sent.value().id, sent.value().seq), false,
      json::object{{"id", sent.value().id}, {"seq", sent.value().seq}, {"to", handle}}};
}

McpService::Outcome McpService::check_inbox(const ToolArguments& args) {
  core::Result<std::optional<std::int64_t>> after_arg = args.optional_int("after_seq", 0);
  if (!after_arg) return after_arg.error();
  core::Result<std::int64_t> timeout = args.clamped_int("timeout_seconds", 1, 1, 90);
  if (!timeout) return timeout.error();
  core::Result<bool> ack = args.boolean("ack", false);
  if (!ack) return ack.error();
  core::Result<client::Endpoint> endpoint = allowed(client::parse_endpoint(settings_.base_url));
  if (!endpoint) return endpoint.error();
  client::RelayClient relay(endpoint.value());
  core::Result<std::shared_ptr<const client::ClientIdentity>> auth = registered_auth(relay);
  if (!auth) return auth.error();
  std::int64_t after = 0;
  {
    std::lock_guard lock(mu_);
    after = after_arg.value().value_or(inbox_after_);
  }
  core::Result<client::InboxPage> page =
      relay.inbox_wait(*auth.value(), after, static_cast<int>(timeout.value()));
  if (!page) return page.error();
  std::vector<ShownDm> dms;
  json::array items;
  std::int64_t last = after;
  for (const client::DmEnvelope& e : page.value().messages) {
    last = std::max(last, e.seq);
    ShownDm dm{e.id, e.seq, e.from_verified ? e.from_handle : std::nullopt, e.ts,
               client::open_dm(*auth.value(), e.ciphertext, e.nonce, e.sender_eph_pub)};
    json::object item{{"id", dm.id},
                      {"seq", dm.seq},
                      {"from_handle", dm.from_handle ? json::value(*dm.from_handle) : nullptr},
                      {"from_verified", dm.from_handle.has_value()},
                      {"ts", dm.ts},
                      {"text", dm.text ? json::value(*dm.text) : nullptr}};
    items.push_back(std::move(item));
    dms.push_back(std::move(dm));
  }
  if (ack.value()) {
    for (const ShownDm& dm : dms) {
      core::Result<bool> removed = relay.inbox_ack(*auth.value(), dm.id);
      if (!removed) return removed.error();
    }
  }
  {
    std::lock_guard lock(mu_);
    inbox_after_ = std::max(inbox_after_, last);
  }
  return ToolResult{inbox_text(dms, last, static_cast<int>(timeout.value()), ack.value()), false,
                    json::object{{"messages", std::move(items)}, {"last_seq", last}}};
}

McpService::Outcome McpService::search_agents(const ToolArguments& args) {
  client::AgentSearch query;
  for (auto [key, field] :
       {std::pair{"q", &query.q}, std::pair{"framework", &query.framework},
        std::pair{"capability", &query.capability}, std::pair{"topic", &query.topic},
        std::pair{"language", &query.language}}) {
    core::Result<std::optional<std::string>> v = args.optional_string(key);
    if (!v) return v.error();
    *field = v.value().value_or("");
  }
  core::Result<std::int64_t> limit = args.clamped_int("limit", 20, 1, 100);
  if (!limit) return limit.error();
  query.limit = static_cast<int>(limit.value());
  core::Result<client::Endpoint> endpoint = allowed(client::parse_endpoint(settings_.base_url));
  if (!endpoint) return endpoint.error();
  client::RelayClient relay(endpoint.value());
  core::Result<json::object> found = relay.search_agents(query);
  if (!found) return found.error();
  std::vector<ShownAgent> agents;
  json::array structured;
  if (const json::value* list = found.value().if_contains("agents"); list && list->is_array()) {
    for (const json::value& a : list->as_array()) {
      if (!a.is_object()) continue;
      const json::object& p = a.as_object();
      agents.push_back(ShownAgent{string_field(p, "handle"), string_field(p, "display_name"),
                                  string_field(p, "framework"), string_field(p, "summary"),
                                  string_items(p, "capabilities"), string_items(p, "topics"),
                                  string_items(p, "languages")});
      structured.push_back(p);
    }
  }
  return ToolResult{agents_text(agents), false, json::object{{"agents", std::move(structured)}}};
}

McpService::Outcome McpService::publish_profile(const ToolArguments& args) {
  json::object input;
  for (const char* key :
       {"display_name", "summary", "framework", "framework_version", "homepage_url"}) {
    core::Result<std::optional<std::string>> v = args.optional_string(key);
    if (!v) return v.error();
    if (v.value()) input[key] = *v.value();
  }
  for (const char* key : {"capabilities", "topics", "languages"}) {
    core::Result<std::vector<std::string>> v = args.string_list(key);
    if (!v) return v.error();
    json::array items;
    for (const std::string& s : v.value()) items.emplace_back(s);
    input[key] = std::move(items);
  }
  core::Result<client::Endpoint> endpoint = allowed(client::parse_endpoint(settings_.base_url));
  if (!endpoint) return endpoint.error();
  client::RelayClient relay(endpoint.value());
  core::Result<std::shared_ptr<const client::ClientIdentity>> auth = registered_auth(relay);
  if (!auth) return auth.error();
  core::Result<json::object> served = relay.publish_profile(*auth.value(), input);
  if (!served) return served.error();
  const std::optional<std::int64_t> expires = client::json_int(served.value(), "expires_at");
  const std::string handle = auth.value()->handle();
  std::string text =
      "profile published for @" + handle + " (expires_at=" + std::to_string(expires.value_or(0)) +
      "; publish again to refresh it). search_agents with q=" + handle + " finds it.";
  return ToolResult{std::move(text), false,
                    json::object{{"handle", handle}, {"expires_at", expires.value_or(0)}}};
}

}  // namespace b2b::mcp
