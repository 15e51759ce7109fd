// ROOMS.md §9 claim/ack with the §20.19 fixes: try_claim, ack_claim and ClaimBook.
#include "core/claims.h"

#include <gtest/gtest.h>

#include "core/byte_budget.h"
#include "core/metrics.h"
#include "core/relay_limits.h"
#include "core/room.h"

namespace b2b::core {
namespace {

class ClaimsTest : public ::testing::Test {
 protected:
  RelayLimits limits;
  ByteBudget budget{1 << 30};
  Metrics metrics;
  Room room{"ROOM01", 1000, 1000, limits, budget, metrics};

  MessagePtr post(const std::string& sender, int64_t now = 2000) {
    MessageDraft d;
    d.sender = sender;
    d.ciphertext = "QQ==";
    d.nonce = std::string(32, 'A');
    return room.append(std::move(d), now).value();
  }
  Exclusions excl(std::initializer_list<std::string> s) { return Exclusions{{s.begin(), s.end()}}; }
};

TEST_F(ClaimsTest, EmptyRoomHasNothingToClaim) {
  ClaimCursor c;
  EXPECT_FALSE(try_claim(room, c, excl({"alice", "@alice"}), 60000, 2000, nullptr).has_value());
  EXPECT_FALSE(c.inflight.has_value());
}

TEST_F(ClaimsTest, NewClaimerStartsAtTheOldestBufferedMessage) {
  auto a = post("bob");
  post("carol");
  ClaimCursor c;
  bool moved = false;
  auto offer = try_claim(room, c, excl({"alice", "@alice"}), 60000, 2000, &moved);
  ASSERT_TRUE(offer.has_value());
  EXPECT_EQ(offer->message->seq, a->seq);
  EXPECT_TRUE(moved);                    // clamped up to oldest − 1
  EXPECT_EQ(offer->cursor, a->seq - 1);  // cursor before the ack
  EXPECT_EQ(offer->claim_id.size(), 36u);
}

TEST_F(ClaimsTest, ExcludedSendersAreSkippedButTheCursorStays) {
  post("@alice");
  post("alias");
  auto bob = post("bob");
  ClaimCursor c;
  auto offer = try_claim(room, c, excl({"alice", "@alice", "alias"}), 60000, 2000, nullptr);
  ASSERT_TRUE(offer.has_value());
  EXPECT_EQ(offer->message->seq, bob->seq);
  EXPECT_EQ(c.cursor, bob->seq - 3);
}

TEST_F(ClaimsTest, LiveClaimIsReturnedAgainWithTheSameIdAndARenewedLease) {
  post("bob");
  ClaimCursor c;
  auto first = try_claim(room, c, excl({}), 60000, 2000, nullptr);
  auto again = try_claim(room, c, excl({}), 90000, 50000, nullptr);
  ASSERT_TRUE(first && again);
  EXPECT_EQ(first->claim_id, again->claim_id);
  EXPECT_EQ(c.inflight->claimed_at, 50000);  // §20.19: lease extended
  EXPECT_EQ(c.inflight->ttl_ms, 90000);
}

TEST_F(ClaimsTest, ExpiredClaimIsReofferedWithANewId) {
  auto m = post("bob");
  ClaimCursor c;
  auto first = try_claim(room, c, excl({}), 60000, 2000, nullptr);
  auto later = try_claim(room, c, excl({}), 60000, 2000 + 60001, nullptr);
  ASSERT_TRUE(first && later);
  EXPECT_EQ(later->message->seq, m->seq);
  EXPECT_NE(later->claim_id, first->claim_id);
}

TEST_F(ClaimsTest, AckAdvancesThenIsIdempotent) {
  auto m = post("bob");
  ClaimCursor c;
  auto offer = try_claim(room, c, excl({}), 60000, 2000, nullptr);
  EXPECT_EQ(ack_claim(c, offer->claim_id, m->seq), AckOutcome::kAdvanced);
  EXPECT_EQ(c.cursor, m->seq);
  EXPECT_FALSE(c.inflight.has_value());
  EXPECT_EQ(ack_claim(c, offer->claim_id, m->seq), AckOutcome::kAlreadyAcked);
  EXPECT_EQ(ack_claim(c, "whatever", m->seq), AckOutcome::kAlreadyAcked);  // id not checked
}

TEST_F(ClaimsTest, WrongClaimIdOrSeqIsStale) {
  auto m = post("bob");
  ClaimCursor c;
  auto offer = try_claim(room, c, excl({}), 60000, 2000, nullptr);
  EXPECT_EQ(ack_claim(c, "00000000-0000-4000-8000-000000000000", m->seq), AckOutcome::kStale);
  EXPECT_EQ(ack_claim(c, offer->claim_id, m->seq + 1), AckOutcome::kStale);
  EXPECT_EQ(ack_claim(c, offer->claim_id, 0), AckOutcome::kStale);
  EXPECT_EQ(c.cursor, m->seq - 1);
}

TEST_F(ClaimsTest, LateAckIsAcceptedWhileNobodyReclaimed) {
  auto m = post("bob");
  ClaimCursor c;
  auto offer = try_claim(room, c, excl({}), 60000, 2000, nullptr);
  // The lease ran out long ago, but the claim is unchanged (§20.19).
  EXPECT_EQ(ack_claim(c, offer->claim_id, m->seq), AckOutcome::kAdvanced);
}

TEST_F(ClaimsTest, AckAfterSomeoneReclaimedIsStale) {
  auto m = post("bob");
  ClaimCursor c;
  auto first = try_claim(room, c, excl({}), 60000, 2000, nullptr);
  try_claim(room, c, excl({}), 60000, 2000 + 60001, nullptr);  // expired → new claim id
  EXPECT_EQ(ack_claim(c, first->claim_id, m->seq), AckOutcome::kStale);
}

TEST(ClaimBook, KeepsAtMostNRoomsPerHandleDroppingTheLeastRecentlyClaimed) {
  ClaimBook book(2);
  book.touch("alice", "r1").cursor = 1;
  book.touch("alice", "r2").cursor = 2;
  book.touch("alice", "r1");  // r1 is now the most recent
  std::vector<std::string> evicted;
  book.touch("alice", "r3", &evicted);
  EXPECT_EQ(evicted, std::vector<std::string>{"r2"});
  EXPECT_EQ(book.find("alice", "r2"), nullptr);
  ASSERT_NE(book.find("alice", "r1"), nullptr);
  EXPECT_EQ(book.find("alice", "r1")->cursor, 1);
  book.touch("bob", "r2");  // other handles have their own bound
  EXPECT_EQ(book.size(), 3u);
  book.forget_handle("alice");
  EXPECT_EQ(book.size(), 1u);
}

}  // namespace
}  // namespace b2b::core
