// IDENTITY.md §3.1 homepage_url normalisation (WHATWG URL serialisation).
#include "identity/homepage_url.h"

#include <gtest/gtest.h>

namespace b2b::identity {
namespace {

std::string norm(std::string_view in) {
  auto r = normalize_homepage_url(in);
  return r.ok() ? r.value() : "ERR:" + r.error().error;
}

TEST(HomepageUrl, CommonFormsSerialiseAsWhatwg) {
  EXPECT_EQ(norm("https://example.com"), "https://example.com/");
  EXPECT_EQ(norm("https://example.com/"), "https://example.com/");
  EXPECT_EQ(norm("HTTPS://Example.COM/Path"), "https://example.com/Path");
  EXPECT_EQ(norm("http://example.com:80/"), "http://example.com/");
  EXPECT_EQ(norm("https://example.com:443"), "https://example.com/");
  EXPECT_EQ(norm("http://example.com:0443/"), "http://example.com:443/");
  EXPECT_EQ(norm("https://example.com:8443/x"), "https://example.com:8443/x");
  EXPECT_EQ(norm("https://example.com:/"), "https://example.com/");
  EXPECT_EQ(norm("https://example.com/a?b=c d"), "https://example.com/a?b=c%20d");
  EXPECT_EQ(norm("https://example.com/?"), "https://example.com/?");
  EXPECT_EQ(norm("https://example.com/#"), "https://example.com/#");
  EXPECT_EQ(norm("  https://example.com/\t\n "), "https://example.com/");
  EXPECT_EQ(norm("https://user:pa ss@example.com"), "https://user:pa%20ss@example.com/");
  EXPECT_EQ(norm("https://@example.com"), "https://example.com/");
}

TEST(HomepageUrl, PathsAreResolvedAndEncoded) {
  EXPECT_EQ(norm("https://example.com/a/./b/../c"), "https://example.com/a/c");
  EXPECT_EQ(norm("https://example.com/a/.."), "https://example.com/");
  EXPECT_EQ(norm("https://example.com/a/%2e%2E/b"), "https://example.com/b");
  EXPECT_EQ(norm("https://example.com/../../x"), "https://example.com/x");
  EXPECT_EQ(norm("https://example.com\\a\\b"), "https://example.com/a/b");
  EXPECT_EQ(norm("https://example.com/a b/\xC3\xA9"), "https://example.com/a%20b/%C3%A9");
  EXPECT_EQ(norm("https://example.com/{x}`"), "https://example.com/%7Bx%7D%60");
  EXPECT_EQ(norm("https://example.com/%7e"), "https://example.com/%7e");  // kept as sent
  EXPECT_EQ(norm("https:example.com"), "https://example.com/");
  EXPECT_EQ(norm("https:////example.com"), "https://example.com/");
  EXPECT_EQ(norm("https://example.com/a'b?c'd"), "https://example.com/a'b?c%27d");
}

TEST(HomepageUrl, HostsThatPassThrough) {  // outputs checked against Node 20's URL
  EXPECT_EQ(norm("http://ex_ample.com/"), "http://ex_ample.com/");
  EXPECT_EQ(norm("https://xn--bcher-kva.de/"), "https://xn--bcher-kva.de/");
  EXPECT_EQ(norm("https://a..b/"), "https://a..b/");
  EXPECT_EQ(norm("https://EXAMPLE.com./"), "https://example.com./");
}

TEST(HomepageUrl, Hosts) {
  EXPECT_EQ(norm("https://b\xC3\xBC"
                 "cher.de"),
            "https://xn--bcher-kva.de/");
  EXPECT_EQ(norm("https://B\xC3\x9C"
                 "CHER.de"),
            "https://xn--bcher-kva.de/");
  EXPECT_EQ(norm("https://\xEF\xBD\x85xample.com"), "https://example.com/");  // fullwidth e
  EXPECT_EQ(norm("https://ex%41mple.com"), "https://example.com/");
  EXPECT_EQ(norm("http://0x7f.1/"), "http://127.0.0.1/");
  EXPECT_EQ(norm("http://2130706433"), "http://127.0.0.1/");
  EXPECT_EQ(norm("http://192.168.0.010"), "http://192.168.0.8/");
  EXPECT_EQ(norm("http://[::1]:80/"), "http://[::1]/");
  EXPECT_EQ(norm("http://[2001:DB8:0:0:1:0:0:1]/"), "http://[2001:db8::1:0:0:1]/");
  EXPECT_EQ(norm("http://[::ffff:1.2.3.4]/"), "http://[::ffff:102:304]/");
}

TEST(HomepageUrl, Failures) {
  EXPECT_EQ(norm(""), "ERR:Invalid URL");
  EXPECT_EQ(norm("example.com"), "ERR:Invalid URL");
  EXPECT_EQ(norm("/relative"), "ERR:Invalid URL");
  EXPECT_EQ(norm("https://"), "ERR:Invalid URL");
  EXPECT_EQ(norm("https://user@"), "ERR:Invalid URL");
  EXPECT_EQ(norm("https://exa mple.com"), "ERR:Invalid URL");
  EXPECT_EQ(norm("https://example.com:99999"), "ERR:Invalid URL");
  EXPECT_EQ(norm("https://example.com:8x"), "ERR:Invalid URL");
  EXPECT_EQ(norm("http://1.2.3.256"), "ERR:Invalid URL");
  EXPECT_EQ(norm("http://[::1"), "ERR:Invalid URL");
  EXPECT_EQ(norm("http://[:::1]"), "ERR:Invalid URL");
  EXPECT_EQ(norm("http://a<b"), "ERR:Invalid URL");
  EXPECT_EQ(norm("ftp://example.com/"), "ERR:invalid homepage_url");
  EXPECT_EQ(norm("javascript:alert(1)"), "ERR:invalid homepage_url");
  EXPECT_EQ(norm("mailto:a@b.c"), "ERR:invalid homepage_url");
  EXPECT_EQ(norm("https://example.com/#frag"), "ERR:invalid homepage_url");
}

}  // namespace
}  // namespace b2b::identity
