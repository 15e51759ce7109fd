#include "core/message.h"

#include <boost/json.hpp>

#include <charconv>
#include <cmath>

#include "core/uuid.h"

namespace b2b::core {
namespace {

void append_json_string(std::string& out, std::string_view s) {
  out.append(boost::json::serialize(boost::json::string_view(s)));
}

void append_int(std::string& out, int64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

// §1.1: numbers go out without exponent. Integral ttl values print as integers; others in
// their shortest round-trip form ("30000.5"), which in the §3 range never needs an exponent.
void append_ttl(std::string& out, double ttl) {
  double integral = 0;
  if (std::modf(ttl, &integral) == 0.0) return append_int(out, static_cast<int64_t>(integral));
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, ttl);
  out.append(buf, r.ptr);
}

}  // namespace

std::string Message::record_json() const {
  constexpr std::string_view kTypePrefix = R"({"type":"message",)";
  std::string out = "{";
  out.append(event->json().substr(kTypePrefix.size()));
  return out;
}

MessagePtr make_message(MessageDraft d, int64_t seq, int64_t ts, std::string id) {
  auto m = std::make_shared<Message>();
  m->seq = seq;
  m->ts = ts;
  m->id = id.empty() ? random_uuid_v4() : std::move(id);
  m->sender = std::move(d.sender);
  m->ttl_ms = d.ttl_ms;
  m->accounted_bytes = d.ciphertext.size() + 512;

  // Rendered by hand, once: this is the hot path of every post (§2.5 key order, no _bytes).
  std::string j;
  j.reserve(d.ciphertext.size() + m->sender.size() + 256);
  j.append(R"({"type":"message","seq":)");
  append_int(j, seq);
  j.append(R"(,"id":")").append(m->id).append(R"(","sender":)");
  append_json_string(j, m->sender);
  j.append(R"(,"sender_verified":)").append(d.sender_verified ? "true" : "false");
  j.append(R"(,"ciphertext":)");
  append_json_string(j, d.ciphertext);
  j.append(R"(,"nonce":)");
  append_json_string(j, d.nonce);
  j.append(R"(,"ts":)");
  append_int(j, ts);
  if (d.ttl_ms && *d.ttl_ms > 0) {
    j.append(R"(,"ttl_ms":)");
    append_ttl(j, *d.ttl_ms);
  }
  if (d.reply_to) {
    j.append(R"(,"reply_to":)");
    append_json_string(j, *d.reply_to);
  }
  if (d.signature) {  // §20.3: relayed so recipients can verify the sender themselves
    j.append(R"(,"sender_sig":)");
    append_json_string(j, d.signature->sender_sig);
    j.append(R"(,"sender_ts":)");
    append_int(j, d.signature->sender_ts);
    j.append(R"(,"sender_nonce":)");
    append_json_string(j, d.signature->sender_nonce);
  }
  j.push_back('}');
  m->event = render_event(j);
  return m;
}

}  // namespace b2b::core
