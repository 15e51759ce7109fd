#include "core/message.h"

#include <boost/json.hpp>

#include <charconv>
#include <cmath>

#include "core/uuid.h"

namespace b2b::core {
namespace {

// JSON numbers on the wire carry no exponent when they are integral (§1.1); Boost.JSON
// would print a double like 60000.0 as "6E4", so integral ttl values go out as integers.
boost::json::value ttl_value(double ttl) {
  double integral = 0;
  if (std::modf(ttl, &integral) == 0.0) return boost::json::value(static_cast<int64_t>(integral));
  return boost::json::value(ttl);
}

}  // namespace

MessagePtr make_message(MessageDraft d, int64_t seq, int64_t ts) {
  auto m = std::make_shared<Message>();
  m->seq = seq;
  m->ts = ts;
  m->id = random_uuid_v4();
  m->sender = std::move(d.sender);
  m->ttl_ms = d.ttl_ms;
  m->accounted_bytes = d.ciphertext.size() + 512;

  boost::json::object o;
  o.reserve(13);
  o.emplace("type", "message");
  o.emplace("seq", seq);
  o.emplace("id", m->id);
  o.emplace("sender", m->sender);
  o.emplace("sender_verified", d.sender_verified);
  o.emplace("ciphertext", std::move(d.ciphertext));
  o.emplace("nonce", std::move(d.nonce));
  o.emplace("ts", ts);
  if (d.ttl_ms && *d.ttl_ms > 0) o.emplace("ttl_ms", ttl_value(*d.ttl_ms));
  if (d.reply_to) o.emplace("reply_to", std::move(*d.reply_to));
  if (d.signature) {
    o.emplace("sender_sig", std::move(d.signature->sender_sig));
    o.emplace("sender_ts", d.signature->sender_ts);
    o.emplace("sender_nonce", std::move(d.signature->sender_nonce));
  }
  m->event = render_event(boost::json::serialize(o));
  return m;
}

}  // namespace b2b::core
