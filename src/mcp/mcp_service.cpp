#include "mcp/mcp_service.h"

#include "core/clock.h"

#include <iostream>

#include "client/room_crypto.h"
#include "identity/crypto.h"
#include "mcp/secret_file.h"
#include "mcp/tool_catalog.h"

namespace b2b::mcp {

namespace {

// "ack failed: 409 {…}" (§5.2): the relay's status and body when it answered, else the
// client's own description (transport failures, bad arguments).
std::string reason(const core::Error& e) {
  if (e.detail.rfind("HTTP ", 0) == 0) {
    std::string d = e.detail.substr(5);
    if (const std::size_t colon = d.find(": "); colon != std::string::npos) d.erase(colon, 1);
    return d;
  }
  return e.detail.empty() ? e.error : e.error + " — " + e.detail;
}

// At most this many rooms keep a presence stream; the least recently used one is set aside
// (its presence resumes when a tool uses it again).
constexpr std::size_t kMaxPresenceRooms = 8;

std::string room_key_of(const client::RoomUrl& url) {
  return url.endpoint.base_url() + "/room/" + url.room_id;
}

}  // namespace

McpService::McpService(McpSettings settings)
    : settings_(std::move(settings)), auth_store_(settings_.config_dir, settings_.wanted_handle) {}

McpService::~McpService() {
  shutdown();
}

void McpService::shutdown() {
  std::vector<std::shared_ptr<RoomSession>> rooms;
  {
    std::lock_guard lock(mu_);
    for (auto& [key, room] : rooms_) rooms.push_back(room);
  }
  for (auto& room : rooms) room->stop_presence();
}

ToolResult McpService::invoke(const std::string& name, const boost::json::object& arguments) {
  using Method = Outcome (McpService::*)(const ToolArguments&);
  static const std::map<std::string, Method, std::less<>> kMethods = {
      {"create_room", &McpService::create_room},
      {"join_room", &McpService::join_room},
      {"send_message", &McpService::send_message},
      {"wait_for_messages", &McpService::wait_for_messages},
      {"get_transcript", &McpService::get_transcript},
      {"room_status", &McpService::room_status},
      {"claim_task", &McpService::claim_task},
      {"ack_task", &McpService::ack_task},
      {"next_task", &McpService::next_task},
      {"register_identity", &McpService::register_identity},
      {"send_dm", &McpService::send_dm},
      {"check_inbox", &McpService::check_inbox},
      {"search_agents", &McpService::search_agents},
      {"publish_profile", &McpService::publish_profile},
  };
  const ToolArguments args(arguments);
  std::optional<Outcome> outcome;
  if (name == "add_reaction" || name == "remove_reaction") {
    outcome.emplace(react(args, name == "add_reaction"));
  } else if (auto it = kMethods.find(name); it != kMethods.end()) {
    outcome.emplace((this->*(it->second))(args));
  } else {
    return tool_error("unknown tool " + name);
  }
  if (!*outcome) {
    return tool_error(std::string(failure_verb(name)) + " failed: " + reason(outcome->error()));
  }
  return std::move(*outcome).value();
}

core::Result<client::Endpoint> McpService::allowed(core::Result<client::Endpoint> endpoint) const {
  if (!endpoint) return endpoint.error();
  if (!is_allowed_endpoint(endpoint.value(), settings_)) {
    return core::Error{"relay " + endpoint.value().base_url() + " is not allowed",
                       "only loopback relays and the configured base are reachable; add it to "
                       "BOT2BOT_MCP_ALLOWED_BASES"};
  }
  return endpoint;
}

core::Result<AuthIdentity> McpService::auth_identity() {
  return auth_store_.get();
}

core::Result<std::shared_ptr<const client::ClientIdentity>> McpService::registered_auth(
    client::RelayClient& relay, const std::optional<std::string>& bio) {
  core::Result<AuthIdentity> auth = auth_identity();
  if (!auth) return auth.error();
  std::shared_ptr<const client::ClientIdentity> id = auth.value().identity;
  const std::string base = relay.endpoint().base_url();
  {
    std::lock_guard lock(mu_);
    if (registered_bases_.count(base) != 0) return id;
  }
  core::Result<std::int64_t> registered = relay.register_identity(*id, bio);
  if (!registered) {
    if (relay.last_status() != 409) return registered.error();
    // 409: this handle exists on the relay. Fine if it is ours (registered by an earlier run),
    // fatal if someone else holds it: every signature of ours would then fail.
    core::Result<client::IdentityRecord> record = relay.lookup_identity(id->handle());
    if (record && record.value().sign_pub != id->sign_pub_b64()) {
      return core::Error{"handle @" + id->handle() + " belongs to another key on this relay",
                         "remove " + auth_store_.key_path() + " and " + auth_store_.meta_path() +
                             " (or set BOT2BOT_MCP_HANDLE) to use another handle"};
    }
  }
  std::lock_guard lock(mu_);
  registered_bases_.insert(base);
  return id;
}

core::Result<std::shared_ptr<RoomSession>> McpService::open_session(const client::RoomUrl& url) {
  const std::string key = room_key_of(url);
  {
    std::lock_guard lock(mu_);
    if (auto it = rooms_.find(key); it != rooms_.end()) {
      if (it->second->url().key != url.key) it->second->replace_key(url.key);
      return it->second;
    }
  }
  std::string label;
  if (std::shared_ptr<const client::ClientIdentity> adopted = room_identity(url.endpoint)) {
    label = "@" + adopted->handle();
  } else {
    core::Result<AuthIdentity> auth = auth_identity();
    if (!auth) return auth.error();
    label = initial_label(settings_.room_name, auth.value().identity->handle());
  }
  std::lock_guard lock(mu_);
  auto [it, inserted] = rooms_.emplace(key, std::make_shared<RoomSession>(url, label));
  return it->second;
}

core::Result<McpService::RoomRef> McpService::resolve_room(const ToolArguments& args,
                                                           Presence presence) {
  core::Result<std::optional<std::string>> url_arg = args.optional_string("url");
  if (!url_arg) return url_arg.error();
  core::Result<std::optional<std::string>> name_arg = args.optional_string("name");
  if (!name_arg) return name_arg.error();

  RoomRef ref;
  if (url_arg.value()) {
    core::Result<client::RoomUrl> url = client::parse_room_url(*url_arg.value());
    if (!url) return url.error();
    core::Result<client::Endpoint> endpoint = allowed(url.value().endpoint);
    if (!endpoint) return endpoint.error();
    core::Result<std::shared_ptr<RoomSession>> session = open_session(url.value());
    if (!session) return session.error();
    ref.session = session.value();
    std::lock_guard lock(mu_);
    const std::string key = room_key_of(url.value());
    ref.newly_active = active_room_ != key;
    active_room_ = key;
  } else {
    std::lock_guard lock(mu_);
    if (active_room_.empty()) {
      return core::Error{"no room given",
                         "pass url (<base>/room/<id>#k=<key>), or call join_room or create_room "
                         "first"};
    }
    ref.session = rooms_.at(active_room_);
  }

  const client::Endpoint endpoint = ref.session->url().endpoint;
  std::shared_ptr<const client::ClientIdentity> adopted = room_identity(endpoint);
  if (name_arg.value() && !adopted) {
    // §2.1: the name argument replaces the label for this room, stickily, until adoption.
    if (std::optional<std::string> label = label_from_name(*name_arg.value())) {
      ref.session->set_label(*label);
    }
  }
  if (presence == Presence::kStart) {
    std::string box_pub;
    if (adopted) {
      box_pub = adopted->box_pub_b64url();
    } else {
      core::Result<AuthIdentity> auth = auth_identity();
      if (!auth) return auth.error();
      box_pub = auth.value().identity->box_pub_b64url();
    }
    ref.session->start_presence(box_pub, [this](RoomSession& room, const client::RoomMessage& m) {
      const client::RoomUrl url = room.url();
      consume_envelope(room, m, client::open_text(url.key, m.ciphertext, m.nonce));
    });
    touch_presence(ref.session);
  }
  return ref;
}

void McpService::touch_presence(const std::shared_ptr<RoomSession>& room) {
  std::shared_ptr<RoomSession> set_aside;
  {
    std::lock_guard lock(mu_);
    std::erase(presence_lru_, room);
    presence_lru_.push_back(room);
    if (presence_lru_.size() > kMaxPresenceRooms) {
      set_aside = presence_lru_.front();
      presence_lru_.pop_front();
    }
  }
  if (set_aside) set_aside->stop_presence();
}

core::Result<client::PostResult> McpService::post(RoomSession& room, const std::string& text) {
  const client::RoomUrl url = room.url();
  client::RelayClient relay(url.endpoint);
  std::shared_ptr<const client::ClientIdentity> adopted = room_identity(url.endpoint);
  client::PostOptions options;
  options.sender = room.label();
  options.sign_as = adopted.get();
  // Runaway guards (issue: two agents answering each other forever): checked before, recorded
  // after, under the room's budget lock.
  std::unique_lock<std::mutex> budget_lock = room.lock_budget();
  client::SendBudget& budget = room.budget(settings_.budget);
  if (core::Result<std::monostate> seen = client::observe_room(relay, room.room_id(), budget);
      !seen) {
    return seen.error();
  }
  if (std::optional<core::Error> stop = budget.check(core::wall_clock_ms())) return *stop;
  core::Result<client::PostResult> posted = relay.post_text(url, text, options);
  // §5.2: a 403 (signed-only room) while anonymous is retried once, signed by the auth
  // identity; the relay then stamps "@<auth handle>".
  if (!posted && relay.last_status() == 403 && !adopted) {
    core::Result<std::shared_ptr<const client::ClientIdentity>> auth = registered_auth(relay);
    if (auth) {
      options.sign_as = auth.value().get();
      posted = relay.post_text(url, text, options);
    }
  }
  if (posted) {
    budget.record_send(core::wall_clock_ms(), posted.value().seq);
    room.record_posted_label(options.sender);
    room.note_seq(posted.value().seq);
  }
  return posted;
}

ShownMessage McpService::open(const client::RoomMessage& m, const std::string& key) const {
  return ShownMessage{m.id,     m.seq,
                      m.sender, m.sender_verified,
                      m.ts,     client::open_text(key, m.ciphertext, m.nonce)};
}

bool McpService::consume_envelope(RoomSession& room, const client::RoomMessage& m,
                                  const std::optional<std::string>& text) {
  if (!text) return false;
  const std::optional<client::EnvelopeKind> kind = client::envelope_kind(*text);
  if (!kind) return false;
  if (*kind == client::EnvelopeKind::kAdopt) maybe_adopt(room, m, *text);
  return true;
}

std::string McpService::room_identity_path(const client::Endpoint& e) const {
  // §3.6: one adopted identity per relay, named after the base URL's digest.
  return settings_.config_dir + "/mcp_room_identity-" +
         identity::sha256_hex(e.base_url()).substr(0, 12) + ".json";
}

std::shared_ptr<const client::ClientIdentity> McpService::room_identity(const client::Endpoint& e) {
  const std::string base = e.base_url();
  {
    std::lock_guard lock(mu_);
    if (auto it = room_identities_.find(base); it != room_identities_.end()) return it->second;
  }
  std::shared_ptr<const client::ClientIdentity> found;
  core::Result<std::optional<std::string>> file = read_file_if_exists(room_identity_path(e));
  if (file && file.value()) {
    boost::system::error_code ec;
    boost::json::value v = boost::json::parse(*file.value(), ec);
    core::Result<client::ClientIdentity> id =
        ec ? core::Result<client::ClientIdentity>(core::Error{"bad file", ""})
           : client::identity_from_json(v);
    if (id) found = std::make_shared<const client::ClientIdentity>(std::move(id).value());
  }
  std::lock_guard lock(mu_);
  return room_identities_.emplace(base, found).first->second;
}

ToolResult McpService::with_note(ToolResult result, const RoomRef& ref) {
  if (ref.newly_active) result.text += "\n" + active_room_note(ref.session->room_id());
  return result;
}

}  // namespace b2b::mcp
