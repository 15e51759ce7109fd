// ROOMS.md §11 with the §20.13 fix: one client-IP function for HTTP and WS, trusting only
// configured proxies, walking X-Forwarded-For right to left.
#include "core/client_ip.h"

#include <gtest/gtest.h>

#include <string>

namespace b2b::core {
namespace {

TrustedProxies trust(std::string_view spec) {
  auto t = TrustedProxies::parse(spec);
  EXPECT_TRUE(t.ok()) << spec << ": " << (t.ok() ? "" : t.error().detail);
  return t.ok() ? t.value() : TrustedProxies{};
}

TEST(NormalizeIp, StripsIpv4MappedPrefixAndWhitespace) {
  EXPECT_EQ(normalize_ip("::ffff:1.2.3.4"), "1.2.3.4");
  EXPECT_EQ(normalize_ip("::FFFF:1.2.3.4"), "1.2.3.4");
  EXPECT_EQ(normalize_ip("  \t10.0.0.1 "), "10.0.0.1");
  EXPECT_EQ(normalize_ip(" ::ffff:127.0.0.1\t"), "127.0.0.1");
  EXPECT_EQ(normalize_ip("::ffff:abcd"), "::ffff:abcd");  // not a dotted IPv4 tail
  EXPECT_EQ(normalize_ip("2001:db8::1"), "2001:db8::1");
  EXPECT_EQ(normalize_ip(""), "");
}

TEST(IsLoopbackIp, CoversAll127AndIpv6Loopback) {
  EXPECT_TRUE(is_loopback_ip("127.0.0.1"));
  EXPECT_TRUE(is_loopback_ip("127.255.1.2"));
  EXPECT_TRUE(is_loopback_ip("::1"));
  EXPECT_TRUE(is_loopback_ip("::ffff:127.0.0.1"));
  EXPECT_TRUE(is_loopback_ip(" 127.0.0.1 "));
  EXPECT_FALSE(is_loopback_ip("128.0.0.1"));
  EXPECT_FALSE(is_loopback_ip("126.255.255.255"));
  EXPECT_FALSE(is_loopback_ip("::2"));
  EXPECT_FALSE(is_loopback_ip("10.0.0.1"));
  EXPECT_FALSE(is_loopback_ip("localhost"));
  EXPECT_FALSE(is_loopback_ip(""));
}

TEST(TrustedProxies, LoopbackKeyword) {
  auto t = trust("loopback");
  EXPECT_TRUE(t.trusts("127.0.0.1"));
  EXPECT_TRUE(t.trusts("127.1.2.3"));
  EXPECT_TRUE(t.trusts("::1"));
  EXPECT_TRUE(t.trusts("::ffff:127.0.0.1"));
  EXPECT_FALSE(t.trusts("10.0.0.1"));
  EXPECT_FALSE(t.trusts("garbage"));
}

TEST(TrustedProxies, LinklocalAndUniquelocalKeywords) {
  auto ll = trust("linklocal");
  EXPECT_TRUE(ll.trusts("169.254.10.20"));
  EXPECT_TRUE(ll.trusts("fe80::1"));
  EXPECT_FALSE(ll.trusts("169.253.0.1"));
  EXPECT_FALSE(ll.trusts("127.0.0.1"));

  auto ul = trust("uniquelocal");
  EXPECT_TRUE(ul.trusts("10.200.0.1"));
  EXPECT_TRUE(ul.trusts("172.16.0.1"));
  EXPECT_TRUE(ul.trusts("172.31.255.255"));
  EXPECT_FALSE(ul.trusts("172.32.0.1"));
  EXPECT_TRUE(ul.trusts("192.168.1.1"));
  EXPECT_FALSE(ul.trusts("192.169.1.1"));
  EXPECT_TRUE(ul.trusts("fd12::1"));
  EXPECT_FALSE(ul.trusts("fe00::1"));
}

TEST(TrustedProxies, NoneAndEmptyTrustNothing) {
  for (auto spec : {"none", "", "false", " , ,"}) {
    auto t = trust(spec);
    EXPECT_FALSE(t.trusts("127.0.0.1")) << spec;
    EXPECT_FALSE(t.trusts("::1")) << spec;
  }
}

TEST(TrustedProxies, CidrsAddressesAndLists) {
  auto t = trust(" 10.1.0.0/16 , 203.0.113.7, 2001:db8::/32,loopback");
  EXPECT_TRUE(t.trusts("10.1.255.1"));
  EXPECT_FALSE(t.trusts("10.2.0.1"));
  EXPECT_TRUE(t.trusts("203.0.113.7"));
  EXPECT_FALSE(t.trusts("203.0.113.8"));  // bare address is a /32
  EXPECT_TRUE(t.trusts("2001:db8:ffff::1"));
  EXPECT_FALSE(t.trusts("2001:db9::1"));
  EXPECT_TRUE(t.trusts("127.0.0.1"));
  EXPECT_TRUE(t.trusts("::ffff:10.1.2.3"));  // IPv4-mapped forms match IPv4 ranges
}

TEST(TrustedProxies, PrefixEdgeCases) {
  auto all4 = trust("0.0.0.0/0");
  EXPECT_TRUE(all4.trusts("8.8.8.8"));
  EXPECT_FALSE(all4.trusts("2001:db8::1"));  // an IPv4 /0 covers IPv4 only
  auto odd = trust("192.168.1.128/25");
  EXPECT_TRUE(odd.trusts("192.168.1.200"));
  EXPECT_FALSE(odd.trusts("192.168.1.127"));
  auto host6 = trust("::1/128");
  EXPECT_TRUE(host6.trusts("::1"));
  EXPECT_FALSE(host6.trusts("::2"));
}

TEST(TrustedProxies, BadInputIsRefused) {
  for (auto spec :
       {"1", "bogus", "10.0.0.0/", "10.0.0.0/33", "::1/129", "10.0.0.0/abc", "10.0.0.0/-1", "/8",
        "10.0.0.0/1234", "loopback,nonsense", "256.0.0.1", "10.0.0.0/8/8"}) {
    auto t = TrustedProxies::parse(spec);
    ASSERT_FALSE(t.ok()) << spec;
    EXPECT_EQ(t.error().error, "bad trust-proxy") << spec;
    EXPECT_FALSE(t.error().detail.empty());
  }
}

TEST(ClientIp, UntrustedPeerIsTheClientWhateverTheHeaderSays) {
  auto t = trust("loopback");
  EXPECT_EQ(client_ip("203.0.113.5", "1.1.1.1", t), "203.0.113.5");
  EXPECT_EQ(client_ip("::ffff:203.0.113.5", "", t), "203.0.113.5");
}

TEST(ClientIp, TrustedPeerUsesRightMostUntrustedHop) {
  auto t = trust("loopback");
  EXPECT_EQ(client_ip("127.0.0.1", "1.1.1.1, 2.2.2.2", t), "2.2.2.2");
  EXPECT_EQ(client_ip("127.0.0.1", "1.1.1.1, 2.2.2.2, 127.0.0.1", t), "2.2.2.2");
  EXPECT_EQ(client_ip("::1", "1.1.1.1,::ffff:2.2.2.2 ,::1", t), "2.2.2.2");
  EXPECT_EQ(client_ip("::ffff:127.0.0.1", "9.9.9.9", t), "9.9.9.9");
}

TEST(ClientIp, TrustedPeerWithoutHeaderIsThePeer) {
  auto t = trust("loopback");
  EXPECT_EQ(client_ip("127.0.0.1", "", t), "127.0.0.1");
  EXPECT_EQ(client_ip("::ffff:127.0.0.1", "", t), "127.0.0.1");
  EXPECT_EQ(client_ip("127.0.0.1", " , ,", t), "127.0.0.1");  // empty entries skipped
}

TEST(ClientIp, EmptyEntriesAreSkipped) {
  auto t = trust("loopback");
  EXPECT_EQ(client_ip("127.0.0.1", "3.3.3.3,, ,", t), "3.3.3.3");
}

TEST(ClientIp, AllHopsTrustedGivesTheLeftMost) {
  auto t = trust("loopback,uniquelocal");
  EXPECT_EQ(client_ip("127.0.0.1", "10.0.0.1, 192.168.0.1, 127.0.0.2", t), "10.0.0.1");
}

TEST(ClientIp, ChainOfTrustedProxiesIsWalked) {
  auto t = trust("loopback,10.0.0.0/8");
  EXPECT_EQ(client_ip("127.0.0.1", "4.4.4.4, 10.0.0.9, 10.0.0.8", t), "4.4.4.4");
  // A spoofed left-most entry behind an untrusted hop is never reached.
  EXPECT_EQ(client_ip("127.0.0.1", "6.6.6.6, 5.5.5.5, 10.0.0.8", t), "5.5.5.5");
}

TEST(ClientIp, OverlongEntryStopsTheWalk) {
  auto t = trust("loopback");
  const std::string junk(65, 'x');
  EXPECT_EQ(client_ip("127.0.0.1", "1.1.1.1, " + junk, t), "127.0.0.1");
  EXPECT_EQ(client_ip("127.0.0.1", junk + ", 127.0.0.5", t), "127.0.0.5");
  const std::string max64(64, 'y');  // 64 chars is still accepted (not an IP: untrusted)
  EXPECT_EQ(client_ip("127.0.0.1", max64, t), max64);
}

TEST(ClientIp, NothingTrustedIgnoresHeaders) {
  auto t = trust("none");
  EXPECT_EQ(client_ip("127.0.0.1", "1.1.1.1", t), "127.0.0.1");
}

}  // namespace
}  // namespace b2b::core
