// core::parse_json: Boost.JSON's parse with correctly rounded doubles. Regression for the
// first fuzz finding (fuzz/targets/agent_profile.cpp): canonical JSON of a profile with
// {"updated_at": 1790…0 (60 digits)} printed 1.79e+59, which Boost.JSON 1.81 read back as
// 1.7900000000000002e+59, so the canonical form was not stable and signatures over it broke.
#include "core/json_parse.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <charconv>
#include <string>

#include "identity/canonical_json.h"

namespace b2b::core {
namespace {

boost::json::value parse_ok(std::string_view text) {
  boost::system::error_code ec;
  boost::json::value v = parse_json(text, ec, {});
  EXPECT_FALSE(ec) << text << ": " << ec.message();
  return v;
}

TEST(JsonParseRegression, DoublesAreTheNearestToTheirText) {
  EXPECT_EQ(parse_ok("1.79e+59").as_double(), 1.79e+59);
  EXPECT_EQ(parse_ok("[1.79e59]").as_array()[0].as_double(), 1.79e+59);
  // A sweep of shortest round-trip texts: Boost.JSON 1.81 alone misreads ~12% of these.
  char buf[64];
  for (int i = 1; i < 20000; ++i) {
    const double x = i * 0.001 + i * 1e-7;
    auto r = std::to_chars(buf, buf + sizeof buf, x);
    ASSERT_EQ(parse_ok(std::string_view(buf, r.ptr - buf)).as_double(), x) << buf;
  }
}

TEST(JsonParseRegression, CanonicalJsonOfAHugeNumberIsStable) {
  const std::string text =
      R"({"framework":"x","upda(ted_at":179000000000000000000000000000000000000000000000000000000000})";
  const std::string canonical = identity::canonical_json(parse_ok(text));
  EXPECT_EQ(canonical, R"({"framework":"x","upda(ted_at":1.79e+59})");
  EXPECT_EQ(identity::canonical_json(parse_ok(canonical)), canonical);
}

TEST(JsonParseRegression, IntegersKeepTheirKinds) {
  EXPECT_TRUE(parse_ok("-5").is_int64());
  EXPECT_TRUE(parse_ok("18446744073709551615").is_uint64());
  EXPECT_TRUE(parse_ok("1e400").is_double());  // ±Infinity in JSON.parse; Boost's value kept
  const auto o = parse_ok(R"({"a":[true,null,"s",{"b":-0.5}]})");
  EXPECT_EQ(boost::json::serialize(o), R"({"a":[true,null,"s",{"b":-5E-1}]})");
}

TEST(JsonParseRegression, RefusesWhatBoostRefuses) {
  for (std::string_view bad : {"", "{", "[1,]", "{} x", "01", "1.", "\"\\x\"", "[1] [2]"}) {
    boost::system::error_code ec;
    (void)parse_json(bad, ec, {});
    EXPECT_TRUE(ec) << bad;
  }
  boost::json::parse_options shallow;
  shallow.max_depth = 2;
  boost::system::error_code ec;
  (void)parse_json("[[[1]]]", ec, shallow);
  EXPECT_TRUE(ec);
}

}  // namespace
}  // namespace b2b::core
