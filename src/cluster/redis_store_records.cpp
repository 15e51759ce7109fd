#include "cluster/redis_store_records.h"

#include <algorithm>
#include <boost/json.hpp>
#include <charconv>
#include <map>
#include <optional>

#include "core/json_fields.h"

namespace b2b::cluster::records {

namespace json = boost::json;

namespace {

using Fields = std::map<std::string, std::string, std::less<>>;

// The detail names the kind of record, never its content or key (which holds a handle).
core::Error corrupt(const char* what) {
  return core::Error{"storage error", std::string("unreadable ") + what + " in redis"};
}

bool to_int(std::string_view s, int64_t& out) {
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc{} && end == s.data() + s.size();
}

bool fields_of(const RedisReply& r, Fields& out) {
  if (r.type != RedisReply::Type::kArray || r.elements.size() % 2 != 0) return false;
  for (std::size_t i = 0; i < r.elements.size(); i += 2) {
    out[r.elements[i].str] = r.elements[i + 1].str;
  }
  return true;
}

// Reads the named fields; all must be present.
struct Reader {
  const Fields& f;
  bool ok = true;
  std::string text(std::string_view name) {
    const auto it = f.find(name);
    if (it == f.end()) {
      ok = false;
      return {};
    }
    return it->second;
  }
  int64_t integer(std::string_view name) {
    int64_t v = 0;
    if (!to_int(text(name), v)) ok = false;
    return v;
  }
};

}  // namespace

std::string dm_json(const store::DmRecord& r) {
  json::object o;
  o["seq"] = r.seq;
  o["id"] = r.id;
  o["ciphertext"] = r.ciphertext;
  o["nonce"] = r.nonce;
  o["sender_eph_pub"] = r.sender_eph_pub;
  if (r.from_handle) o["from_handle"] = *r.from_handle;
  o["from_verified"] = r.from_verified;
  o["ts"] = r.ts;
  if (r.from_sig) o["from_sig"] = *r.from_sig;
  if (r.from_ts) o["from_ts"] = *r.from_ts;
  return json::serialize(o);
}

core::Result<store::DmRecord> parse_dm(const std::string& recipient, std::string_view text) {
  json::error_code ec;
  const json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return corrupt("DM");
  const json::object& o = v.get_object();
  const auto str = [&o](const char* k) { return core::string_field(o, k); };
  const auto num = [&o](const char* k) { return core::int64_field(o, k); };
  const auto verified = core::bool_field(o, "from_verified");
  if (!num("seq") || !str("id") || !str("ciphertext") || !str("nonce") || !str("sender_eph_pub") ||
      !num("ts") || !verified) {
    return corrupt("DM");
  }
  store::DmRecord r;
  r.recipient = recipient;
  r.seq = *num("seq");
  r.id = *str("id");
  r.ciphertext = *str("ciphertext");
  r.nonce = *str("nonce");
  r.sender_eph_pub = *str("sender_eph_pub");
  if (const auto* h = str("from_handle")) r.from_handle = std::string(*h);
  r.from_verified = *verified;
  r.ts = *num("ts");
  if (const auto* s = str("from_sig")) r.from_sig = std::string(*s);
  if (const auto t = num("from_ts")) r.from_ts = *t;
  return r;
}

std::string cursor_value(const store::ClaimCursorRecord& r) {
  return std::to_string(r.cursor) + " " + std::to_string(r.touched_at);
}

core::Result<store::IdentityRecord> parse_identity(const std::string& handle,
                                                   const RedisReply& reply) {
  Fields f;
  if (!fields_of(reply, f)) return corrupt("identity");
  Reader in{f};
  store::IdentityRecord r{handle,
                          in.text("box_pub"),
                          in.text("sign_pub"),
                          in.integer("registered_at"),
                          in.integer("updated_at"),
                          in.integer("last_seen_at"),
                          in.text("meta_json"),
                          in.integer("inbox_seq")};
  if (!in.ok) return corrupt("identity");
  return r;
}

core::Result<store::ProfileRecord> parse_profile(const std::string& handle,
                                                 const RedisReply& reply) {
  Fields f;
  if (!fields_of(reply, f)) return corrupt("profile");
  Reader in{f};
  store::ProfileRecord r{handle,
                         in.text("profile_json"),
                         in.text("profile_sig"),
                         in.integer("updated_at"),
                         in.integer("last_seen_at"),
                         in.integer("expires_at"),
                         in.integer("created_at")};
  if (!in.ok) return corrupt("profile");
  return r;
}

core::Result<std::vector<store::DmRecord>> parse_inbox(const std::string& recipient,
                                                       const RedisReply& reply) {
  Fields f;
  if (!fields_of(reply, f)) return corrupt("inbox");
  std::vector<store::DmRecord> out;
  out.reserve(f.size());
  for (const auto& [seq, text] : f) {
    auto dm = parse_dm(recipient, text);
    if (!dm) return dm.error();
    out.push_back(std::move(dm).value());
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.seq < b.seq; });
  return out;
}

core::Result<std::vector<store::ClaimCursorRecord>> parse_cursors(const std::string& room_key,
                                                                  const RedisReply& reply) {
  Fields f;
  if (!fields_of(reply, f)) return corrupt("claim cursors");
  std::vector<store::ClaimCursorRecord> out;
  out.reserve(f.size());
  for (const auto& [handle, value] : f) {
    const auto space = value.find(' ');
    store::ClaimCursorRecord r{handle, room_key, 0, 0};
    if (space == std::string::npos || !to_int(std::string_view(value).substr(0, space), r.cursor) ||
        !to_int(std::string_view(value).substr(space + 1), r.touched_at)) {
      return corrupt("claim cursor");
    }
    out.push_back(std::move(r));
  }
  return out;
}

core::Result<store::WebhookRecord> parse_webhook(const std::string& id, const RedisReply& reply) {
  Fields f;
  if (!fields_of(reply, f)) return corrupt("webhook");
  Reader in{f};
  store::WebhookRecord r{id,
                         in.text("handle"),
                         in.text("room_key"),
                         in.text("url"),
                         in.text("secret"),
                         in.integer("created_at")};
  if (!in.ok) return corrupt("webhook");
  return r;
}

core::Result<store::WebhookDeliveryRecord> parse_delivery(const std::string& id,
                                                          const RedisReply& reply) {
  Fields f;
  if (!fields_of(reply, f)) return corrupt("webhook delivery");
  Reader in{f};
  store::WebhookDeliveryRecord r{id,
                                 in.text("hook_id"),
                                 in.text("body"),
                                 in.integer("created_at"),
                                 in.integer("attempts"),
                                 in.integer("next_attempt_at"),
                                 in.text("state"),
                                 in.integer("last_status"),
                                 in.text("last_error"),
                                 in.integer("updated_at")};
  if (!in.ok) return corrupt("webhook delivery");
  return r;
}

core::Result<store::RoomHighWater> parse_high_water(const std::string& room_key,
                                                    const RedisReply& reply) {
  store::RoomHighWater r{room_key, 0};
  if (reply.type != RedisReply::Type::kString || !to_int(reply.str, r.next_seq)) {
    return corrupt("high-water mark");
  }
  return r;
}

}  // namespace b2b::cluster::records
