// ROOMS.md §6.1 steps 5–9, §6.3 message frames, §7.3 signed-only rooms and §20.16
// alphabet normalisation: post_to_room.
#include "core/room_posting.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json.hpp>
#include <memory>
#include <string>
#include <vector>

#include "core/byte_budget.h"
#include "core/metrics.h"
#include "core/relay_limits.h"

namespace b2b::core {
namespace {
namespace json = boost::json;

const std::string kNonce = std::string(32, 'A');

class FakeVerifier : public SenderVerifier {
 public:
  SignatureCheck check(std::string_view room_id, const IncomingMessage& m,
                       int64_t now_ms) override {
    ++calls;
    last_room = std::string(room_id);
    last_ciphertext = m.ciphertext;
    last_now = now_ms;
    if (!accept) return SignatureCheck{false, "rejected by the fake", {}};
    return SignatureCheck{true, "",
                          VerifiedSender{"alice", RelayedSignature{"SIG", "SNONCE", 777}}};
  }
  Result<VerifiedSender> admit(const SignatureCheck& c, int64_t) override {
    ++admitted;
    return c.sender;
  }
  int admitted = 0;
  bool accept = true;
  int calls = 0;
  std::string last_room;
  std::string last_ciphertext;
  int64_t last_now = 0;
};

class Recorder : public StreamSubscriber {
 public:
  Delivery deliver(const EventPtr& e, bool replay) override {
    if (!replay) types.emplace_back(json::parse(e->json()).as_object().at("type").as_string());
    if (!replay) jsons.emplace_back(e->json());
    return Delivery::kQueued;
  }
  void drop_slow_consumer() override {}
  void close_going_away() override {}
  std::vector<std::string> types;
  std::vector<std::string> jsons;
};

// Queues the replay, then refuses live traffic once told to: a slow consumer.
class Refuser : public StreamSubscriber {
 public:
  Delivery deliver(const EventPtr&, bool replay) override {
    return replay || !refuse ? Delivery::kQueued : Delivery::kOverLimit;
  }
  void drop_slow_consumer() override { ++drops; }
  void close_going_away() override {}
  bool refuse = false;
  int drops = 0;
};

IncomingMessage unsigned_msg(std::string ciphertext = "QQ==") {
  IncomingMessage m;
  m.ciphertext = std::move(ciphertext);
  m.nonce = kNonce;
  return m;
}

IncomingMessage signed_msg(std::string ciphertext = "QQ==") {
  IncomingMessage m = unsigned_msg(std::move(ciphertext));
  m.is_signed = true;
  m.sender_handle = "Alice";
  m.sender_sig = "c2ln";
  return m;
}

json::object event_of(const PostResult& r) {
  return json::parse(r.message->event->json()).as_object();
}

class RoomPostingTest : public ::testing::Test {
 protected:
  RelayLimits limits = [] {
    RelayLimits l;
    l.room_max_bytes = 2 * 516;
    return l;
  }();
  ByteBudget budget{limits.global_max_bytes};
  Metrics metrics;
  Room room{"ROOM01", 1000, 1000, limits, budget, metrics};
  FakeVerifier verifier;
};

TEST_F(RoomPostingTest, UnsignedPostGetsDefaultSenderAndIsAppended) {
  auto r = post_to_room(room, unsigned_msg(), "agent", verifier, 2000);
  ASSERT_FALSE(r.refusal.has_value());
  ASSERT_NE(r.message, nullptr);
  EXPECT_EQ(r.message->seq, 1000);
  EXPECT_EQ(r.message->sender, "agent");
  auto e = event_of(r);
  EXPECT_EQ(e.at("sender").as_string(), "agent");
  EXPECT_FALSE(e.at("sender_verified").as_bool());
  EXPECT_FALSE(e.contains("sender_sig"));
  EXPECT_EQ(verifier.calls, 0);
  EXPECT_EQ(room.last_seq(), 1000);

  auto ws = post_to_room(room, unsigned_msg(), "user", verifier, 2000);
  EXPECT_EQ(ws.message->sender, "user");
}

TEST_F(RoomPostingTest, ClientSenderTtlAndReplyToAreKept) {
  IncomingMessage m = unsigned_msg();
  m.sender = "research-bot";
  m.ttl_ms = 60'000;
  m.reply_to = "abcdefgh";
  auto r = post_to_room(room, m, "agent", verifier, 2000);
  ASSERT_NE(r.message, nullptr);
  auto e = event_of(r);
  EXPECT_EQ(e.at("sender").as_string(), "research-bot");
  EXPECT_EQ(e.at("ttl_ms").as_int64(), 60'000);
  EXPECT_EQ(e.at("reply_to").as_string(), "abcdefgh");
  EXPECT_EQ(e.at("ts").as_int64(), 2000);
}

TEST_F(RoomPostingTest, UnsignedUrlSafeAlphabetIsNormalised) {
  IncomingMessage m = unsigned_msg("-_-_");
  m.nonce = std::string(30, 'A') + "-_";
  auto r = post_to_room(room, m, "agent", verifier, 2000);
  ASSERT_NE(r.message, nullptr);
  auto e = event_of(r);
  EXPECT_EQ(e.at("ciphertext").as_string(), "+/+/");
  EXPECT_EQ(e.at("nonce").as_string(), std::string(30, 'A') + "+/");
}

TEST_F(RoomPostingTest, SignedPostIsVerifiedAndRelayedAsSigned) {
  auto r = post_to_room(room, signed_msg("-_-_"), "agent", verifier, 2500);
  ASSERT_FALSE(r.refusal.has_value()) << r.detail;
  EXPECT_EQ(verifier.calls, 1);
  EXPECT_EQ(verifier.last_room, "ROOM01");
  EXPECT_EQ(verifier.last_now, 2500);
  EXPECT_EQ(verifier.last_ciphertext, "-_-_");  // verified as posted
  auto e = event_of(r);
  EXPECT_EQ(e.at("sender").as_string(), "@alice");
  EXPECT_TRUE(e.at("sender_verified").as_bool());
  EXPECT_EQ(e.at("ciphertext").as_string(), "-_-_");  // §20.16: signed posts not rewritten
  EXPECT_EQ(e.at("sender_sig").as_string(), "SIG");
  EXPECT_EQ(e.at("sender_nonce").as_string(), "SNONCE");
  EXPECT_EQ(e.at("sender_ts").as_int64(), 777);
}

TEST_F(RoomPostingTest, SignedPostIgnoresClientSender) {
  IncomingMessage m = signed_msg();
  m.sender = "impostor";
  auto r = post_to_room(room, m, "agent", verifier, 2000);
  ASSERT_NE(r.message, nullptr);
  EXPECT_EQ(r.message->sender, "@alice");
}

TEST_F(RoomPostingTest, BadSignatureIsRefusedWithoutBurningASeq) {
  verifier.accept = false;
  auto r = post_to_room(room, signed_msg(), "agent", verifier, 2000);
  ASSERT_TRUE(r.refusal.has_value());
  EXPECT_EQ(*r.refusal, PostRefusal::kBadSignature);
  EXPECT_EQ(r.message, nullptr);
  EXPECT_EQ(r.detail, "rejected by the fake");
  EXPECT_EQ(room.next_seq(), 1000);
  EXPECT_EQ(room.last_seq(), 0);
}

TEST_F(RoomPostingTest, RoomBudgetIsCheckedBeforeTheSignature) {
  IncomingMessage m = signed_msg();
  m.ciphertext = std::string(limits.room_max_bytes, 'A');  // alone larger than the room's cap
  auto r = post_to_room(room, m, "agent", verifier, 2000);
  ASSERT_TRUE(r.refusal.has_value());
  EXPECT_EQ(*r.refusal, PostRefusal::kRoomBufferFull);
  EXPECT_EQ(verifier.calls, 0);  // the nonce was not consumed
  EXPECT_FALSE(r.detail.empty());
}

TEST(RoomPosting, GlobalBudgetIsCheckedBeforeTheSignature) {
  RelayLimits limits;
  limits.global_max_bytes = 516;
  ByteBudget budget(limits.global_max_bytes);
  Metrics metrics;
  Room room("ROOM01", 0, 0, limits, budget, metrics);
  FakeVerifier verifier;
  ASSERT_NE(post_to_room(room, unsigned_msg(), "agent", verifier, 1).message, nullptr);
  auto r = post_to_room(room, signed_msg(), "agent", verifier, 1);
  ASSERT_TRUE(r.refusal.has_value());
  EXPECT_EQ(*r.refusal, PostRefusal::kGlobalBufferFull);
  EXPECT_EQ(verifier.calls, 0);
}

TEST_F(RoomPostingTest, SignedOnlyWithoutSignatureIsRefusedAndRoomStaysUnlocked) {
  auto sub = std::make_shared<Recorder>();
  ASSERT_NE(room.subscribe(Joiner{sub, StreamKind::kSse, 0, {}, {}}, 1500), 0u);
  IncomingMessage m = unsigned_msg();
  m.signed_only = true;
  auto r = post_to_room(room, m, "agent", verifier, 2000);
  ASSERT_TRUE(r.refusal.has_value());
  EXPECT_EQ(*r.refusal, PostRefusal::kSignedOnlyNeedsSig);
  EXPECT_FALSE(room.signed_only());
  EXPECT_EQ(room.next_seq(), 1000);
  EXPECT_EQ(std::count(sub->types.begin(), sub->types.end(), "locked"), 0);
  // The room still takes unsigned posts.
  EXPECT_NE(post_to_room(room, unsigned_msg(), "agent", verifier, 2000).message, nullptr);
}

TEST_F(RoomPostingTest, SignedOnlyWithSignatureLocksAndAnnouncesBeforeTheMessage) {
  auto sub = std::make_shared<Recorder>();
  ASSERT_NE(room.subscribe(Joiner{sub, StreamKind::kSse, 0, {}, {}}, 1500), 0u);
  sub->types.clear();
  IncomingMessage m = signed_msg();
  m.signed_only = true;
  auto r = post_to_room(room, m, "agent", verifier, 2000);
  ASSERT_FALSE(r.refusal.has_value()) << r.detail;
  EXPECT_TRUE(room.signed_only());
  EXPECT_EQ(sub->types, (std::vector<std::string>{"locked", "message"}));
  // signed_only is never relayed.
  EXPECT_FALSE(event_of(r).contains("signed_only"));
}

TEST_F(RoomPostingTest, LockedRoomRefusesUnsignedAndAcceptsSigned) {
  room.lock_signed_only(2000);
  auto r = post_to_room(room, unsigned_msg(), "agent", verifier, 2000);
  ASSERT_TRUE(r.refusal.has_value());
  EXPECT_EQ(*r.refusal, PostRefusal::kRoomLocked);
  EXPECT_EQ(room.next_seq(), 1000);

  // signed_only:true on an already locked room is not "needs sig": it is just locked.
  IncomingMessage m = unsigned_msg();
  m.signed_only = true;
  auto r2 = post_to_room(room, m, "agent", verifier, 2000);
  ASSERT_TRUE(r2.refusal.has_value());
  EXPECT_EQ(*r2.refusal, PostRefusal::kRoomLocked);

  auto sub = std::make_shared<Recorder>();
  ASSERT_NE(room.subscribe(Joiner{sub, StreamKind::kSse, 0, {}, {}}, 1500), 0u);
  sub->types.clear();
  IncomingMessage s = signed_msg();
  s.signed_only = true;  // ignored: no second `locked`
  auto ok = post_to_room(room, s, "agent", verifier, 2000);
  ASSERT_FALSE(ok.refusal.has_value());
  EXPECT_EQ(sub->types, std::vector<std::string>{"message"});
}

TEST_F(RoomPostingTest, BadSignatureWithSignedOnlyDoesNotLock) {
  verifier.accept = false;
  IncomingMessage m = signed_msg();
  m.signed_only = true;
  auto r = post_to_room(room, m, "agent", verifier, 2000);
  ASSERT_TRUE(r.refusal.has_value());
  EXPECT_EQ(*r.refusal, PostRefusal::kBadSignature);
  EXPECT_FALSE(room.signed_only());
}

TEST_F(RoomPostingTest, LockAnnouncementUsesThePostsClock) {
  auto watcher = std::make_shared<Recorder>();
  ASSERT_NE(room.subscribe(Joiner{watcher, StreamKind::kSse, 0, "watcher", {}}, 1000), 0u);
  room.heartbeat("hb", std::nullopt, 1000);  // lastActive = 1000
  auto refuser = std::make_shared<Refuser>();
  ASSERT_NE(room.subscribe(Joiner{refuser, StreamKind::kSse, 0, {}, {}}, 1000), 0u);
  refuser->refuse = true;
  watcher->types.clear();
  watcher->jsons.clear();

  // 100 s later a signed post locks the room; "hb" is then 100 s old and hidden (§5.2).
  IncomingMessage m = signed_msg();
  m.signed_only = true;
  ASSERT_FALSE(post_to_room(room, m, "agent", verifier, 101'000).refusal.has_value());
  ASSERT_GE(watcher->types.size(), 2u);
  ASSERT_EQ(watcher->types[0], "locked");
  ASSERT_EQ(watcher->types[1], "presence");
  EXPECT_EQ(refuser->drops, 1);
  auto presence = json::parse(watcher->jsons[1]).as_object();
  for (const auto& p : presence.at("participants").as_array()) {
    EXPECT_NE(p.as_object().at("name").as_string(), "hb");
  }
}

}  // namespace
}  // namespace b2b::core
