// IDENTITY.md §4.2 steps 4–9 (body-only parts), with the §8 DM vector.
#include "identity/dm_validation.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "core/base64.h"
#include "identity/crypto.h"
#include "identity/signing_texts.h"
#include "vectors.h"

namespace b2b::identity {
namespace {

using namespace vectors;

boost::json::object body(std::string_view patch = "{}") {
  boost::json::object b = boost::json::parse(R"({
    "ciphertext": "eL7eC1DunxMzLkC6apTioUAMmH3+yL07HaXk",
    "nonce": "yMnKy8zNzs/Q0dLT1NXW19jZ2tvc3d7f",
    "sender_eph_pub": "ST6C/HRGSlkmiBdiPSBTxeuOLMSpiLT+4XnsawENUx0=",
    "from_handle": "bob-bot",
    "from_ts": 1767225600000,
    "from_sig": "JHQuyeFJ7rqRcyeaiLOgBceupPI8XfbA9aYv+weCgY0SwhzYrl5NB7TaqrKolvldjnCyaevCCRBkCgGhg0t7AQ=="
  })")
                              .as_object();
  const boost::json::value changes = boost::json::parse(patch);
  for (const auto& kv : changes.as_object()) b[kv.key()] = kv.value();
  return b;
}

std::string envelope_error(const boost::json::object& b) {
  auto r = validate_dm_envelope(b);
  return r.ok() ? "(ok)" : r.error().error;
}

TEST(DmValidation, VectorEnvelopeAndSenderProof) {
  auto env = validate_dm_envelope(body());
  ASSERT_TRUE(env.ok());
  auto claim = parse_dm_sender_claim(body(), kTs + 100);
  ASSERT_TRUE(claim.ok());
  ASSERT_TRUE(claim.value().has_value());
  const DmSenderClaim& c = *claim.value();
  EXPECT_EQ(c.from_handle, "bob-bot");
  EXPECT_EQ(c.from_ts, kTs);
  const std::string hash =
      env_hash(env.value().ciphertext, env.value().nonce, env.value().sender_eph_pub);
  const std::string t3 = dm_text("alice-bot", c.from_handle, c.from_ts_text, hash);
  EXPECT_EQ(t3, kT3);
  EXPECT_TRUE(verify_detached(kBobSignPub, t3, c.from_sig));
  EXPECT_EQ(dm_replay_key("alice-bot", hash), "alice-bot|" + std::string(kDmEnvHash));
}

TEST(DmValidation, EnvelopeStepsInOrder) {
  const std::string required = "ciphertext, nonce, sender_eph_pub required (all base64)";
  EXPECT_EQ(envelope_error(body(R"({"ciphertext": 5})")), required);
  EXPECT_EQ(envelope_error(body(R"({"nonce": null})")), required);
  boost::json::object missing = body();
  missing.erase("sender_eph_pub");
  EXPECT_EQ(envelope_error(missing), required);

  const std::string big = core::base64_encode(std::string(131'073, 'x'));
  EXPECT_EQ(envelope_error(body("{\"ciphertext\":\"" + big + "\", \"nonce\":\"bad\"}")),
            "ciphertext too large");
  EXPECT_EQ(envelope_error(body("{\"ciphertext\":\"" +
                                core::base64_encode(std::string(131'072, 'x')) + "\"}")),
            "(ok)");
  EXPECT_EQ(envelope_error(body(R"({"ciphertext": "", "nonce": "bad"})")),
            "ciphertext must be strict canonical base64");
  EXPECT_EQ(envelope_error(body(R"({"ciphertext": "QQ", "nonce": "bad"})")),
            "ciphertext must be strict canonical base64");
  EXPECT_EQ(envelope_error(body(R"({"nonce": "AAAA", "sender_eph_pub": "x"})")),
            "nonce must be strict canonical base64 of 24 bytes");
  EXPECT_EQ(
      envelope_error(body(R"({"sender_eph_pub": "ST6C/HRGSlkmiBdiPSBTxeuOLMSpiLT+4XnsawENUx0"})")),
      "sender_eph_pub must be strict canonical base64 of 32 bytes");
  // URL-safe alphabet with padding is canonical.
  EXPECT_EQ(envelope_error(body(R"({"nonce": "yMnKy8zNzs_Q0dLT1NXW19jZ2tvc3d7f"})")), "(ok)");
}

TEST(DmValidation, SenderFieldsOfTheWrongTypeMakeTheDmAnonymous) {
  for (const char* patch :
       {R"({"from_handle": ""})", R"({"from_handle": 5})", R"({"from_handle": null})",
        R"({"from_sig": 5})", R"({"from_ts": "1767225600000"})", R"({"from_ts": null})"}) {
    auto claim = parse_dm_sender_claim(body(patch), kTs);
    ASSERT_TRUE(claim.ok()) << patch;
    EXPECT_FALSE(claim.value().has_value()) << patch;
  }
  boost::json::object no_handle = body();
  no_handle.erase("from_handle");
  EXPECT_FALSE(parse_dm_sender_claim(no_handle, kTs).value().has_value());
}

TEST(DmValidation, SenderClaimErrors) {
  const auto error_of = [](std::string_view patch, int64_t now) {
    auto r = parse_dm_sender_claim(body(patch), now);
    return r.ok() ? "(ok)" : r.error().error;
  };
  EXPECT_EQ(error_of(R"({"from_sig": "AAAA"})", kTs),
            "from_sig must be strict canonical base64 of 64 bytes");
  EXPECT_EQ(error_of("{}", kTs + 60'001), "from_ts skew too large");
  EXPECT_EQ(error_of("{}", kTs - 60'001), "from_ts skew too large");
  EXPECT_EQ(error_of("{}", kTs + 60'000), "(ok)");
  EXPECT_EQ(error_of(R"({"from_ts": 1767225600000.5})", kTs), "from_ts must be an integer (ms)");
  EXPECT_EQ(error_of(R"({"from_ts": 1767225600000.0})", kTs), "(ok)");
}

TEST(DmValidation, FromHandleIsNormalisedButNotRegexChecked) {
  auto c = parse_dm_sender_claim(body(R"({"from_handle": "@Bob-Bot"})"), kTs);
  EXPECT_EQ(c.value()->from_handle, "bob-bot");
  c = parse_dm_sender_claim(body(R"({"from_handle": "@@x y"})"), kTs);
  EXPECT_EQ(c.value()->from_handle, "@x y");
  c = parse_dm_sender_claim(body("{\"from_handle\": \"" + std::string(40, 'A') + "\"}"), kTs);
  EXPECT_EQ(c.value()->from_handle, std::string(34, 'a'));
}

}  // namespace
}  // namespace b2b::identity
