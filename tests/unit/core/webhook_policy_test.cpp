#include "core/webhook_policy.h"

#include <gtest/gtest.h>

namespace b2b::core {
namespace {

AddressClass cls(const char* text) {
  return classify_address(boost::asio::ip::make_address(text));
}

TEST(WebhookPolicy, ClassifiesIpv4SpecialRanges) {
  EXPECT_EQ(cls("8.8.8.8"), AddressClass::kPublic);
  EXPECT_EQ(cls("127.0.0.1"), AddressClass::kLoopback);
  EXPECT_EQ(cls("127.255.1.2"), AddressClass::kLoopback);
  EXPECT_EQ(cls("10.1.2.3"), AddressClass::kPrivate);
  EXPECT_EQ(cls("172.16.0.1"), AddressClass::kPrivate);
  EXPECT_EQ(cls("172.31.255.255"), AddressClass::kPrivate);
  EXPECT_EQ(cls("172.32.0.1"), AddressClass::kPublic);
  EXPECT_EQ(cls("192.168.1.1"), AddressClass::kPrivate);
  EXPECT_EQ(cls("100.64.0.1"), AddressClass::kPrivate);
  EXPECT_EQ(cls("169.254.169.254"), AddressClass::kLinkLocal);
  EXPECT_EQ(cls("0.0.0.0"), AddressClass::kReserved);
  EXPECT_EQ(cls("224.0.0.1"), AddressClass::kReserved);
  EXPECT_EQ(cls("255.255.255.255"), AddressClass::kReserved);
}

TEST(WebhookPolicy, ClassifiesIpv6IncludingEmbeddedIpv4) {
  EXPECT_EQ(cls("2606:4700::1111"), AddressClass::kPublic);
  EXPECT_EQ(cls("::1"), AddressClass::kLoopback);
  EXPECT_EQ(cls("::"), AddressClass::kReserved);
  EXPECT_EQ(cls("fe80::1"), AddressClass::kLinkLocal);
  EXPECT_EQ(cls("fd00:ec2::254"), AddressClass::kPrivate);
  EXPECT_EQ(cls("::ffff:127.0.0.1"), AddressClass::kLoopback);
  EXPECT_EQ(cls("::ffff:169.254.169.254"), AddressClass::kLinkLocal);
  EXPECT_EQ(cls("64:ff9b::10.0.0.1"), AddressClass::kPrivate);
  EXPECT_EQ(cls("2001:db8::1"), AddressClass::kReserved);
  EXPECT_EQ(cls("ff02::1"), AddressClass::kReserved);
}

TEST(WebhookPolicy, PrivateOnlyWithTheFlagMetadataNever) {
  const auto loopback = boost::asio::ip::make_address("127.0.0.1");
  const auto metadata = boost::asio::ip::make_address("169.254.169.254");
  const auto pub = boost::asio::ip::make_address("1.1.1.1");
  EXPECT_FALSE(webhook_address_allowed(loopback, false));
  EXPECT_TRUE(webhook_address_allowed(loopback, true));
  EXPECT_FALSE(webhook_address_allowed(metadata, true));
  EXPECT_TRUE(webhook_address_allowed(pub, false));
}

TEST(WebhookPolicy, RetryDelaysDoubleWithJitterAndCap) {
  EXPECT_LE(webhook_retry_delay_ms(1, 1.0), 5'000);  // "first retry within 5 s"
  EXPECT_EQ(webhook_retry_delay_ms(1, 1.0), 3'000);
  EXPECT_EQ(webhook_retry_delay_ms(1, 0.5), 1'500);
  EXPECT_EQ(webhook_retry_delay_ms(2, 1.0), 6'000);
  EXPECT_EQ(webhook_retry_delay_ms(3, 1.0), 12'000);
  EXPECT_EQ(webhook_retry_delay_ms(30, 1.0), 600'000);
  EXPECT_EQ(webhook_retry_delay_ms(1000, 2.0), 600'000);  // jitter clamped to 1
}

TEST(WebhookPolicy, SignatureIsHexHmacSha256OfTheBody) {
  // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
  EXPECT_EQ(webhook_signature("Jefe", "what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

}  // namespace
}  // namespace b2b::core
