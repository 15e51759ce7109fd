// IDENTITY.md §3.1 cleaning, §3.3 vector, §3.4 served object.
#include "identity/agent_profile.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "vectors.h"

namespace b2b::identity {
namespace {

using namespace vectors;

constexpr int64_t kWeek = 7LL * 24 * 3600 * 1000;

class CleanProfileTest : public ::testing::Test {
 protected:
  // The vector profile with `patch` keys replaced (a JSON object literal).
  static boost::json::value with(std::string_view patch) {
    boost::json::value p = alice_profile();
    const boost::json::value changes = boost::json::parse(patch);
    for (const auto& kv : changes.get_object()) p.get_object()[kv.key()] = kv.value();
    return p;
  }
  core::Result<CleanedProfile> clean(const boost::json::value& v, int64_t now = kTs,
                                     std::string_view handle = "alice-bot") {
    return clean_profile(v, handle, ProfileCleaningOptions{now});
  }
  std::string error_of(const boost::json::value& v, int64_t now = kTs,
                       std::string_view handle = "alice-bot") {
    auto r = clean(v, now, handle);
    return r.ok() ? "(ok)" : r.error().error;
  }
  AgentProfile cleaned(const boost::json::value& v) {
    auto r = clean(v);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().error);
    return r.ok() ? r.value().profile : AgentProfile{};
  }
};

TEST_F(CleanProfileTest, VectorCleansToItselfAndItsSignatureVerifies) {
  auto r = clean(alice_profile());
  ASSERT_TRUE(r.ok()) << r.error().error;
  EXPECT_EQ(r.value().canonical_json, kProfileCanonical);
  EXPECT_EQ(r.value().profile_hash, kProfileHash);
  EXPECT_EQ(r.value().effective_expires_at, kTs + kWeek);
  EXPECT_TRUE(verify_profile_signature(r.value(), kAliceSignPub, kProfileSig));
  EXPECT_FALSE(verify_profile_signature(r.value(), kBobSignPub, kProfileSig));
  EXPECT_EQ(first_cleaned_difference(alice_profile(), r.value().profile), std::nullopt);
}

TEST_F(CleanProfileTest, ServerOwnedKeysAndExtraKeys) {
  auto r = clean(with(R"({"schema":"evil","handle":"mallory","contact_policy":"open",
                          "extra":"dropped"})"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value().canonical_json, kProfileCanonical);
  EXPECT_EQ(first_cleaned_difference(with(R"({"schema":"evil"})"), r.value().profile), "schema");
}

TEST_F(CleanProfileTest, NotAnObject) {
  for (const char* v : {"[]", "null", "\"x\"", "5"}) {
    EXPECT_EQ(error_of(boost::json::parse(v)), "profile must be an object") << v;
  }
}

TEST_F(CleanProfileTest, StringFieldsAreTrimmedWithTheJsSetAndCutInUtf16Units) {
  const AgentProfile p =
      cleaned(with("{\"display_name\":\"\\u00a0 Alice \\ufeff\",\"summary\":\"\\u001c x \\u001f\","
                   "\"framework_version\":\" 1.2\\u3000\"}"));
  EXPECT_EQ(p.display_name, "Alice");
  EXPECT_EQ(p.summary, "\x1C x \x1F");  // U+001C..U+001F are not JS whitespace
  EXPECT_EQ(p.framework_version, "1.2");

  // 79 'a' + an emoji = 81 units: cutting to 80 would split the pair -> refused (§11).
  const std::string name = std::string(79, 'a') + "\\ud83d\\ude00";
  EXPECT_EQ(error_of(with("{\"display_name\":\"" + name + "\"}")), "invalid display_name");
  const std::string long_name = std::string(78, 'a') + "\\ud83d\\ude00xyz";
  EXPECT_EQ(cleaned(with("{\"display_name\":\"" + long_name + "\"}")).display_name,
            std::string(78, 'a') + "\xF0\x9F\x98\x80");
  EXPECT_EQ(cleaned(with("{\"summary\":\"" + std::string(700, 's') + "\"}")).summary,
            std::string(600, 's'));
}

TEST_F(CleanProfileTest, DisplayNameDefaultsToTheHandle) {
  EXPECT_EQ(cleaned(with(R"({"display_name":"   "})")).display_name, "alice-bot");
  EXPECT_EQ(cleaned(with(R"({"display_name":null})")).display_name, "alice-bot");
  EXPECT_EQ(cleaned(with(R"({"display_name":0})")).display_name, "alice-bot");
  EXPECT_EQ(cleaned(with(R"({"display_name":12.5})")).display_name, "12.5");  // String()
}

TEST_F(CleanProfileTest, TokensAndTags) {
  EXPECT_EQ(normalize_agent_token("market_data", 40), "market-data");
  EXPECT_EQ(normalize_agent_token("  Market Data!! ", 40), "market-data");
  EXPECT_EQ(normalize_agent_token("--a--", 40), "a");
  EXPECT_EQ(normalize_agent_token("C++ / Rust", 40), "c++-rust");
  EXPECT_EQ(normalize_agent_token("\xE2\x84\xAA"
                                  "ube",
                                  40),
            "kube");                                                     // U+212A -> k
  EXPECT_EQ(normalize_agent_token("\xC4\xB0stanbul", 40), "i-stanbul");  // U+0130 -> i U+0307
  EXPECT_EQ(normalize_agent_token("caf\xC3\xA9 au lait", 40), "caf-au-lait");
  EXPECT_EQ(normalize_agent_token("abc-def", 4), "abc-");  // cut after stripping
  EXPECT_EQ(normalize_agent_token("___", 40), "");

  const AgentProfile p = cleaned(with(
      R"({"capabilities":["Python","python"," market_data ","",null,7,"x!"],"topics":"trading",
          "languages":["EN"]})"));
  EXPECT_EQ(p.capabilities, (std::vector<std::string>{"python", "market-data", "7", "x"}));
  EXPECT_TRUE(p.topics.empty());
  EXPECT_EQ(p.languages, std::vector<std::string>{"en"});

  boost::json::array many;
  for (int i = 0; i < 40; ++i) many.emplace_back("t" + std::to_string(i));
  boost::json::value v = alice_profile();
  v.get_object()["topics"] = many;
  EXPECT_EQ(cleaned(v).topics.size(), 32u);
}

TEST_F(CleanProfileTest, Framework) {
  EXPECT_EQ(cleaned(with(R"({"framework":""})")).framework, "other");
  EXPECT_EQ(cleaned(with(R"({"framework":"!!!"})")).framework, "other");
  EXPECT_EQ(cleaned(with(R"({"framework":"Lang_Chain"})")).framework, "lang-chain");
  EXPECT_EQ(error_of(with(R"({"framework":"open.claw"})")), "invalid framework");
  EXPECT_EQ(error_of(with(R"({"framework":"a:b"})")), "invalid framework");
  EXPECT_EQ(cleaned(with(R"({"framework":"x"})")).framework, "x");  // {0,31}: 1 char is fine
}

TEST_F(CleanProfileTest, UpdatedAt) {
  EXPECT_EQ(error_of(with(R"({"updated_at":0})")), "updated_at required");
  EXPECT_EQ(error_of(with(R"({"updated_at":-5})")), "updated_at required");
  EXPECT_EQ(error_of(with(R"({"updated_at":"soon"})")), "updated_at required");
  EXPECT_EQ(error_of(with(R"({"updated_at":null})")), "updated_at required");
  EXPECT_EQ(cleaned(with(R"({"updated_at":"1767225600000"})")).updated_at, kTs);  // Number()
  EXPECT_EQ(cleaned(with(R"({"updated_at":1767225600000.9})")).updated_at, kTs);  // floor
  EXPECT_EQ(error_of(with(R"({"updated_at":1767225600000})"), kTs + 300'001),
            "updated_at skew too large");
  EXPECT_EQ(error_of(with(R"({"updated_at":1767225600000})"), kTs - 300'001),
            "updated_at skew too large");
  // The framework check comes first.
  EXPECT_EQ(error_of(with(R"({"updated_at":0,"framework":"a.b"})")), "invalid framework");
}

TEST_F(CleanProfileTest, ExpiresAtIsKeptAsSignedWithinNowToTtlPlusSkew) {
  // The SDK default, client_now + 7 d, seen by a server whose clock reads 1 ms earlier.
  auto r = clean(alice_profile(), kTs - 1);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value().profile.expires_at, kTs + kWeek);
  EXPECT_EQ(r.value().effective_expires_at, kTs - 1 + kWeek);  // clamped separately
  EXPECT_TRUE(verify_profile_signature(r.value(), kAliceSignPub, kProfileSig));

  // The SDK minimum ttl_s = 60, which the reference rewrote.
  EXPECT_EQ(cleaned(with(R"({"expires_at":1767225660000})")).expires_at, kTs + 60'000);
  EXPECT_EQ(cleaned(with(R"({"expires_at":1767225600000})")).expires_at, kTs);
  EXPECT_EQ(clean(alice_profile(), kTs - 300'000).value().profile.expires_at, kTs + kWeek);

  EXPECT_EQ(error_of(with(R"({"expires_at":1767225599999})")), "expires_at out of range");
  EXPECT_EQ(error_of(with(R"({"expires_at":-1})")), "expires_at out of range");
  // now + TTL + skew is the upper bound (updated_at moved along so its own check passes).
  EXPECT_EQ(error_of(with(R"({"updated_at":1767225299999})"), kTs - 300'001),
            "expires_at out of range");
}

TEST_F(CleanProfileTest, MissingExpiresAtGetsTheDefault) {
  for (const char* patch :
       {R"({"expires_at":0})", R"({"expires_at":null})", R"({"expires_at":"never"})"}) {
    auto r = clean(with(patch), kTs + 10);
    ASSERT_TRUE(r.ok()) << patch;
    EXPECT_EQ(r.value().profile.expires_at, kTs + 10 + kWeek) << patch;
  }
}

TEST_F(CleanProfileTest, HomepageUrl) {
  EXPECT_EQ(cleaned(with(R"({"homepage_url":"https://example.com"})")).homepage_url,
            "https://example.com/");
  EXPECT_EQ(cleaned(with(R"({"homepage_url":""})")).homepage_url, "");
  EXPECT_EQ(cleaned(with(R"({"homepage_url":null})")).homepage_url, "");
  EXPECT_EQ(error_of(with(R"({"homepage_url":"example.com"})")), "Invalid URL");
  EXPECT_EQ(error_of(with(R"({"homepage_url":"ftp://example.com/"})")), "invalid homepage_url");
  EXPECT_EQ(error_of(with(R"({"homepage_url":"https://example.com/#top"})")),
            "invalid homepage_url");
  const std::string long_url = "https://example.com/" + std::string(300, 'p');
  EXPECT_EQ(cleaned(with("{\"homepage_url\":\"" + long_url + "\"}")).homepage_url,
            long_url.substr(0, 240));
}

TEST_F(CleanProfileTest, ForbiddenSubstrings) {
  EXPECT_EQ(error_of(with(R"({"summary":"join https://x.y/room/abc#k=zzz"})")),
            "profile contains forbidden private field/pattern: #k=");  // first in list order
  EXPECT_EQ(error_of(with(R"({"summary":"my SECRET_KEY is"})")),
            "profile contains forbidden private field/pattern: secret_key");
  EXPECT_EQ(error_of(with(R"({"summary":"handles ciphertext"})")),
            "profile contains forbidden private field/pattern: ciphertext");
  // U+212A lowercases to 'k', as in JS.
  EXPECT_EQ(error_of(with("{\"summary\":\"secret\xE2\x84\xAA"
                          "ey\"}")),
            "profile contains forbidden private field/pattern: secretkey");
  // Tags are tokenised first: market_data-style "box_sk" becomes "box-sk" (no hit) ...
  EXPECT_EQ(error_of(with(R"({"topics":["box_sk"]})")), "(ok)");
  // ... and the handle itself is scanned (also as the default display_name).
  EXPECT_EQ(error_of(with(R"({"display_name":"x"})"), kTs, "box_sk-bot"),
            "profile contains forbidden private field/pattern: box_sk");
  EXPECT_EQ(error_of(with(R"({})"), kTs, "mysecretkey"),
            "profile contains forbidden private field/pattern: secretkey");
}

TEST_F(CleanProfileTest, SizeLimitIsOnCanonicalUtf8Bytes) {
  // Maxed-out fields: 96 tags of 40 chars, and a summary of 600 U+0001, which JSON escapes
  // as 6 bytes each ("\u0001"): the limit counts the canonical bytes.
  boost::json::value v = alice_profile();
  boost::json::array tags;
  for (int i = 0; i < 32; ++i) tags.emplace_back(std::string(38, 'a') + std::to_string(i + 10));
  v.get_object()["capabilities"] = tags;
  v.get_object()["topics"] = tags;
  v.get_object()["languages"] = tags;
  v.get_object()["summary"] = std::string(600, '\x01');
  v.get_object()["display_name"] = std::string(80, '\x01');
  EXPECT_EQ(error_of(v), "profile too large");        // about 8500 bytes
  v.get_object()["summary"] = std::string(600, 's');  // 3000 bytes fewer
  auto ok = clean(v);
  ASSERT_TRUE(ok.ok());
  EXPECT_LE(ok.value().canonical_json.size(), kProfileMaxBytes);
  EXPECT_GT(ok.value().canonical_json.size() + 3000, kProfileMaxBytes);
}

TEST_F(CleanProfileTest, ReloadSkipsFreshnessChecks) {
  ProfileCleaningOptions options{kTs + 30LL * 24 * 3600 * 1000};
  options.check_freshness = false;
  auto r = clean_profile(alice_profile(), "alice-bot", options);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value().profile.expires_at, kTs + kWeek);  // never rewritten
  EXPECT_EQ(r.value().effective_expires_at, kTs + kWeek);
}

TEST(ServedProfile, ThirteenKeysThenTheUnsignedOnes) {
  auto r = clean_profile(alice_profile(), "alice-bot", ProfileCleaningOptions{kTs});
  ASSERT_TRUE(r.ok());
  const boost::json::object served =
      served_profile(r.value().profile, kAliceBoxPub, kAliceSignPub, kProfileSig, kTs + 1234);
  std::vector<std::string> keys;
  for (const auto& kv : served) keys.emplace_back(kv.key());
  EXPECT_EQ(keys,
            (std::vector<std::string>{
                "schema", "handle", "display_name", "framework", "framework_version", "summary",
                "capabilities", "topics", "languages", "contact_policy", "homepage_url",
                "updated_at", "expires_at", "box_pub", "sign_pub", "profile_sig", "last_seen_at"}));
  EXPECT_FALSE(served.contains("match_score"));
  const boost::json::object with_score =
      served_profile(r.value().profile, kAliceBoxPub, kAliceSignPub, kProfileSig, 1, 2);
  EXPECT_EQ(with_score.at("match_score").as_int64(), 2);

  // A third party strips the unsigned keys and re-derives the hash (§3.4).
  boost::json::object stripped = served;
  for (const char* k : {"box_pub", "sign_pub", "profile_sig", "last_seen_at"}) stripped.erase(k);
  auto again = clean_profile(stripped, "alice-bot", ProfileCleaningOptions{kTs});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again.value().profile_hash, kProfileHash);
}

}  // namespace
}  // namespace b2b::identity
