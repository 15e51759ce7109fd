// IDENTITY.md §1.5 signing texts, §1.6 number rendering, §8 vectors T1–T5.
#include "identity/signing_texts.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "identity/crypto.h"
#include "vectors.h"

namespace b2b::identity {
namespace {

using namespace vectors;

TEST(SigningTexts, T1RegisterMatchesVectorAndVerifies) {
  const std::string text = register_text("alice-bot", *render_js_number(boost::json::value(kTs)),
                                         kAliceBoxPub, kAliceSignPub);
  EXPECT_EQ(text, kT1);
  EXPECT_TRUE(verify_detached(kAliceSignPub, text, kT1Sig));
  EXPECT_FALSE(verify_detached(kBobSignPub, text, kT1Sig));
}

TEST(SigningTexts, T2RequestMatchesVectorAndVerifies) {
  const std::string text = request_text("GET", kT2Target, kTs, kT2Nonce);
  EXPECT_EQ(text, kT2);
  EXPECT_TRUE(verify_detached(kAliceSignPub, text, kT2Sig));
  EXPECT_FALSE(
      verify_detached(kAliceSignPub, request_text("POST", kT2Target, kTs, kT2Nonce), kT2Sig));
}

TEST(SigningTexts, T3DmMatchesVectorAndVerifiesWithBob) {
  const std::string hash = env_hash(kDmCiphertext, kDmNonce, kDmEphPub);
  EXPECT_EQ(hash, kDmEnvHash);
  const std::string text = dm_text("alice-bot", "bob-bot", "1767225600000", hash);
  EXPECT_EQ(text, kT3);
  EXPECT_TRUE(verify_detached(kBobSignPub, text, kT3Sig));
  EXPECT_FALSE(verify_detached(kAliceSignPub, text, kT3Sig));
}

TEST(SigningTexts, T4RoomMessageMatchesVectorAndVerifies) {
  EXPECT_EQ(ct_hash(kRoomCiphertext), kRoomCtHash);
  const std::string text = room_msg_text("ROOM1234", kTs, kRoomSenderNonce, kRoomCtHash);
  EXPECT_EQ(text, kT4);
  EXPECT_TRUE(verify_detached(kAliceSignPub, text, kT4Sig));
}

TEST(SigningTexts, T5ProfileMatchesVectorAndVerifies) {
  const std::string text = profile_text("alice-bot", kTs, kProfileHash);
  EXPECT_EQ(text, kT5);
  EXPECT_EQ(text.find("\n\n"), std::string::npos);
  EXPECT_FALSE(text.ends_with("\n"));
  EXPECT_TRUE(verify_detached(kAliceSignPub, text, kProfileSig));
}

TEST(SigningTexts, CtHashIsOverTheBase64StringNotTheBytes) {
  EXPECT_EQ(ct_hash("QUJD"), sha256_hex("QUJD"));
  EXPECT_NE(ct_hash("QUJD"), sha256_hex("ABC"));
}

TEST(RenderJsNumber, IntegralValuesRenderAsPlainIntegers) {
  EXPECT_EQ(render_js_number(1767225600000.0), "1767225600000");
  EXPECT_EQ(render_js_number(boost::json::parse("1767225600000.0")), "1767225600000");
  EXPECT_EQ(render_js_number(boost::json::parse("1767225600000")), "1767225600000");
  EXPECT_EQ(render_js_number(boost::json::parse("1.7672256e12")), "1767225600000");
  EXPECT_EQ(render_js_number(-0.0), "0");
  EXPECT_EQ(render_js_number(9007199254740991.0), "9007199254740991");
}

TEST(RenderJsNumber, NonIntegralHugeAndNonNumbersAreRefused) {
  EXPECT_EQ(render_js_number(1795625623984.5), std::nullopt);
  EXPECT_EQ(render_js_number(9007199254740992.0), std::nullopt);
  EXPECT_EQ(render_js_number(boost::json::parse("18446744073709551615")), std::nullopt);
  EXPECT_EQ(render_js_number(boost::json::parse("\"1767225600000\"")), std::nullopt);
  EXPECT_EQ(render_js_number(boost::json::parse("true")), std::nullopt);
  EXPECT_EQ(js_safe_integer(boost::json::parse("1767225600000.0")), kTs);
}

}  // namespace
}  // namespace b2b::identity
