#include "cluster/room_record.h"

#include <boost/json.hpp>

#include "core/json_fields.h"

namespace b2b::cluster {
namespace {

core::Error bad_record(std::string what) {
  return core::Error{"bad room record", std::move(what)};
}

}  // namespace

std::string encode_room_record(const RoomRecord& r) {
  const core::MessageDraft& d = r.draft;
  boost::json::object o;
  o["id"] = r.id;
  o["ts"] = r.ts;
  o["sender"] = d.sender;
  o["sender_verified"] = d.sender_verified;
  o["ciphertext"] = d.ciphertext;
  o["nonce"] = d.nonce;
  if (d.ttl_ms) o["ttl_ms"] = *d.ttl_ms;
  if (d.reply_to) o["reply_to"] = *d.reply_to;
  if (d.signature) {
    o["sender_sig"] = d.signature->sender_sig;
    o["sender_ts"] = d.signature->sender_ts;
    o["sender_nonce"] = d.signature->sender_nonce;
  }
  if (r.lock_first) o["lock"] = true;
  return boost::json::serialize(o);
}

core::Result<RoomRecord> decode_room_record(std::string_view json) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(json, ec);
  if (ec || !v.is_object()) return bad_record("not a JSON object");
  const boost::json::object& o = v.as_object();
  RoomRecord r;
  const auto* id = core::string_field(o, "id");
  const auto* sender = core::string_field(o, "sender");
  const auto* ciphertext = core::string_field(o, "ciphertext");
  const auto* nonce = core::string_field(o, "nonce");
  const auto ts = core::int64_field(o, "ts");
  if (!id || !sender || !ciphertext || !nonce || !ts) {
    return bad_record("missing id, ts, sender, ciphertext or nonce");
  }
  r.id = *id;
  r.ts = *ts;
  r.draft.sender = *sender;
  r.draft.ciphertext = *ciphertext;
  r.draft.nonce = *nonce;
  if (const auto b = core::bool_field(o, "sender_verified")) r.draft.sender_verified = *b;
  if (const auto* t = o.if_contains("ttl_ms"); t && t->is_number()) {
    r.draft.ttl_ms = t->to_number<double>();
  }
  if (const auto* s = core::string_field(o, "reply_to")) r.draft.reply_to = std::string(*s);
  if (const auto* sig = core::string_field(o, "sender_sig")) {
    const auto* nonce_of_sig = core::string_field(o, "sender_nonce");
    const auto sig_ts = core::int64_field(o, "sender_ts");
    if (!nonce_of_sig || !sig_ts) return bad_record("partial signature");
    r.draft.signature =
        core::RelayedSignature{std::string(*sig), std::string(*nonce_of_sig), *sig_ts};
  }
  if (const auto l = core::bool_field(o, "lock")) r.lock_first = *l;
  return r;
}

namespace {

boost::json::array encode_entries(const std::vector<core::Heartbeats::Entry>& entries) {
  boost::json::array out;
  for (const auto& e : entries) {
    boost::json::object o{{"name", e.name}, {"seen", e.last_seen_ms}};
    if (e.box_pub) o["box_pub"] = *e.box_pub;
    out.emplace_back(std::move(o));
  }
  return out;
}

bool decode_entries(const boost::json::value* v, std::vector<core::Heartbeats::Entry>& out) {
  if (!v) return true;
  const auto* array = v->if_array();
  if (!array) return false;
  for (const auto& item : *array) {
    const auto* o = item.if_object();
    if (!o) return false;
    const auto* name = core::string_field(*o, "name");
    const auto seen = core::int64_field(*o, "seen");
    if (!name || !seen) return false;
    core::Heartbeats::Entry e{std::string(*name), std::nullopt, *seen};
    if (const auto* key = core::string_field(*o, "box_pub")) e.box_pub = std::string(*key);
    out.push_back(std::move(e));
  }
  return true;
}

}  // namespace

std::string encode_node_presence(const NodePresenceRecord& r) {
  boost::json::object o{
      {"node", r.node}, {"streams", r.presence.streams}, {"expires", r.presence.expires_ms}};
  if (!r.presence.members.empty()) o["members"] = encode_entries(r.presence.members);
  if (!r.presence.heartbeats.empty()) o["heartbeats"] = encode_entries(r.presence.heartbeats);
  return boost::json::serialize(o);
}

core::Result<NodePresenceRecord> decode_node_presence(std::string_view json) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(json, ec);
  const auto* o = ec ? nullptr : v.if_object();
  if (!o) return bad_record("presence: not a JSON object");
  NodePresenceRecord r;
  const auto* node = core::string_field(*o, "node");
  const auto streams = core::int64_field(*o, "streams");
  const auto expires = core::int64_field(*o, "expires");
  if (!node || !streams || !expires)
    return bad_record("presence: missing node, streams or expires");
  r.node = *node;
  r.presence.streams = *streams;
  r.presence.expires_ms = *expires;
  if (!decode_entries(o->if_contains("members"), r.presence.members) ||
      !decode_entries(o->if_contains("heartbeats"), r.presence.heartbeats)) {
    return bad_record("presence: bad member list");
  }
  return r;
}

core::MessagePtr numbered_message(RoomRecord record, int64_t seq) {
  return core::make_message(std::move(record.draft), seq, record.ts, std::move(record.id));
}

}  // namespace b2b::cluster
