#include "client/relay_types.h"

#include <cmath>

namespace b2b::client {
namespace json = boost::json;

namespace {

std::optional<std::string> str(const json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  if (v == nullptr || !v->is_string()) return std::nullopt;
  return std::string(v->get_string());
}

bool flag(const json::object& o, std::string_view key, bool fallback) {
  auto* v = o.if_contains(key);
  return v != nullptr && v->is_bool() ? v->get_bool() : fallback;
}

}  // namespace

std::optional<int64_t> json_int(const json::value* v) {
  if (v == nullptr) return std::nullopt;
  if (v->is_int64()) return v->get_int64();
  if (v->is_uint64() && v->get_uint64() <= static_cast<uint64_t>(INT64_MAX)) {
    return static_cast<int64_t>(v->get_uint64());
  }
  if (v->is_double()) {
    double d = v->get_double();
    if (std::isfinite(d) && std::floor(d) == d && std::fabs(d) < 9.2e18) {
      return static_cast<int64_t>(d);
    }
  }
  return std::nullopt;
}

std::optional<int64_t> json_int(const json::object& o, std::string_view key) {
  return json_int(o.if_contains(key));
}

std::optional<RoomMessage> parse_room_message(const json::value& v) {
  const auto* o = v.if_object();
  if (o == nullptr) return std::nullopt;
  RoomMessage m;
  auto seq = json_int(*o, "seq");
  auto ct = str(*o, "ciphertext");
  auto nonce = str(*o, "nonce");
  if (!seq || !ct || !nonce) return std::nullopt;
  m.seq = *seq;
  m.ciphertext = std::move(*ct);
  m.nonce = std::move(*nonce);
  m.id = str(*o, "id").value_or("");
  m.sender = str(*o, "sender").value_or("agent");
  m.sender_verified = flag(*o, "sender_verified", false);
  m.ts = json_int(*o, "ts").value_or(0);
  m.reply_to = str(*o, "reply_to");
  m.ttl_ms = json_int(*o, "ttl_ms");
  return m;
}

std::optional<MessagePage> parse_message_page(const json::value& v) {
  const auto* o = v.if_object();
  if (o == nullptr) return std::nullopt;
  const auto* msgs = o->if_contains("messages");
  if (msgs == nullptr || !msgs->is_array()) return std::nullopt;
  MessagePage page;
  for (const auto& item : msgs->get_array()) {
    auto m = parse_room_message(item);
    if (!m) return std::nullopt;
    page.messages.push_back(std::move(*m));
  }
  page.last_seq = json_int(*o, "last_seq").value_or(0);
  page.exists = flag(*o, "exists", true);
  page.count = json_int(*o, "count");
  page.dropped_through = json_int(*o, "dropped_through").value_or(0);
  return page;
}

std::optional<RoomStatus> parse_room_status(const json::value& v) {
  const auto* o = v.if_object();
  if (o == nullptr) return std::nullopt;
  RoomStatus s;
  s.exists = flag(*o, "exists", false);
  s.room_id = str(*o, "roomId").value_or("");
  s.participants = json_int(*o, "participants").value_or(0);
  s.recent_count = json_int(*o, "recent_count").value_or(0);
  s.last_seq = json_int(*o, "last_seq").value_or(0);
  s.age_seconds = json_int(*o, "age_seconds").value_or(0);
  s.idle_seconds = json_int(*o, "idle_seconds").value_or(0);
  s.signed_only = flag(*o, "signed_only", false);
  return s;
}

std::optional<ClaimResult> parse_claim_result(const json::value& v) {
  const auto* o = v.if_object();
  if (o == nullptr) return std::nullopt;
  ClaimResult c;
  c.empty = flag(*o, "empty", false);
  c.cursor = json_int(*o, "cursor").value_or(0);
  c.last_seq = json_int(*o, "last_seq").value_or(0);
  c.exists = flag(*o, "exists", true);
  if (!c.empty) {
    auto id = str(*o, "claim_id");
    const auto* msg = o->if_contains("message");
    if (!id || msg == nullptr) return std::nullopt;
    c.claim_id = std::move(*id);
    c.message = parse_room_message(*msg);
    if (!c.message) return std::nullopt;
  }
  return c;
}

std::optional<AckResult> parse_ack_result(const json::value& v) {
  const auto* o = v.if_object();
  if (o == nullptr) return std::nullopt;
  return AckResult{flag(*o, "advanced", false), json_int(*o, "cursor").value_or(0)};
}

std::optional<IdentityRecord> parse_identity_record(const json::value& v) {
  const auto* o = v.if_object();
  if (o == nullptr) return std::nullopt;
  IdentityRecord r;
  auto handle = str(*o, "handle");
  auto box = str(*o, "box_pub");
  auto sign = str(*o, "sign_pub");
  if (!handle || !box || !sign) return std::nullopt;
  r.handle = std::move(*handle);
  r.box_pub = std::move(*box);
  r.sign_pub = std::move(*sign);
  r.registered_at = json_int(*o, "registered_at").value_or(0);
  if (const auto* meta = o->if_contains("meta"); meta != nullptr && meta->is_object()) {
    r.bio = str(meta->get_object(), "bio").value_or("");
  }
  return r;
}

std::optional<DmEnvelope> parse_dm_envelope(const json::value& v) {
  const auto* o = v.if_object();
  if (o == nullptr) return std::nullopt;
  DmEnvelope e;
  auto seq = json_int(*o, "seq");
  auto id = str(*o, "id");
  auto ct = str(*o, "ciphertext");
  auto nonce = str(*o, "nonce");
  auto eph = str(*o, "sender_eph_pub");
  if (!seq || !id || !ct || !nonce || !eph) return std::nullopt;
  e.seq = *seq;
  e.id = std::move(*id);
  e.ciphertext = std::move(*ct);
  e.nonce = std::move(*nonce);
  e.sender_eph_pub = std::move(*eph);
  e.from_handle = str(*o, "from_handle");
  e.from_verified = flag(*o, "from_verified", false);
  e.ts = json_int(*o, "ts").value_or(0);
  return e;
}

std::optional<InboxPage> parse_inbox_page(const json::value& v) {
  const auto* o = v.if_object();
  if (o == nullptr) return std::nullopt;
  const auto* msgs = o->if_contains("messages");
  if (msgs == nullptr || !msgs->is_array()) return std::nullopt;
  InboxPage page;
  for (const auto& item : msgs->get_array()) {
    auto e = parse_dm_envelope(item);
    if (!e) return std::nullopt;
    page.messages.push_back(std::move(*e));
  }
  page.last_seq = json_int(*o, "last_seq").value_or(0);
  page.has_more = flag(*o, "has_more", false);
  return page;
}

}  // namespace b2b::client
