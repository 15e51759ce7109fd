// IDENTITY.md §1.10 steps 1–5.
#include "identity/auth_header.h"

#include <gtest/gtest.h>

#include "identity/crypto.h"
#include "identity/signing_texts.h"
#include "vectors.h"

namespace b2b::identity {
namespace {

using namespace vectors;

const std::string kSig(kT2Sig);

std::string detail_of(std::string_view header) {
  auto r = parse_authorization_header(header);
  EXPECT_FALSE(r.ok()) << header;
  if (r.ok()) return "";
  EXPECT_EQ(r.error().error, "bad or missing signature");
  return r.error().detail;
}

TEST(AuthHeader, SpecExampleParsesAndItsT2Verifies) {
  auto r = parse_authorization_header(kT2Header);
  ASSERT_TRUE(r.ok()) << r.error().detail;
  EXPECT_EQ(r.value().ts, kTs);
  EXPECT_EQ(r.value().nonce, kT2Nonce);
  EXPECT_EQ(r.value().sig, kT2Sig);
  EXPECT_TRUE(verify_detached(
      kAliceSignPub, request_text("GET", kT2Target, r.value().ts, r.value().nonce), r.value().sig));
}

TEST(AuthHeader, SchemeIsCaseSensitiveWithOneSpace) {
  EXPECT_EQ(detail_of(""), "Authorization must start with \"Bot2Bot \"");
  EXPECT_FALSE(parse_authorization_header("bot2bot ts=1,n=AAAAAAAAAAAAAAAA,sig=" + kSig).ok());
  EXPECT_FALSE(parse_authorization_header("Bot2Bot  ts=1767225600000").ok());
  EXPECT_FALSE(parse_authorization_header("Bearer x").ok());
}

TEST(AuthHeader, PartsAreTrimmedSplitAtFirstEqualsAndLastWins) {
  auto r = parse_authorization_header("Bot2Bot  sig=" + kSig +
                                      " , n=zzzzzzzzzzzzzzzz ,ts=5, ts=1767225600000 ,n=" +
                                      std::string(kT2Nonce) + ",foo=bar,junk");
  ASSERT_TRUE(r.ok()) << r.error().detail;
  EXPECT_EQ(r.value().ts, kTs);
  EXPECT_EQ(r.value().nonce, kT2Nonce);
  EXPECT_EQ(r.value().sig, kSig);  // "==" padding stayed in the value
}

TEST(AuthHeader, AllThreeFieldsAreRequired) {
  EXPECT_EQ(detail_of("Bot2Bot ts=1767225600000,n=AAECAwQFBgcICQoLDA0ODxAR"),
            "ts, n and sig are all required");
  EXPECT_EQ(detail_of("Bot2Bot ts=,n=AAECAwQFBgcICQoLDA0ODxAR,sig=" + kSig),
            "ts, n and sig are all required");
  EXPECT_EQ(detail_of("Bot2Bot ts=1,n=,sig=" + kSig), "ts, n and sig are all required");
}

TEST(AuthHeader, TsMustBeOneToSixteenDigitsAndNonZero) {
  const std::string tail = ",n=AAECAwQFBgcICQoLDA0ODxAR,sig=" + kSig;
  EXPECT_EQ(detail_of("Bot2Bot ts=0" + tail), "ts must not be 0");
  EXPECT_EQ(detail_of("Bot2Bot ts=0000" + tail), "ts must not be 0");
  EXPECT_EQ(detail_of("Bot2Bot ts=abc" + tail), "ts must be 1 to 16 decimal digits");
  EXPECT_EQ(detail_of("Bot2Bot ts=-5" + tail), "ts must be 1 to 16 decimal digits");
  EXPECT_EQ(detail_of("Bot2Bot ts=+5" + tail), "ts must be 1 to 16 decimal digits");
  EXPECT_EQ(detail_of("Bot2Bot ts=1767225600000x" + tail), "ts must be 1 to 16 decimal digits");
  EXPECT_EQ(detail_of("Bot2Bot ts=12345678901234567" + tail), "ts must be 1 to 16 decimal digits");
  auto r = parse_authorization_header("Bot2Bot ts=9999999999999999" + tail);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value().ts, 9999999999999999);
}

TEST(AuthHeader, NonceShape) {
  const auto with_nonce = [](const std::string& n) {
    return "Bot2Bot ts=1767225600000,n=" + n + ",sig=" + kSig;
  };
  EXPECT_TRUE(parse_authorization_header(with_nonce(std::string(16, 'a'))).ok());
  EXPECT_TRUE(parse_authorization_header(with_nonce(std::string(64, '_'))).ok());
  EXPECT_TRUE(parse_authorization_header(with_nonce("AZaz09+/=_-AZaz09")).ok());
  const std::string msg = "n must be 16 to 64 characters of [A-Za-z0-9+/=_-]";
  EXPECT_EQ(detail_of(with_nonce(std::string(15, 'a'))), msg);
  EXPECT_EQ(detail_of(with_nonce(std::string(65, 'a'))), msg);
  EXPECT_EQ(detail_of(with_nonce("aaaaaaaaaaaaaaa.")), msg);
  EXPECT_EQ(detail_of(with_nonce("aaaaaaa aaaaaaaaa")), msg);
}

TEST(AuthHeader, SigMustBeStrictBase64OfSixtyFourBytes) {
  const std::string head = "Bot2Bot ts=1767225600000,n=AAECAwQFBgcICQoLDA0ODxAR,sig=";
  const std::string msg = "sig must be strict canonical base64 of 64 bytes";
  EXPECT_EQ(detail_of(head + kSig.substr(0, 86)), msg);          // unpadded
  EXPECT_EQ(detail_of(head + "AAAA"), msg);                      // wrong length
  EXPECT_EQ(detail_of(head + kSig.substr(0, 85) + "B=="), msg);  // non-zero trailing bits
}

}  // namespace
}  // namespace b2b::identity
