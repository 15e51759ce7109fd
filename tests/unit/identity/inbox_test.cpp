// IDENTITY.md §4.3/§4.4: DM inbox bounds, pruning, paging and waiters (identity/inbox.cpp).
#include "identity/inbox.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

namespace b2b::identity {
namespace {

EnvelopePtr env(int64_t seq, bool verified, int64_t ts = 1000, std::size_t ct_len = 4) {
  auto e = std::make_shared<Envelope>();
  e->seq = seq;
  e->id = "id-" + std::to_string(seq);
  e->ciphertext = std::string(ct_len, 'A');
  e->nonce = std::string(32, 'B');
  e->sender_eph_pub = std::string(44, 'C');
  e->from_verified = verified;
  if (verified) e->from_handle = "bob";
  e->ts = ts;
  return e;
}

struct Recorder : InboxWaiter {
  std::vector<int64_t> got;
  int64_t after = 0;
  bool offer(const EnvelopePtr& e) override {
    if (e->seq <= after) return false;
    got.push_back(e->seq);
    return true;
  }
  void answer_for_shutdown() override {}
};

class InboxTest : public ::testing::Test {
 protected:
  InboxLimits limits{.max_envelopes = 4, .max_anonymous = 2, .ttl_ms = 10'000, .page = 3};
  core::ByteBudget pool{1 << 20};
  InboxShard inbox{limits, pool};

  std::vector<int64_t> seqs(int64_t after = 0, int64_t now = 1000) {
    std::vector<int64_t> out;
    for (const auto& e : inbox.after("alice", after, now, nullptr).envelopes) out.push_back(e->seq);
    return out;
  }
};

TEST_F(InboxTest, AnonymousEnvelopesAreCappedOldestFirst) {
  InboxChange change;
  for (int64_t s = 1; s <= 3; ++s) ASSERT_TRUE(inbox.append("alice", env(s, false), 1000, &change));
  EXPECT_EQ(seqs(), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(change.dropped_ids, std::vector<std::string>{"id-1"});
}

TEST_F(InboxTest, TotalCapEvictsAnonymousBeforeVerified) {
  inbox.append("alice", env(1, true), 1000, nullptr);
  inbox.append("alice", env(2, false), 1000, nullptr);
  inbox.append("alice", env(3, true), 1000, nullptr);
  inbox.append("alice", env(4, true), 1000, nullptr);
  inbox.append("alice", env(5, true), 1000, nullptr);  // over 4: the anonymous one goes
  EXPECT_EQ(seqs(), (std::vector<int64_t>{1, 3, 4}));  // page of 3
  EXPECT_EQ(seqs(4), std::vector<int64_t>{5});
  inbox.append("alice", env(6, true), 1000, nullptr);  // no anonymous left: the oldest goes
  EXPECT_EQ(seqs(), (std::vector<int64_t>{3, 4, 5}));
}

TEST_F(InboxTest, PagesHoldAtMostThePageSizeAndSayWhetherMoreFollow) {
  for (int64_t s = 1; s <= 4; ++s) inbox.append("alice", env(s, true), 1000, nullptr);
  auto page = inbox.after("alice", 0, 1000, nullptr);
  EXPECT_EQ(page.envelopes.size(), 3u);
  EXPECT_TRUE(page.has_more);
  page = inbox.after("alice", 3, 1000, nullptr);
  EXPECT_EQ(page.envelopes.size(), 1u);
  EXPECT_FALSE(page.has_more);
}

TEST_F(InboxTest, ExpiredEnvelopesAreDroppedAndTheirBytesReleased) {
  inbox.append("alice", env(1, true, /*ts=*/1000, 100), 1000, nullptr);
  inbox.append("alice", env(2, true, /*ts=*/5000, 100), 5000, nullptr);
  EXPECT_EQ(pool.used(), 2 * (100 + 512));
  InboxChange change;
  inbox.janitor(11'000, &change);  // 1000 + 10000 <= 11000: the first has expired
  EXPECT_EQ(change.dropped_ids, std::vector<std::string>{"id-1"});
  EXPECT_EQ(seqs(0, 11'000), std::vector<int64_t>{2});
  EXPECT_EQ(pool.used(), 100 + 512);
}

TEST_F(InboxTest, RemoveAcknowledgesOnce) {
  inbox.append("alice", env(1, true), 1000, nullptr);
  EXPECT_EQ(inbox.remove("alice", "id-1"), 1);
  EXPECT_EQ(inbox.remove("alice", "id-1"), 0);
  EXPECT_EQ(inbox.remove("nobody", "id-1"), 0);
  EXPECT_EQ(pool.used(), 0);
}

TEST_F(InboxTest, FullPoolRefusesWithoutChangingTheInbox) {
  core::ByteBudget tiny{600};
  InboxShard small{limits, tiny};
  EXPECT_TRUE(small.append("alice", env(1, true, 1000, 80), 1000, nullptr));
  EXPECT_FALSE(small.fits(80));
  EXPECT_FALSE(small.append("alice", env(2, true, 1000, 80), 1000, nullptr));
  EXPECT_EQ(small.after("alice", 0, 1000, nullptr).envelopes.size(), 1u);
}

TEST_F(InboxTest, AWaiterIsWokenOnlyByANewerEnvelope) {
  auto w = std::make_shared<Recorder>();
  w->after = 5;
  inbox.park("alice", w);
  EXPECT_EQ(inbox.waiters_for("alice"), 1u);
  inbox.append("alice", env(5, true), 1000, nullptr);  // not newer than `after`
  EXPECT_TRUE(w->got.empty());
  EXPECT_EQ(inbox.waiters_for("alice"), 1u);
  inbox.append("alice", env(6, true), 1000, nullptr);
  EXPECT_EQ(w->got, std::vector<int64_t>{6});
  EXPECT_EQ(inbox.waiters_for("alice"), 0u);
}

// Cluster mode: an envelope another node accepted is inserted in seq order, once, and wakes a
// parked wait; the caps still apply.
TEST_F(InboxTest, MergedEnvelopesGoInSeqOrderOnceAndWakeWaiters) {
  inbox.append("alice", env(10, true), 1000, nullptr);
  inbox.append("alice", env(12, true), 1000, nullptr);
  auto w = std::make_shared<Recorder>();
  w->after = 12;
  inbox.park("alice", w);
  EXPECT_TRUE(inbox.merge("alice", env(11, true), 1000));
  EXPECT_FALSE(inbox.merge("alice", env(11, true), 1000));  // already here (same id)
  EXPECT_EQ(seqs(), (std::vector<int64_t>{10, 11, 12}));
  EXPECT_TRUE(w->got.empty());  // 11 is not newer than the wait's cursor
  EXPECT_TRUE(inbox.merge("alice", env(13, true), 1000));
  EXPECT_EQ(w->got, std::vector<int64_t>{13});
  EXPECT_TRUE(inbox.merge("alice", env(14, true), 1000));
  EXPECT_EQ(seqs(), (std::vector<int64_t>{11, 12, 13}));  // max_envelopes 4: 10 left; page 3
  EXPECT_EQ(pool.used(), 4 * (4 + 512));
}

TEST(Envelope, ServedShapeHasNullSenderWhenAnonymousAndRelaysTheProofWhenVerified) {
  auto anon = env(1, false);
  EXPECT_NE(anon->to_json().find(R"("from_handle":null)"), std::string::npos);
  EXPECT_EQ(anon->to_json().find("from_sig"), std::string::npos);
  auto signed_env = std::make_shared<Envelope>(*env(2, true));
  signed_env->from_sig = "SIG";
  signed_env->from_ts = 77;
  const std::string j = signed_env->to_json();
  EXPECT_NE(j.find(R"("from_handle":"bob")"), std::string::npos);
  EXPECT_NE(j.find(R"("from_sig":"SIG")"), std::string::npos);
  EXPECT_NE(j.find(R"("from_ts":77)"), std::string::npos);
  EXPECT_EQ(j.find("_bytes"), std::string::npos);
}

}  // namespace
}  // namespace b2b::identity
