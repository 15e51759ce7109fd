// ROOMS.md §3 message validation and §7.1 truthiness / signature fields.
#include "core/message_validation.h"

#include <gtest/gtest.h>

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>

namespace b2b::core {
namespace {
namespace json = boost::json;

const std::string kNonce = std::string(32, 'A');  // 24 zero bytes
const std::string kEmoji = "\xF0\x9F\x98\x80";    // 2 UTF-16 units

json::object minimal() {
  return json::object{{"ciphertext", "QQ=="}, {"nonce", kNonce}};
}

// Boost.JSON has no implicit std::string -> value conversion.
json::value jstr(const std::string& s) {
  return json::string(s);
}

json::object with(std::string_view key, json::value v) {
  json::object o = minimal();
  o[key] = std::move(v);
  return o;
}

std::string detail_of(const json::value& body) {
  const Result<IncomingMessage> r = validate_message(body);
  if (r.ok()) return "<accepted>";
  EXPECT_EQ(r.error().error, "bad message");
  return r.error().detail;
}

std::string repeat(const std::string& s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

TEST(JsTruthy, FalsyValues) {
  EXPECT_FALSE(js_truthy(nullptr));  // absent
  for (const char* text : {"null", "false", "0", "0.0", "-0", "-0.0", "\"\""}) {
    const json::value v = json::parse(text);
    EXPECT_FALSE(js_truthy(&v)) << text;
  }
}

TEST(JsTruthy, TruthyValues) {
  for (const char* text : {"true", "1", "-1", "0.5", "18446744073709551615", "\"0\"", "\"false\"",
                           "\" \"", "{}", "[]", "[0]", "{\"a\":null}"}) {
    const json::value v = json::parse(text);
    EXPECT_TRUE(js_truthy(&v)) << text;
  }
}

TEST(ValidateMessage, MinimalBodyIsAccepted) {
  const auto r = validate_message(minimal());
  ASSERT_TRUE(r.ok()) << r.error().detail;
  EXPECT_EQ(r.value().ciphertext, "QQ==");  // a 1-byte ciphertext is fine
  EXPECT_EQ(r.value().nonce, kNonce);
  EXPECT_EQ(r.value().sender, std::nullopt);
  EXPECT_EQ(r.value().ttl_ms, std::nullopt);
  EXPECT_EQ(r.value().reply_to, std::nullopt);
  EXPECT_FALSE(r.value().is_signed);
  EXPECT_FALSE(r.value().signed_only);
  EXPECT_TRUE(r.value().sender_handle.is_null());
}

TEST(ValidateMessage, FullBodyIsCopiedAsPosted) {
  const json::value body = json::parse(
      R"({"sender":"claude-opus","ciphertext":"-_-_--8=","nonce":"AAECAwQFBgcICQoLDA0ODxAREhMUFRYX",)"
      R"("reply_to":"0b8f3c1e-6a5d-4c52-9a55-0d7f2f3e9b10","ttl_ms":60000})");
  const auto r = validate_message(body);
  ASSERT_TRUE(r.ok()) << r.error().detail;
  EXPECT_EQ(r.value().sender, "claude-opus");
  EXPECT_EQ(r.value().ciphertext, "-_-_--8=");  // not normalised here (§1.2)
  EXPECT_EQ(r.value().nonce, "AAECAwQFBgcICQoLDA0ODxAREhMUFRYX");
  EXPECT_EQ(r.value().reply_to, "0b8f3c1e-6a5d-4c52-9a55-0d7f2f3e9b10");
  EXPECT_EQ(r.value().ttl_ms, 60000.0);
}

TEST(ValidateMessage, BodyMustBeAnObject) {
  for (const char* text : {"[]", "[{\"ciphertext\":\"QQ==\"}]", "\"x\"", "1", "null", "true"}) {
    EXPECT_EQ(detail_of(json::parse(text)), "body must be a JSON object") << text;
  }
}

TEST(ValidateMessage, UnknownFieldsAreIgnored) {
  EXPECT_EQ(detail_of(with("type", "message")), "<accepted>");
  EXPECT_EQ(detail_of(with("extra", json::array{1, 2})), "<accepted>");
}

TEST(ValidateMessage, Ciphertext) {
  json::object o = minimal();
  o.erase("ciphertext");
  EXPECT_EQ(detail_of(o), "ciphertext is required");
  EXPECT_EQ(detail_of(with("ciphertext", nullptr)), "ciphertext is required");
  EXPECT_EQ(detail_of(with("ciphertext", 5)), "ciphertext must be a string");
  EXPECT_EQ(detail_of(with("ciphertext", "")), "ciphertext must be non-empty strict base64");
  EXPECT_EQ(detail_of(with("ciphertext", "QQ")), "ciphertext must be non-empty strict base64");
  EXPECT_EQ(detail_of(with("ciphertext", "QR==")), "ciphertext must be non-empty strict base64");
}

TEST(ValidateMessage, CiphertextLengthLimit) {
  EXPECT_EQ(detail_of(with("ciphertext", jstr(std::string(131072, 'A')))), "<accepted>");
  EXPECT_EQ(detail_of(with("ciphertext", jstr(std::string(131076, 'A')))),
            "ciphertext must be at most 131072 chars");
}

TEST(ValidateMessage, Nonce) {
  json::object o = minimal();
  o.erase("nonce");
  EXPECT_EQ(detail_of(o), "nonce is required");
  EXPECT_EQ(detail_of(with("nonce", nullptr)), "nonce is required");
  EXPECT_EQ(detail_of(with("nonce", json::array{})), "nonce must be a string");
  EXPECT_EQ(detail_of(with("nonce", jstr(std::string(68, 'A')))), "nonce must be at most 64 chars");
  EXPECT_EQ(detail_of(with("nonce", jstr(std::string(28, 'A')))),
            "nonce must be 24 bytes of strict base64");  // 21 bytes
  EXPECT_EQ(detail_of(with("nonce", jstr(std::string(36, 'A')))),
            "nonce must be 24 bytes of strict base64");  // 27 bytes
  EXPECT_EQ(detail_of(with("nonce", jstr(std::string(31, 'A')))),
            "nonce must be 24 bytes of strict base64");
  EXPECT_EQ(detail_of(with("nonce", jstr(std::string(30, 'A') + "-_"))), "<accepted>");
}

TEST(ValidateMessage, SenderLengthCountsUtf16Units) {
  const auto r = validate_message(with("sender", jstr(repeat(kEmoji, 32))));  // 64 units
  ASSERT_TRUE(r.ok()) << r.error().detail;
  EXPECT_EQ(r.value().sender, repeat(kEmoji, 32));
  EXPECT_EQ(detail_of(with("sender", jstr(repeat(kEmoji, 33)))),
            "sender must be at most 64 UTF-16 units");
  EXPECT_EQ(detail_of(with("sender", jstr(std::string(64, 's')))), "<accepted>");
  EXPECT_EQ(detail_of(with("sender", jstr(std::string(65, 's')))),
            "sender must be at most 64 UTF-16 units");
}

TEST(ValidateMessage, SenderTypeAndDefaults) {
  EXPECT_EQ(detail_of(with("sender", 7)), "sender must be a string");
  EXPECT_EQ(detail_of(with("sender", json::object{})), "sender must be a string");
  EXPECT_EQ(validate_message(with("sender", nullptr)).value().sender, std::nullopt);
  EXPECT_EQ(validate_message(with("sender", "")).value().sender, std::nullopt);
  // Markup and spaces are allowed in labels (clients escape them).
  EXPECT_EQ(validate_message(with("sender", "<b>bot</b> 2")).value().sender, "<b>bot</b> 2");
}

TEST(ValidateMessage, SenderControlAndBidiRejected) {
  EXPECT_EQ(detail_of(with("sender", "a\nb")), "sender contains control or bidi characters");
  EXPECT_EQ(detail_of(with("sender",
                           "a\xE2\x80\xAE"
                           "b")),
            "sender contains control or bidi characters");
}

TEST(ValidateMessage, ReplyTo) {
  EXPECT_EQ(validate_message(with("reply_to", nullptr)).value().reply_to, std::nullopt);
  EXPECT_EQ(validate_message(with("reply_to", "abcdefgh")).value().reply_to, "abcdefgh");
  EXPECT_EQ(detail_of(with("reply_to", jstr(std::string(64, 'r')))), "<accepted>");
  EXPECT_EQ(detail_of(with("reply_to", 12345)), "reply_to must be a string");
  const std::string rule = "reply_to must be 8-64 chars of [A-Za-z0-9_-]";
  EXPECT_EQ(detail_of(with("reply_to", "")), rule);
  EXPECT_EQ(detail_of(with("reply_to", "ab")), rule);
  EXPECT_EQ(detail_of(with("reply_to", "abcdefg")), rule);
  EXPECT_EQ(detail_of(with("reply_to", jstr(std::string(65, 'r')))), rule);
  EXPECT_EQ(detail_of(with("reply_to", jstr(std::string(128, 'r')))), rule);
  EXPECT_EQ(detail_of(with("reply_to", "no spaces $$$")), rule);
}

TEST(ValidateMessage, TtlAcceptedValues) {
  EXPECT_EQ(validate_message(with("ttl_ms", 0)).value().ttl_ms, std::nullopt);
  EXPECT_EQ(validate_message(with("ttl_ms", 0.0)).value().ttl_ms, std::nullopt);
  EXPECT_EQ(validate_message(with("ttl_ms", nullptr)).value().ttl_ms, std::nullopt);
  EXPECT_EQ(validate_message(with("ttl_ms", 30000)).value().ttl_ms, 30000.0);
  EXPECT_EQ(validate_message(with("ttl_ms", 31622400000)).value().ttl_ms, 31622400000.0);
  EXPECT_EQ(validate_message(with("ttl_ms", 60000.5)).value().ttl_ms, 60000.5);
  EXPECT_EQ(validate_message(
                json::parse(R"({"ciphertext":"QQ==","nonce":")" + kNonce + R"(","ttl_ms":3e4})"))
                .value()
                .ttl_ms,
            30000.0);
}

TEST(ValidateMessage, TtlRejectedValues) {
  const std::string range = "ttl_ms must be 0 or between 30000 and 31622400000";
  EXPECT_EQ(detail_of(with("ttl_ms", 5000)), range);
  EXPECT_EQ(detail_of(with("ttl_ms", 29999.9)), range);
  EXPECT_EQ(detail_of(with("ttl_ms", 31622400001)), range);
  EXPECT_EQ(detail_of(with("ttl_ms", 315360000000)), range);  // 10 years
  EXPECT_EQ(detail_of(with("ttl_ms", -60000)), range);
  EXPECT_EQ(detail_of(with("ttl_ms", UINT64_MAX)), range);
  EXPECT_EQ(detail_of(with("ttl_ms", "later")), "ttl_ms must be a number");
  EXPECT_EQ(detail_of(with("ttl_ms", "60000")), "ttl_ms must be a number");
  EXPECT_EQ(detail_of(with("ttl_ms", true)), "ttl_ms must be a number");
  EXPECT_EQ(detail_of(with("ttl_ms", std::numeric_limits<double>::infinity())),
            "ttl_ms must be a finite number");
  // Boost.JSON (like JSON.parse) reads an out-of-range literal as Infinity.
  EXPECT_EQ(
      detail_of(json::parse(R"({"ciphertext":"QQ==","nonce":")" + kNonce + R"(","ttl_ms":1e400})")),
      "ttl_ms must be a finite number");
}

TEST(ValidateMessage, FirstFailingFieldIsReported) {
  const json::value body = json::parse(R"({"nonce":"x","sender":5})");
  EXPECT_EQ(detail_of(body), "ciphertext is required");
}

TEST(ValidateMessage, SignedNeedsBothHandleAndSigTruthy) {
  json::object o = minimal();
  o["sender_handle"] = "Alice";
  o["sender_sig"] = std::string(88, 'A');
  o["sender_ts"] = "1776600000000";
  o["sender_nonce"] = "nonce-nonce-nonce";
  const auto r = validate_message(o);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r.value().is_signed);
  EXPECT_EQ(r.value().sender_handle, json::value("Alice"));
  EXPECT_EQ(r.value().sender_ts, json::value("1776600000000"));
  EXPECT_EQ(r.value().sender_nonce, json::value("nonce-nonce-nonce"));
  EXPECT_EQ(r.value().sender_sig, json::value(std::string(88, 'A')));

  o["sender_sig"] = "";  // §7.1: empty sig -> unsigned
  EXPECT_FALSE(validate_message(o).value().is_signed);
  o["sender_sig"] = "x";
  o.erase("sender_handle");  // only one of the two -> unsigned (§6.1 notes)
  EXPECT_FALSE(validate_message(o).value().is_signed);
  o["sender_handle"] = json::object{};  // {} is truthy: signed, fails verification later
  EXPECT_TRUE(validate_message(o).value().is_signed);
  o["sender_handle"] = 0;
  EXPECT_FALSE(validate_message(o).value().is_signed);
}

TEST(ValidateMessage, SignedOnlyOnlyForJsonTrue) {
  EXPECT_TRUE(validate_message(with("signed_only", true)).value().signed_only);
  EXPECT_FALSE(validate_message(with("signed_only", "true")).value().signed_only);
  EXPECT_FALSE(validate_message(with("signed_only", 1)).value().signed_only);
  EXPECT_FALSE(validate_message(with("signed_only", false)).value().signed_only);
}

TEST(ValidateMessage, RawFieldsOutliveTheParsedBody) {
  std::optional<IncomingMessage> msg;
  {
    json::monotonic_resource arena;
    const json::value body = json::parse(
        R"({"ciphertext":"QQ==","nonce":")" + kNonce + R"(","sender_handle":{"k":"v"}})", &arena);
    auto r = validate_message(body);
    ASSERT_TRUE(r.ok());
    EXPECT_NE(r.value().sender_handle.storage().get(), &arena);
    msg.emplace(std::move(r).value());  // moves keep the storage they were given
  }
  EXPECT_EQ(msg->sender_handle, json::parse(R"({"k":"v"})"));
}

}  // namespace
}  // namespace b2b::core
