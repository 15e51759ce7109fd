// ROOMS.md §5 presence model (and the §20.6 heartbeat bound): Heartbeats, participants
// and names rendering.
#include "core/presence.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>
#include <vector>

namespace b2b::core {
namespace {
namespace json = boost::json;

StreamMember member(uint64_t id, std::optional<std::string> name, int64_t last_seen,
                    std::optional<std::string> box_pub = std::nullopt) {
  StreamMember m;
  m.id = id;
  m.name = std::move(name);
  m.box_pub = std::move(box_pub);
  m.last_seen_ms = last_seen;
  return m;
}

std::vector<std::string> names_in(const json::array& participants) {
  std::vector<std::string> out;
  for (const auto& p : participants) out.emplace_back(p.as_object().at("name").as_string());
  return out;
}

TEST(Heartbeats, UpsertKeepsFirstInsertionPosition) {
  Heartbeats h;
  h.upsert("a", std::nullopt, 100, 10);
  h.upsert("b", std::nullopt, 200, 10);
  h.upsert("a", std::string("K"), 300, 10);
  ASSERT_EQ(h.entries().size(), 2u);
  EXPECT_EQ(h.entries()[0].name, "a");
  EXPECT_EQ(h.entries()[0].last_seen_ms, 300);
  EXPECT_EQ(h.entries()[0].box_pub, "K");
  EXPECT_EQ(h.entries()[1].name, "b");
}

TEST(Heartbeats, UpsertWithoutKeyClearsTheStoredKey) {
  Heartbeats h;
  h.upsert("a", std::string("K"), 100, 10);
  h.upsert("a", std::nullopt, 200, 10);  // §6.7: invalid or missing box_pub clears
  EXPECT_EQ(h.entries()[0].box_pub, std::nullopt);
}

TEST(Heartbeats, BoundDropsLeastRecentlySeen) {
  Heartbeats h;
  h.upsert("a", std::nullopt, 100, 2);
  h.upsert("b", std::nullopt, 50, 2);  // older last_seen despite later insertion
  h.upsert("c", std::nullopt, 300, 2);
  ASSERT_EQ(h.entries().size(), 2u);
  EXPECT_EQ(h.entries()[0].name, "a");
  EXPECT_EQ(h.entries()[1].name, "c");
}

TEST(Heartbeats, ZeroMaxMeansUnbounded) {
  Heartbeats h;
  for (int i = 0; i < 50; ++i) h.upsert("n" + std::to_string(i), std::nullopt, i, 0);
  EXPECT_EQ(h.entries().size(), 50u);
}

TEST(Heartbeats, PruneRemovesEntriesPastTheWindow) {
  Heartbeats h;
  h.upsert("old", std::nullopt, 1000, 10);
  h.upsert("new", std::nullopt, 5000, 10);
  h.prune(61'000, 60'000);  // exactly 60 s: kept
  EXPECT_EQ(h.entries().size(), 2u);
  h.prune(61'001, 60'000);
  ASSERT_EQ(h.entries().size(), 1u);
  EXPECT_EQ(h.entries()[0].name, "new");
}

TEST(RenderParticipants, MembersFirstInJoinOrderThenVisibleHeartbeats) {
  std::vector<StreamMember> members{member(1, "zed", 900, "ZK"), member(2, std::nullopt, 0),
                                    member(3, "amy", 1000)};
  Heartbeats h;
  h.upsert("hb1", std::string("HK"), 400, 10);
  h.upsert("amy", std::nullopt, 1000, 10);       // collides with a member: member wins
  h.upsert("stale", std::nullopt, -60'000, 10);  // 61 s ago: hidden
  auto out = render_participants(members, h, 1000, 60'000);
  ASSERT_EQ(names_in(out), (std::vector<std::string>{"zed", "amy", "hb1"}));

  // Member entries: name, box_pub?, last_seen_ms_ago — in that key order (§4.3).
  EXPECT_EQ(json::serialize(out[0]), R"({"name":"zed","box_pub":"ZK","last_seen_ms_ago":100})");
  EXPECT_EQ(json::serialize(out[1]), R"({"name":"amy","last_seen_ms_ago":0})");
  // Heartbeat entries: name, last_seen_ms_ago, box_pub?.
  EXPECT_EQ(json::serialize(out[2]), R"({"name":"hb1","last_seen_ms_ago":600,"box_pub":"HK"})");
}

TEST(RenderParticipants, DuplicateMemberNamesListedOnceAndAgoNeverNegative) {
  std::vector<StreamMember> members{member(1, "x", 5000), member(2, "x", 100, "K")};
  Heartbeats h;
  auto out = render_participants(members, h, 1000, 60'000);
  ASSERT_EQ(out.size(), 1u);
  auto p = out[0].as_object();
  EXPECT_EQ(p.at("last_seen_ms_ago").as_int64(), 0);  // max(0, now - last_seen)
  EXPECT_FALSE(p.contains("box_pub"));                // the first "x" wins, it has no key
}

TEST(RenderParticipants, HeartbeatVisibleForExactlyTheWindow) {
  std::vector<StreamMember> none;
  Heartbeats h;
  h.upsert("hb", std::nullopt, 0, 10);
  EXPECT_EQ(render_participants(none, h, 60'000, 60'000).size(), 1u);
  EXPECT_EQ(render_participants(none, h, 60'001, 60'000).size(), 0u);
}

TEST(RenderNames, JoinOrderDeduplicatedUnnamedOmitted) {
  std::vector<StreamMember> members{member(1, "b", 0), member(2, std::nullopt, 0),
                                    member(3, "a", 0), member(4, "b", 0)};
  EXPECT_EQ(json::serialize(render_names(members)), R"(["b","a"])");
  EXPECT_TRUE(render_names({}).empty());
}

}  // namespace
}  // namespace b2b::core
