#include "client/send_budget.h"

#include <gtest/gtest.h>

#include <filesystem>

namespace b2b::client {
namespace {

RoomMessage from(const std::string& sender, int64_t seq) {
  RoomMessage m;
  m.sender = sender;
  m.seq = seq;
  return m;
}

TEST(SendBudget, PerMinuteBudgetStopsAndSaysHowLongAndHowToRaiseIt) {
  SendBudget b({.per_minute = 3, .max_unattended = 0, .humans = {}}, {});
  for (int i = 0; i < 3; ++i) {
    ASSERT_FALSE(b.check(1000 + i));
    b.record_send(1000 + i, 10 + i);
  }
  auto stop = b.check(1500);
  ASSERT_TRUE(stop);
  EXPECT_EQ(stop->error, "budget \"sends per minute\" reached");
  EXPECT_NE(stop->detail.find("try again in 60 s"), std::string::npos) << stop->detail;
  EXPECT_NE(stop->detail.find("--max-per-minute"), std::string::npos);
  EXPECT_FALSE(b.check(61'001));  // the first send left the window
}

TEST(SendBudget, UnattendedBudgetIsResetOnlyByAHuman) {
  SendBudget b({.per_minute = 0, .max_unattended = 2, .humans = {"alice", "@bob"}}, {});
  b.record_send(1, 100);
  b.record_send(2, 102);
  b.observe({from("other-agent", 101), from("other-agent", 103)});
  auto stop = b.check(3);
  ASSERT_TRUE(stop);
  EXPECT_EQ(stop->error, "budget \"unattended replies\" reached");
  EXPECT_NE(stop->detail.find("alice, @bob"), std::string::npos) << stop->detail;
  b.observe({from("@bob", 104)});
  EXPECT_FALSE(b.check(4));
  EXPECT_EQ(b.state().unattended, 0);
  EXPECT_EQ(b.state().checked_seq, 104);
  b.observe({from("alice", 90)});  // already seen (below checked_seq): ignored
  EXPECT_EQ(b.state().checked_seq, 104);
}

TEST(SendBudget, ZeroDisablesBothBudgets) {
  SendBudget b({.per_minute = 0, .max_unattended = 0, .humans = {}}, {});
  for (int i = 0; i < 1000; ++i) b.record_send(1000, i + 1);
  EXPECT_FALSE(b.check(1000));
}

TEST(SendBudget, StateRoundTripsThroughItsFile) {
  auto dir = std::filesystem::temp_directory_path() / ("b2b-budget-" + std::to_string(::getpid()));
  auto path = (dir / "b.json").string();
  BudgetState s;
  s.checked_seq = 42;
  s.unattended = 7;
  s.sends_ms = {1000, 2000};
  ASSERT_TRUE(save_budget_state(path, s));
  auto back = load_budget_state(path);
  ASSERT_TRUE(back);
  EXPECT_EQ(back.value().checked_seq, 42);
  EXPECT_EQ(back.value().unattended, 7);
  EXPECT_EQ(back.value().sends_ms, (std::deque<int64_t>{1000, 2000}));
  EXPECT_EQ(load_budget_state((dir / "missing.json").string()).value().checked_seq, 0);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace b2b::client
