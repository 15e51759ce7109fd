// IDENTITY.md §3.5 search, §3.6 matches, §3.10 snapshot.
#include "identity/agent_directory.h"

#include <gtest/gtest.h>

namespace b2b::identity {
namespace {

constexpr int64_t kNow = 1'767'225'600'000;

DirectoryEntry entry(std::string handle, int64_t last_seen, std::string framework,
                     std::vector<std::string> caps, std::vector<std::string> topics = {},
                     std::vector<std::string> langs = {}) {
  DirectoryEntry e;
  e.profile.handle = handle;
  e.profile.display_name = "Agent " + handle;
  e.profile.framework = std::move(framework);
  e.profile.summary = "Summary of " + handle;
  e.profile.capabilities = std::move(caps);
  e.profile.topics = std::move(topics);
  e.profile.languages = std::move(langs);
  e.box_pub = "box";
  e.sign_pub = "sign";
  e.profile_sig = "sig";
  e.last_seen_at = last_seen;
  e.effective_expires_at = kNow + 1000;
  return e;
}

std::vector<std::string> handles(const SearchPage& page) {
  std::vector<std::string> out;
  for (const DirectoryEntry* e : page.agents) out.push_back(e->profile.handle);
  return out;
}

class DirectoryTest : public ::testing::Test {
 protected:
  DirectoryTest() {
    entries_.push_back(
        entry("alice", 300, "openclaw", {"python", "market-data"}, {"trading"}, {"en"}));
    entries_.push_back(entry("bob", 500, "langchain", {"python"}, {"weather"}, {"de"}));
    entries_.push_back(entry("carol", 300, "openclaw", {"rust"}, {"trading"}, {"en"}));
    entries_.push_back(entry("dave", 900, "other", {}, {}, {}));
    entries_.back().effective_expires_at = kNow;  // expired: hidden everywhere
    entries_.push_back(entry("a_z", 300, "other", {"go"}));
  }
  SearchPage search(RawSearchParams raw) {
    return search_directory(entries_, parse_search_query(raw), kNow);
  }
  std::vector<DirectoryEntry> entries_;
};

TEST_F(DirectoryTest, OrderIsLastSeenDescThenHandleCollation) {
  EXPECT_EQ(handles(search({})), (std::vector<std::string>{"bob", "a_z", "alice", "carol"}));
  EXPECT_TRUE(handle_collation_less("a_z", "a-z"));
  EXPECT_TRUE(handle_collation_less("a-z", "a0"));
  EXPECT_TRUE(handle_collation_less("a0", "aa"));
  EXPECT_TRUE(handle_collation_less("ab", "abc"));
}

TEST_F(DirectoryTest, Filters) {
  EXPECT_EQ(handles(search({.framework = "OpenClaw"})),
            (std::vector<std::string>{"alice", "carol"}));
  EXPECT_EQ(handles(search({.capability = "Python"})), (std::vector<std::string>{"bob", "alice"}));
  EXPECT_EQ(handles(search({.capability = "market_data"})), std::vector<std::string>{"alice"});
  EXPECT_EQ(handles(search({.topic = "trading", .language = "en"})),
            (std::vector<std::string>{"alice", "carol"}));
  EXPECT_EQ(handles(search({.framework = "!!!"})).size(), 4u);  // normalises to "": no filter
  EXPECT_EQ(handles(search({.q = "  SUMMARY OF C "})), std::vector<std::string>{"carol"});
  EXPECT_EQ(handles(search({.q = "weather de"})), std::vector<std::string>{"bob"});
  EXPECT_TRUE(handles(search({.q = "nobody"})).empty());
}

TEST_F(DirectoryTest, PagingAndLimits) {
  SearchPage p = search({.limit = "2"});
  EXPECT_EQ(handles(p), (std::vector<std::string>{"bob", "a_z"}));
  EXPECT_EQ(p.next_cursor, 2);
  p = search({.limit = "2", .cursor = "2"});
  EXPECT_EQ(handles(p), (std::vector<std::string>{"alice", "carol"}));
  EXPECT_EQ(p.next_cursor, std::nullopt);
  EXPECT_TRUE(handles(search({.cursor = "99"})).empty());

  EXPECT_EQ(parse_search_query({.limit = "0"}).limit, 50);
  EXPECT_EQ(parse_search_query({.limit = "abc"}).limit, 50);
  EXPECT_EQ(parse_search_query({.limit = "-3"}).limit, 1);
  EXPECT_EQ(parse_search_query({.limit = "500"}).limit, 100);
  EXPECT_EQ(parse_search_query({.cursor = "-5"}).cursor, 0);
  EXPECT_EQ(parse_search_query({.cursor = "7abc"}).cursor, 7);

  const boost::json::object body = search_response_body(search({.limit = "1"}));
  EXPECT_EQ(body.at("count").as_int64(), 1);
  EXPECT_EQ(body.at("next_cursor").as_int64(), 1);
  EXPECT_TRUE(search_response_body(search({})).at("next_cursor").is_null());
}

TEST_F(DirectoryTest, MatchesScoreSharedTags) {
  const AgentProfile& source = entries_[0].profile;  // alice
  const std::vector<Match> m = match_profiles(source, entries_, kNow, 20);
  ASSERT_EQ(m.size(), 2u);
  // carol: framework + topic + language = 3; bob: capability python = 1.
  EXPECT_EQ(m[0].entry->profile.handle, "carol");
  EXPECT_EQ(m[0].score, 3);
  EXPECT_EQ(m[1].entry->profile.handle, "bob");
  EXPECT_EQ(m[1].score, 1);
  EXPECT_EQ(match_profiles(source, entries_, kNow, 1).size(), 1u);

  const boost::json::object body = matches_response_body(m);
  EXPECT_EQ(body.at("agents").as_array()[0].as_object().at("match_score").as_int64(), 3);
  EXPECT_TRUE(body.at("next_cursor").is_null());
  EXPECT_EQ(parse_matches_limit(std::nullopt), 20);
  EXPECT_EQ(parse_matches_limit("0"), 20);
  EXPECT_EQ(parse_matches_limit("51"), 50);
}

TEST_F(DirectoryTest, SnapshotBody) {
  const boost::json::object body = directory_snapshot_body(entries_, kNow);
  EXPECT_EQ(body.at("schema").as_string(), "bot2bot.agent_directory.v1");
  EXPECT_EQ(body.at("endpoints").as_object().at("matches").as_string(),
            "/api/agents/matches?handle=<handle>");
  EXPECT_EQ(body.at("agents").as_array().size(), 4u);
  EXPECT_EQ(body.at("agents").as_array()[0].as_object().at("handle").as_string(), "bob");
}

}  // namespace
}  // namespace b2b::identity
