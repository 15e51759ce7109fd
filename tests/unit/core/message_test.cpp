// ROOMS.md §2.5/§4.1 stored record and `message` event, with the §20.1 (no `_bytes`) and
// §20.3 (relayed signature material) fixes; §1.1 numbers without exponent.
#include "core/message.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <regex>
#include <set>
#include <string>

namespace b2b::core {
namespace {
namespace json = boost::json;

const std::string kNonce = std::string(32, 'A');

MessageDraft draft() {
  MessageDraft d;
  d.sender = "research-bot";
  d.ciphertext = "3q2+7w==";
  d.nonce = kNonce;
  return d;
}

json::object parsed(const MessagePtr& m) {
  return json::parse(m->event->json()).as_object();
}

std::set<std::string> keys(const json::object& o) {
  std::set<std::string> out;
  for (const auto& kv : o) out.emplace(kv.key());
  return out;
}

TEST(Message, MinimalRecordHasExactlyTheSpecKeys) {
  auto m = make_message(draft(), 1776600000123, 1776600000125);
  auto o = parsed(m);
  EXPECT_EQ(keys(o), (std::set<std::string>{"type", "seq", "id", "sender", "sender_verified",
                                            "ciphertext", "nonce", "ts"}));
  EXPECT_EQ(o.at("type").as_string(), "message");
  EXPECT_EQ(o.at("seq").as_int64(), 1776600000123);
  EXPECT_EQ(o.at("ts").as_int64(), 1776600000125);
  EXPECT_EQ(o.at("sender").as_string(), "research-bot");
  EXPECT_FALSE(o.at("sender_verified").as_bool());
  EXPECT_EQ(o.at("ciphertext").as_string(), "3q2+7w==");
  EXPECT_EQ(o.at("nonce").as_string(), kNonce);
  EXPECT_EQ(o.at("id").as_string(), m->id);
}

TEST(Message, NoInternalBytesOnTheWire) {
  auto m = make_message(draft(), 1, 2);
  EXPECT_EQ(m->event->json().find("_bytes"), std::string_view::npos);
  EXPECT_EQ(m->accounted_bytes, 8u + 512u);  // kept internally
}

TEST(Message, KeyOrderFollowsTheSpec) {
  MessageDraft d = draft();
  d.ttl_ms = 3'600'000;
  d.reply_to = "5b3c9f0a-1d2e";
  auto m = make_message(d, 10, 20);
  const std::string_view j = m->event->json();
  std::size_t prev = 0;
  for (const char* key : {"\"type\"", "\"seq\"", "\"id\"", "\"sender\"", "\"sender_verified\"",
                          "\"ciphertext\"", "\"nonce\"", "\"ts\"", "\"ttl_ms\"", "\"reply_to\""}) {
    std::size_t at = j.find(key);
    ASSERT_NE(at, std::string_view::npos) << key;
    EXPECT_GE(at, prev) << key;
    prev = at;
  }
  EXPECT_EQ(j.substr(0, 17), R"({"type":"message")");
}

TEST(Message, IdIsALowercaseUuidV4AndUnique) {
  const std::regex v4("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
  std::set<std::string> seen;
  for (int i = 0; i < 50; ++i) {
    auto m = make_message(draft(), i, 0);
    EXPECT_TRUE(std::regex_match(m->id, v4)) << m->id;
    seen.insert(m->id);
  }
  EXPECT_EQ(seen.size(), 50u);
}

TEST(Message, IntegralTtlIsRenderedWithoutExponent) {
  MessageDraft d = draft();
  d.ttl_ms = 60'000.0;
  auto m = make_message(d, 1, 2);
  EXPECT_NE(m->event->json().find(R"("ttl_ms":60000})"), std::string_view::npos)
      << m->event->json();
  d.ttl_ms = 30'000.5;  // §3: non-integers are relayed as-is, without an exponent
  m = make_message(d, 1, 2);
  EXPECT_NE(m->event->json().find(R"("ttl_ms":30000.5})"), std::string_view::npos)
      << m->event->json();
  d.ttl_ms = 31'622'400'000.0;  // the maximum (366 days) still exact
  m = make_message(d, 1, 2);
  EXPECT_NE(m->event->json().find(R"("ttl_ms":31622400000)"), std::string_view::npos)
      << m->event->json();
}

TEST(Message, FractionalTtlIsRelayedAsANumber) {
  MessageDraft d = draft();
  d.ttl_ms = 30'000.5;
  auto m = make_message(d, 1, 2);
  auto o = parsed(m);
  ASSERT_TRUE(o.at("ttl_ms").is_number());
  EXPECT_DOUBLE_EQ(o.at("ttl_ms").to_number<double>(), 30'000.5);
}

TEST(Message, NonPositiveTtlIsNotRendered) {
  MessageDraft d = draft();
  d.ttl_ms = 0;
  EXPECT_FALSE(parsed(make_message(d, 1, 2)).contains("ttl_ms"));
  d.ttl_ms = -1;
  EXPECT_FALSE(parsed(make_message(d, 1, 2)).contains("ttl_ms"));
}

TEST(Message, ReplyToOnlyWhenSet) {
  MessageDraft d = draft();
  EXPECT_FALSE(parsed(make_message(d, 1, 2)).contains("reply_to"));
  d.reply_to = "abcdefgh";
  EXPECT_EQ(parsed(make_message(d, 1, 2)).at("reply_to").as_string(), "abcdefgh");
}

TEST(Message, SignatureMaterialIsRelayedWhenVerified) {
  MessageDraft d = draft();
  d.sender = "@alice";
  d.sender_verified = true;
  d.signature = RelayedSignature{"SIG==", "NONCE", 1776600000000};
  auto o = parsed(make_message(d, 1, 2));
  EXPECT_TRUE(o.at("sender_verified").as_bool());
  EXPECT_EQ(o.at("sender_sig").as_string(), "SIG==");
  EXPECT_EQ(o.at("sender_nonce").as_string(), "NONCE");
  EXPECT_EQ(o.at("sender_ts").as_int64(), 1776600000000);
  EXPECT_FALSE(parsed(make_message(draft(), 1, 2)).contains("sender_sig"));
}

TEST(Message, SseFramingIsOneDataLine) {
  auto m = make_message(draft(), 1, 2);
  const std::string_view sse = m->event->sse();
  EXPECT_EQ(sse.substr(0, 6), "data: ");
  EXPECT_EQ(sse.substr(sse.size() - 2), "\n\n");
  EXPECT_EQ(sse.substr(6, sse.size() - 8), m->event->json());
  EXPECT_EQ(m->event->json().find('\n'), std::string_view::npos);
}

TEST(Message, SenderWithSpecialCharactersIsEscaped) {
  MessageDraft d = draft();
  d.sender = "a\"b\nc";
  auto m = make_message(d, 1, 2);
  EXPECT_EQ(m->event->json().find('\n'), std::string_view::npos);
  EXPECT_EQ(parsed(m).at("sender").as_string(), "a\"b\nc");
}

TEST(Message, ExpiryFollowsPositiveTtl) {
  MessageDraft d = draft();
  d.ttl_ms = 30'000;
  auto m = make_message(d, 1, 1000);
  EXPECT_FALSE(m->expired(30'999));
  EXPECT_TRUE(m->expired(31'000));
  EXPECT_FALSE(make_message(draft(), 1, 1000)->expired(1'000'000'000));
  d.ttl_ms = 0;
  EXPECT_FALSE(make_message(d, 1, 1000)->expired(1'000'000'000));
}

}  // namespace
}  // namespace b2b::core
