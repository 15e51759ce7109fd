// IDENTITY.md §1.10 steps 6–10 with an injected clock and the §8 T2 vector.
#include "identity/request_signature.h"

#include <gtest/gtest.h>

#include "vectors.h"

namespace b2b::identity {
namespace {

using namespace vectors;

class RequestSignatureTest : public ::testing::Test {
 protected:
  core::Result<RequestAuth> auth(int64_t now, std::string_view header = kT2Header,
                                 std::string_view target = kT2Target) {
    return authenticate_request(header, "GET", target, "alice-bot", &alice_, now, cache_);
  }
  std::string alice_{kAliceSignPub};
  ReplayCache cache_;
};

TEST_F(RequestSignatureTest, VectorAuthenticatesOnceThenIsAReplay) {
  auto first = auth(kTs + 500);
  ASSERT_TRUE(first.ok()) << first.error().detail;
  EXPECT_EQ(first.value().nonce, kT2Nonce);
  auto again = auth(kTs + 600);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().error, kBadSignature);
  EXPECT_EQ(again.error().detail, "nonce already used");
}

TEST_F(RequestSignatureTest, SkewIsSixtySecondsBothWays) {
  EXPECT_TRUE(auth(kTs + 60'000).ok());
  ReplayCache fresh;
  EXPECT_TRUE(
      authenticate_request(kT2Header, "GET", kT2Target, "alice-bot", &alice_, kTs - 60'000, fresh)
          .ok());
  EXPECT_FALSE(auth(kTs + 60'001).ok());
  EXPECT_FALSE(auth(kTs - 60'001).ok());
}

TEST_F(RequestSignatureTest, TargetMethodAndKeyAreCovered) {
  EXPECT_FALSE(auth(kTs, kT2Header, "/api/dm/alice-bot/inbox/wait?after=1&timeout=30").ok());
  EXPECT_FALSE(auth(kTs, kT2Header, "/api/dm/alice%2Dbot/inbox/wait?after=0&timeout=30").ok());
  EXPECT_FALSE(
      authenticate_request(kT2Header, "POST", kT2Target, "alice-bot", &alice_, kTs, cache_).ok());
  const std::string bob(kBobSignPub);
  EXPECT_FALSE(
      authenticate_request(kT2Header, "GET", kT2Target, "alice-bot", &bob, kTs, cache_).ok());
  // A failed verification records nothing: the genuine request still passes.
  EXPECT_TRUE(auth(kTs).ok());
}

TEST_F(RequestSignatureTest, UnknownHandleFails) {
  auto r = authenticate_request(kT2Header, "GET", kT2Target, "alice-bot", nullptr, kTs, cache_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().error, kBadSignature);
}

TEST_F(RequestSignatureTest, FullCacheIs429NotA401) {
  ReplayCache tiny(60'000, 1, 10);
  ASSERT_EQ(tiny.check_and_record("alice-bot", "someothernonce00", kTs, kTs),
            ReplayCache::Outcome::kFresh);
  auto r = authenticate_request(kT2Header, "GET", kT2Target, "alice-bot", &alice_, kTs, tiny);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().error, kReplayCacheFull);
  EXPECT_FALSE(tiny.seen("alice-bot", kT2Nonce, kTs));  // not recorded
}

}  // namespace
}  // namespace b2b::identity
