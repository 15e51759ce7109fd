// IDENTITY.md §2.2 body checks, with the §8 T1 vector.
#include "identity/registration.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "identity/crypto.h"
#include "identity/signing_texts.h"
#include "vectors.h"

namespace b2b::identity {
namespace {

using namespace vectors;

boost::json::object body(std::string_view patch = "{}") {
  boost::json::object b = boost::json::parse(R"({
    "handle": "alice-bot",
    "box_pub": "NYBy1jZYgNGu6jKa35EhODhR7SGijjt16WXQ0s0WYlQ=",
    "sign_pub": "A6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg=",
    "register_ts": 1767225600000,
    "register_sig": "MSzkzjteAx2yZ0Pxsdr8hxkNIz1J8Gabl+SViAOciiKCxru49M7x+8QfTqMTpF7DZsTTojPQWiEM3TGo8I0uCA==",
    "meta": {"bio": "Finds market-data peers"}
  })")
                              .as_object();
  const boost::json::value changes = boost::json::parse(patch);
  for (const auto& kv : changes.as_object()) b[kv.key()] = kv.value();
  return b;
}

const std::string kSignatureRequired =
    "register_sig (base64 Ed25519) and register_ts (ms) required \xE2\x80\x94 sign \"register "
    "<handle> <register_ts> <box_pub> <sign_pub>\" with sign_sk";

TEST(Registration, VectorPassesAndT1Verifies) {
  const boost::json::object b = body();
  auto handle = validate_register_handle(b);
  auto keys = validate_register_keys(b);
  auto sig = validate_register_signature(b, kTs + 30'000);
  ASSERT_TRUE(handle.ok() && keys.ok() && sig.ok());
  const std::string t1 = register_text(handle.value(), sig.value().register_ts_text,
                                       keys.value().box_pub, keys.value().sign_pub);
  EXPECT_EQ(t1, kT1);
  EXPECT_TRUE(verify_detached(keys.value().sign_pub, t1, sig.value().register_sig));
}

TEST(Registration, HandleMustBeAStringMatchingTheRegexAsSent) {
  const std::string error = "invalid handle (regex: ^[a-z0-9][a-z0-9_-]{1,31}$)";
  for (const char* patch : {R"({"handle": "Alice"})", R"({"handle": "@alice"})",
                            R"({"handle": ["zz"]})", R"({"handle": null})", R"({"handle": "a"})"}) {
    auto r = validate_register_handle(body(patch));
    ASSERT_FALSE(r.ok()) << patch;
    EXPECT_EQ(r.error().error, error);
  }
}

TEST(Registration, Keys) {
  const auto error_of = [](std::string_view patch) {
    auto r = validate_register_keys(body(patch));
    return r.ok() ? "(ok)" : r.error().error;
  };
  EXPECT_EQ(error_of(R"({"box_pub": 5})"), "box_pub and sign_pub required (base64 32-byte keys)");
  EXPECT_EQ(error_of(R"({"sign_pub": null, "box_pub": "x"})"),
            "box_pub and sign_pub required (base64 32-byte keys)");
  const std::string strict = "box_pub and sign_pub must be strict canonical base64 of 32 bytes";
  EXPECT_EQ(error_of(R"({"box_pub": "NYBy1jZYgNGu6jKa35EhODhR7SGijjt16WXQ0s0WYlQ"})"), strict);
  EXPECT_EQ(error_of(R"({"sign_pub": "A6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg= "})"), strict);
  EXPECT_EQ(error_of(R"({"sign_pub": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="})"), strict);
  EXPECT_EQ(error_of(R"({"sign_pub": "AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="})"), strict);
  // URL-safe keys are canonical; kept exactly as sent (T1 signs the strings).
  auto r = validate_register_keys(
      body(R"({"sign_pub": "A6EHv_POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg="})"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value().sign_pub, "A6EHv_POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg=");
}

TEST(Registration, SignatureFieldsInOrder) {
  const auto error_of = [](std::string_view patch, int64_t now = kTs) {
    auto r = validate_register_signature(body(patch), now);
    return r.ok() ? "(ok)" : r.error().error;
  };
  EXPECT_EQ(error_of(R"({"register_sig": 5})"), kSignatureRequired);
  EXPECT_EQ(error_of(R"({"register_ts": "1767225600000"})"), kSignatureRequired);
  EXPECT_EQ(error_of(R"({"register_ts": null, "register_sig": "x"})"), kSignatureRequired);
  EXPECT_EQ(error_of(R"({"register_sig": "AAAA"})", kTs + 999'999),
            "register_sig must be strict canonical base64 of 64 bytes");
  EXPECT_EQ(error_of("{}", kTs + 60'001), "register_ts skew too large");
  EXPECT_EQ(error_of("{}", kTs - 60'001), "register_ts skew too large");
  EXPECT_EQ(error_of("{}", kTs - 60'000), "(ok)");
  EXPECT_EQ(error_of(R"({"register_ts": 1767225600000.5})"), kSignatureRequired);
  EXPECT_EQ(error_of(R"({"register_ts": 1767225600000.0})"), "(ok)");
}

TEST(Registration, Meta) {
  const auto meta_of = [](std::string_view patch) {
    return boost::json::serialize(register_meta(body(patch)));
  };
  EXPECT_EQ(meta_of("{}"), R"({"bio":"Finds market-data peers"})");
  EXPECT_EQ(meta_of(R"({"meta": {}})"), R"({"bio":""})");
  EXPECT_EQ(meta_of(R"({"meta": []})"), R"({"bio":""})");
  EXPECT_EQ(meta_of(R"({"meta": null})"), "{}");
  EXPECT_EQ(meta_of(R"({"meta": "bio"})"), "{}");
  EXPECT_EQ(meta_of(R"({"meta": {"bio": 42, "other": 1}})"), R"({"bio":"42"})");
  boost::json::object b = body();
  b.erase("meta");
  EXPECT_EQ(boost::json::serialize(register_meta(b)), "{}");
  const std::string long_bio = std::string(279, 'b') + "\\ud83d\\ude00";
  EXPECT_EQ(meta_of("{\"meta\": {\"bio\": \"" + long_bio + "\"}}"),
            "{\"bio\":\"" + std::string(279, 'b') + "\"}");
}

}  // namespace
}  // namespace b2b::identity
