// ROOMS.md §2 (room model), §4 (events), §5 (presence), §6.2–6.4 (streams and waits),
// §18 (atomic steps) and §20.15/§20.17 (slow consumers, per-room byte cap) for core::Room.
#include "core/room.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/byte_budget.h"
#include "core/metrics.h"
#include "core/relay_limits.h"
#include "room_fakes.h"

namespace b2b::core {
namespace {
namespace json = boost::json;

using namespace room_fakes;  // NOLINT(google-build-using-namespace)

class RoomTest : public ::testing::Test {
 protected:
  static RelayLimits small_limits() {
    RelayLimits l;
    l.room_buffer_max = 5;
    l.room_buffer_max_age_ms = 100'000;
    l.room_max_bytes = 10 * 516;  // ten 4-char ciphertexts
    l.global_max_bytes = 1'000'000;
    l.heartbeat_visible_ms = 60'000;
    l.heartbeats_per_room_max = 3;
    return l;
  }

  std::shared_ptr<FakeSubscriber> join(StreamKind kind, int64_t now,
                                       std::optional<std::string> name = std::nullopt,
                                       int64_t after = 0, uint64_t* id_out = nullptr) {
    auto s = std::make_shared<FakeSubscriber>();
    uint64_t id = room.subscribe(Joiner{s, kind, after, std::move(name), std::nullopt}, now);
    EXPECT_NE(id, 0u);
    if (id_out) *id_out = id;
    return s;
  }

  MessagePtr post(int64_t now, MessageDraft d = draft()) {
    auto r = room.append(std::move(d), now);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().error);
    return r.ok() ? r.value() : nullptr;
  }

  RelayLimits limits = small_limits();
  ByteBudget budget{limits.global_max_bytes};
  Metrics metrics;
  Room room{"ROOM01", 1000, 1000, limits, budget, metrics};
};

// --- sequence numbers and the buffer (§2.4, §2.6, §2.7) --------------------------------

TEST_F(RoomTest, SeqStartsAtFirstSeqAndIncrementsByOne) {
  EXPECT_EQ(room.last_seq(), 0);  // §2.4: empty buffer reports 0, never nextSeq-1
  EXPECT_EQ(room.next_seq(), 1000);
  auto a = post(5000);
  auto b = post(5000);
  auto c = post(9000);
  EXPECT_EQ(a->seq, 1000);
  EXPECT_EQ(b->seq, 1001);
  EXPECT_EQ(c->seq, 1002);
  EXPECT_EQ(a->ts, 5000);  // ts is acceptance time, independent of seq
  EXPECT_EQ(c->ts, 9000);
  EXPECT_EQ(room.last_seq(), 1002);
  EXPECT_EQ(room.next_seq(), 1003);
}

TEST_F(RoomTest, RefusedAppendDoesNotBurnASeq) {
  std::string big(limits.room_max_bytes, 'A');
  auto r = room.append(draft(big), 2000);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(room.next_seq(), 1000);
  EXPECT_EQ(post(2000)->seq, 1000);
}

TEST_F(RoomTest, CountCapDropsFromTheFront) {
  for (int i = 0; i < 7; ++i) post(2000);
  auto all = room.messages_after(0, 100);
  ASSERT_EQ(all.size(), 5u);
  EXPECT_EQ(all.front()->seq, 1002);
  EXPECT_EQ(all.back()->seq, 1006);
  EXPECT_EQ(budget.used(), 5 * (4 + 512));  // dropped messages released their bytes
}

TEST_F(RoomTest, AgeLimitDropsOldMessages) {
  post(2000);
  post(50'000);
  room.prune(2000 + limits.room_buffer_max_age_ms);  // ts == now - max_age: kept
  EXPECT_EQ(room.messages_after(0, 10).size(), 2u);
  room.prune(2001 + limits.room_buffer_max_age_ms);  // ts < now - max_age: dropped
  auto left = room.messages_after(0, 10);
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0]->ts, 50'000);
  EXPECT_EQ(budget.used(), 516);
}

TEST_F(RoomTest, TtlExpiryDropsAnywhereInTheBuffer) {
  post(2000);                     // no ttl
  post(2000, ttl_draft(30'000));  // expires at 32000
  post(2000);                     // no ttl
  post(2000, ttl_draft(-5));      // non-positive ttl never expires
  room.prune(31'999);
  EXPECT_EQ(room.messages_after(0, 10).size(), 4u);
  room.prune(32'000);  // ts + ttl <= now
  auto left = room.messages_after(0, 10);
  ASSERT_EQ(left.size(), 3u);
  EXPECT_EQ(left[0]->seq, 1000);
  EXPECT_EQ(left[1]->seq, 1002);
  EXPECT_EQ(left[2]->seq, 1003);
  EXPECT_EQ(budget.used(), 3 * 516);
  EXPECT_EQ(room.status(32'000).recent_count, 3);
}

TEST_F(RoomTest, AppendPrunesExpiredMessages) {
  post(2000, ttl_draft(30'000));
  post(40'000);
  auto left = room.messages_after(0, 10);
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0]->seq, 1001);
}

// The TTL pass is skipped until the earliest expiry is due; a later message with a shorter
// TTL must bring that time forward, and messages that left from the front must not hide one.
TEST_F(RoomTest, ShorterTtlPostedLaterStillExpiresOnTime) {
  post(2000, ttl_draft(100'000));  // expires at 102000
  post(3000, ttl_draft(30'000));   // expires at 33000, earlier
  room.prune(32'999);
  EXPECT_EQ(room.messages_after(0, 10).size(), 2u);
  room.prune(33'000);
  auto left = room.messages_after(0, 10);
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0]->seq, 1000);
  room.prune(102'000);
  EXPECT_TRUE(room.messages_after(0, 10).empty());
  EXPECT_EQ(budget.used(), 0);
}

TEST_F(RoomTest, TtlMessageBehindOnesDroppedByTheCountCapStillExpires) {
  post(2000, ttl_draft(30'000));  // expires at 32000; pushed out by the count cap below
  post(2000, ttl_draft(60'000));  // expires at 62000
  for (int i = 0; i < 4; ++i) post(2000);
  ASSERT_EQ(room.messages_after(0, 10).size(), 5u);
  room.prune(32'000);  // the earliest expiry left with its message: nothing else is due yet
  EXPECT_EQ(room.messages_after(0, 10).size(), 5u);
  room.prune(62'000);
  EXPECT_EQ(room.messages_after(0, 10).size(), 4u);
}

TEST_F(RoomTest, MessagesAfterFiltersAndLimits) {
  for (int i = 0; i < 5; ++i) post(2000);
  auto after = room.messages_after(1001, 100);
  ASSERT_EQ(after.size(), 3u);
  EXPECT_EQ(after[0]->seq, 1002);
  auto limited = room.messages_after(0, 2);
  ASSERT_EQ(limited.size(), 2u);
  EXPECT_EQ(limited[1]->seq, 1001);
  EXPECT_TRUE(room.messages_after(1004, 100).empty());
  EXPECT_EQ(room.messages_after(-1, 100).size(), 5u);
}

TEST_F(RoomTest, PerRoomByteCapTrimsTheOldestMessages) {
  for (int i = 0; i < 4; ++i) post(2000, draft(std::string(520, 'A')));  // 4 * 1032 of 5160
  const int64_t first = room.messages_after(0, 100).front()->seq;
  EXPECT_FALSE(room.check_budget(521).has_value());          // trimming makes room: no refusal
  auto r = room.append(draft(std::string(521, 'A')), 2000);  // needs 1033: the oldest goes
  ASSERT_TRUE(r.ok());
  auto all = room.messages_after(0, 100);
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all.front()->seq, first + 1);
  EXPECT_EQ(all.back()->seq, r.value()->seq);
  // Only a message larger than the whole cap is refused, with the room's text.
  auto err = room.check_budget(limits.room_max_bytes);
  ASSERT_TRUE(err.has_value());
  EXPECT_EQ(err->error, "room buffer full \xE2\x80\x94 try again shortly");
}

TEST(RoomBudget, GlobalBudgetIsSharedAndRefusesWithGlobalText) {
  RelayLimits limits;
  limits.global_max_bytes = 3 * 516;
  ByteBudget budget(limits.global_max_bytes);
  Metrics metrics;
  Room a("ROOMAA", 0, 0, limits, budget, metrics);
  Room b("ROOMBB", 0, 0, limits, budget, metrics);
  MessageDraft d;
  d.ciphertext = "QQ==";
  d.nonce = kNonce;
  ASSERT_TRUE(a.append(d, 1).ok());
  ASSERT_TRUE(a.append(d, 1).ok());
  ASSERT_TRUE(b.append(d, 1).ok());
  EXPECT_EQ(budget.used(), 3 * 516);
  auto err = b.check_budget(4);
  ASSERT_TRUE(err.has_value());
  EXPECT_EQ(err->error, "global room buffer full \xE2\x80\x94 try again shortly");
  auto r = a.append(d, 1);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().error, "global room buffer full \xE2\x80\x94 try again shortly");
  EXPECT_EQ(a.next_seq(), 2);
}

TEST(RoomBudget, DestroyingARoomReleasesItsBytes) {
  RelayLimits limits;
  ByteBudget budget(limits.global_max_bytes);
  Metrics metrics;
  {
    Room r("ROOMAA", 0, 0, limits, budget, metrics);
    MessageDraft d;
    d.ciphertext = std::string(100, 'A');
    d.nonce = kNonce;
    ASSERT_TRUE(r.append(d, 1).ok());
    EXPECT_EQ(budget.used(), 612);
  }
  EXPECT_EQ(budget.used(), 0);
}

// --- seq reservations across restarts (§20.8) ------------------------------------------

// Counts reservations and waits for durability.
class CountingReservations : public SeqReservations {
 public:
  int64_t floor_for(std::string_view) override { return 0; }
  void reserve(std::string_view, int64_t up_to) override { reserved.push_back(up_to); }
  void await_durable() override { ++awaits; }
  std::vector<int64_t> reserved;
  int awaits = 0;
};

TEST(RoomSeqReservations, SeqsAtOrBelowTheClockNeverWaitForTheStore) {
  RelayLimits limits;
  ByteBudget budget(limits.global_max_bytes);
  Metrics metrics;
  CountingReservations res;
  Room room("ROOMAA", 5000, 5000, limits, budget, metrics, &res);
  ASSERT_EQ(res.reserved, (std::vector<int64_t>{5000 + SeqReservations::kBlock}));
  MessageDraft d;
  d.ciphertext = "QQ==";
  d.nonce = kNonce;
  for (int64_t now = 5000; now < 5100; ++now) ASSERT_TRUE(room.append(d, now).ok());
  EXPECT_EQ(res.awaits, 0);
}

TEST(RoomSeqReservations, ABurstAheadOfTheClockWaitsOnceForTheReservation) {
  RelayLimits limits;
  ByteBudget budget(limits.global_max_bytes);
  Metrics metrics;
  CountingReservations res;
  Room room("ROOMAA", 5000, 5000, limits, budget, metrics, &res);
  MessageDraft d;
  d.ciphertext = "QQ==";
  d.nonce = kNonce;
  ASSERT_TRUE(room.append(d, 5000).ok());  // seq 5000 = the clock: safe
  EXPECT_EQ(res.awaits, 0);
  // Seq 5001 at ms 5000 could be handed out again by a room restarted at ms 5001.
  for (int i = 0; i < 300; ++i) ASSERT_TRUE(room.append(d, 5000).ok());
  EXPECT_EQ(res.awaits, 1);
  EXPECT_EQ(room.next_seq(), 5301);
}

// --- subscribe: replay, ready, presence (§4.2, §6.2, §6.3, §18.2) -----------------------

TEST_F(RoomTest, SseSubscribeReplaysAfterThenReadyThenPresence) {
  for (int i = 0; i < 3; ++i) post(2000);
  auto s = join(StreamKind::kSse, 3000, "listener", /*after=*/1000);
  ASSERT_EQ(s->types(), (std::vector<std::string>{"message", "message", "ready", "presence"}));
  EXPECT_EQ(s->at(0).at("seq").as_int64(), 1001);
  EXPECT_EQ(s->at(1).at("seq").as_int64(), 1002);
  EXPECT_TRUE(s->events[0].replay);
  EXPECT_TRUE(s->events[2].replay);   // ready is part of the replay
  EXPECT_FALSE(s->events[3].replay);  // presence is a live broadcast
  auto ready = s->at(2);
  EXPECT_EQ(ready.at("roomId").as_string(), "ROOM01");
  EXPECT_EQ(ready.at("size").as_int64(), 1);
  EXPECT_EQ(ready.at("last_seq").as_int64(), 1002);
  EXPECT_TRUE(ready.at("participants").as_array().empty());  // never lists the joiner
  EXPECT_EQ(ready.at("signed_only").as_bool(), false);
  auto presence = s->at(3);
  EXPECT_EQ(presence.at("size").as_int64(), 1);
  EXPECT_EQ(names_of(presence), std::vector<std::string>{"listener"});
  EXPECT_EQ(participant_names(presence), std::vector<std::string>{"listener"});
}

TEST_F(RoomTest, SseReadyLastSeqIsZeroForEmptyBufferAndAfterFiltersEverything) {
  auto s = join(StreamKind::kSse, 3000);
  EXPECT_EQ(s->types(), (std::vector<std::string>{"ready", "presence"}));
  EXPECT_EQ(s->at(0).at("last_seq").as_int64(), 0);

  post(3000);
  auto t = join(StreamKind::kSse, 3000, std::nullopt, /*after=*/5000);
  EXPECT_EQ(t->types(), (std::vector<std::string>{"ready", "presence"}));
  EXPECT_EQ(t->at(0).at("last_seq").as_int64(), 1000);  // newest buffered, not > after
}

TEST_F(RoomTest, WsSubscribeReplaysEverythingAndReadyHasNoLastSeq) {
  post(2000);
  post(2000);
  auto s = join(StreamKind::kWebSocket, 3000, std::nullopt, /*after=*/1001);  // ignored
  ASSERT_EQ(s->types(), (std::vector<std::string>{"message", "message", "ready", "presence"}));
  auto ready = s->at(2);
  EXPECT_FALSE(ready.contains("last_seq"));
  EXPECT_EQ(ready.at("size").as_int64(), 1);
  EXPECT_TRUE(names_of(s->at(3)).empty());  // WS has no name until hello
  EXPECT_EQ(s->at(3).at("size").as_int64(), 1);
}

TEST_F(RoomTest, ReadySizeIncludesJoinerAndParticipantsExcludeIt) {
  auto a = join(StreamKind::kSse, 2000, "alice");
  auto b = join(StreamKind::kSse, 2500, "bob");
  auto ready = b->at(0);
  EXPECT_EQ(ready.at("size").as_int64(), 2);
  EXPECT_EQ(participant_names(ready), std::vector<std::string>{"alice"});
  // Everybody (including the joiner) gets the presence broadcast.
  auto pa = a->last("presence");
  auto pb = b->last("presence");
  EXPECT_EQ(pa, pb);
  EXPECT_EQ(pa.at("size").as_int64(), 2);
  EXPECT_EQ(names_of(pa), (std::vector<std::string>{"alice", "bob"}));
  EXPECT_EQ(room.subscriber_count(), 2u);
  EXPECT_EQ(room.status(2500).participants, 2);
}

TEST_F(RoomTest, SubscribeBumpsActivityAndPrunes) {
  post(2000, ttl_draft(30'000));
  auto s = join(StreamKind::kSse, 40'000);
  EXPECT_EQ(s->types(), (std::vector<std::string>{"ready", "presence"}));  // expired: not replayed
  EXPECT_EQ(room.last_active_ms(), 40'000);
}

TEST_F(RoomTest, FailedReplayLeavesTheSubscriberOut) {
  post(2000);
  post(2000);
  auto other = join(StreamKind::kSse, 2000);
  auto s = std::make_shared<FakeSubscriber>();
  s->fail_after = 1;  // the second replayed message is refused
  s->failure = Delivery::kClosed;
  uint64_t id = room.subscribe(Joiner{s, StreamKind::kSse, 0, "x", std::nullopt}, 3000);
  EXPECT_EQ(id, 0u);
  EXPECT_EQ(room.subscriber_count(), 1u);
  EXPECT_EQ(other->count("presence"), 1u);  // no presence for the failed joiner
  EXPECT_EQ(room.last_active_ms(), 2000);

  auto t = std::make_shared<FakeSubscriber>();
  t->fail_after = 2;  // replay succeeds, ready refused
  EXPECT_EQ(room.subscribe(Joiner{t, StreamKind::kSse, 0, "y", std::nullopt}, 3000), 0u);
  EXPECT_EQ(room.subscriber_count(), 1u);
}

TEST_F(RoomTest, LiveMessagesReachEverySubscriberIncludingThePoster) {
  auto a = join(StreamKind::kSse, 2000);
  auto b = join(StreamKind::kWebSocket, 2000);
  auto m = post(2500);
  auto ma = a->last("message");
  EXPECT_EQ(ma.at("seq").as_int64(), m->seq);
  EXPECT_EQ(b->last("message"), ma);
  EXPECT_FALSE(a->events.back().replay);
  EXPECT_EQ(metrics.messages_delivered.load(), 2u);
  EXPECT_EQ(room.last_active_ms(), 2500);
}

TEST_F(RoomTest, MemberIdsAreNonZeroAndDistinct) {
  uint64_t a = 0, b = 0;
  join(StreamKind::kSse, 2000, std::nullopt, 0, &a);
  join(StreamKind::kSse, 2000, std::nullopt, 0, &b);
  EXPECT_NE(a, 0u);
  EXPECT_NE(b, 0u);
  EXPECT_NE(a, b);
}

// --- unsubscribe, hello, touch, heartbeat (§4.3, §4.4, §5, §6.3, §6.7) ------------------

TEST_F(RoomTest, UnsubscribeBroadcastsPresenceAndBumpsActivity) {
  uint64_t id_a = 0;
  auto a = join(StreamKind::kSse, 2000, "alice", 0, &id_a);
  auto b = join(StreamKind::kSse, 2000, "bob");
  room.unsubscribe(id_a, 7000);
  EXPECT_EQ(room.subscriber_count(), 1u);
  EXPECT_EQ(room.last_active_ms(), 7000);
  auto p = b->last("presence");
  EXPECT_EQ(p.at("size").as_int64(), 1);
  EXPECT_EQ(names_of(p), std::vector<std::string>{"bob"});
  const auto a_events = a->events.size();
  post(8000);
  EXPECT_EQ(a->events.size(), a_events);  // no longer delivered to
  // Unknown/duplicate ids are ignored.
  const auto b_events = b->events.size();
  room.unsubscribe(id_a, 9000);
  EXPECT_EQ(b->events.size(), b_events);
  EXPECT_EQ(room.last_active_ms(), 8000);
}

TEST_F(RoomTest, FirstHelloSetsNameWithoutRename) {
  uint64_t id = 0;
  auto s = join(StreamKind::kWebSocket, 2000, std::nullopt, 0, &id);
  s->events.clear();
  room.hello(id, "alice", BoxPubUpdate{true, "KEY1"}, 3000);
  EXPECT_EQ(s->types(), std::vector<std::string>{"presence"});
  auto p = s->at(0);
  EXPECT_EQ(names_of(p), std::vector<std::string>{"alice"});
  auto part = p.at("participants").as_array().at(0).as_object();
  EXPECT_EQ(part.at("box_pub").as_string(), "KEY1");
  EXPECT_EQ(room.last_active_ms(), 2000);  // §2.2: hello does not bump lastActive
}

TEST_F(RoomTest, HelloWithSameNameOnlyBroadcastsPresence) {
  uint64_t id = 0;
  auto s = join(StreamKind::kWebSocket, 2000, std::nullopt, 0, &id);
  room.hello(id, "alice", BoxPubUpdate{}, 3000);
  s->events.clear();
  room.hello(id, "alice", BoxPubUpdate{}, 3100);
  EXPECT_EQ(s->types(), std::vector<std::string>{"presence"});
}

TEST_F(RoomTest, HelloWithNewNameBroadcastsRenameThenPresence) {
  uint64_t id = 0;
  auto other = join(StreamKind::kSse, 2000, "watcher");
  auto s = join(StreamKind::kWebSocket, 2000, std::nullopt, 0, &id);
  room.hello(id, "alice", BoxPubUpdate{}, 3000);
  s->events.clear();
  other->events.clear();
  room.hello(id, "alicia", BoxPubUpdate{}, 3100);
  ASSERT_EQ(other->types(), (std::vector<std::string>{"rename", "presence"}));
  EXPECT_EQ(s->types(), other->types());
  auto rename = other->at(0);
  EXPECT_EQ(rename.at("from").as_string(), "alice");
  EXPECT_EQ(rename.at("to").as_string(), "alicia");
  EXPECT_EQ(rename.size(), 3u);
  EXPECT_EQ(names_of(other->at(1)), (std::vector<std::string>{"watcher", "alicia"}));
}

TEST_F(RoomTest, HelloBoxPubIsOnlyTouchedWhenPresent) {
  uint64_t id = 0;
  auto s = join(StreamKind::kWebSocket, 2000, std::nullopt, 0, &id);
  auto box_of = [&]() -> std::optional<std::string> {
    auto p = s->last("presence").at("participants").as_array().at(0).as_object();
    if (!p.contains("box_pub")) return std::nullopt;
    return std::string(p.at("box_pub").as_string());
  };
  room.hello(id, "alice", BoxPubUpdate{true, "KEY1"}, 3000);
  EXPECT_EQ(box_of(), "KEY1");
  room.hello(id, "alice", BoxPubUpdate{false, std::nullopt}, 3000);  // absent: kept
  EXPECT_EQ(box_of(), "KEY1");
  room.hello(id, "bob", BoxPubUpdate{false, std::nullopt}, 3000);  // rename keeps key
  EXPECT_EQ(box_of(), "KEY1");
  room.hello(id, "bob", BoxPubUpdate{true, "KEY2"}, 3000);
  EXPECT_EQ(box_of(), "KEY2");
  room.hello(id, "bob", BoxPubUpdate{true, std::nullopt}, 3000);  // null: cleared
  EXPECT_EQ(box_of(), std::nullopt);
}

TEST_F(RoomTest, HelloForUnknownMemberIsIgnored) {
  auto s = join(StreamKind::kWebSocket, 2000);
  const auto n = s->events.size();
  room.hello(9999, "ghost", BoxPubUpdate{}, 3000);
  EXPECT_EQ(s->events.size(), n);
}

TEST_F(RoomTest, TouchRefreshesWsLastSeen) {
  uint64_t id = 0;
  auto s = join(StreamKind::kWebSocket, 2000, std::nullopt, 0, &id);
  room.hello(id, "alice", BoxPubUpdate{}, 2000);
  // WS last_seen is not refreshed by server writes (§5.1) ...
  post(7000);
  room.heartbeat("hb", std::nullopt, 7000);
  auto p = s->last("presence").at("participants").as_array().at(0).as_object();
  EXPECT_EQ(p.at("last_seen_ms_ago").as_int64(), 5000);
  // ... only by client frames.
  room.touch(id, 6500);
  room.heartbeat("hb", std::nullopt, 7000);
  p = s->last("presence").at("participants").as_array().at(0).as_object();
  EXPECT_EQ(p.at("last_seen_ms_ago").as_int64(), 500);
  EXPECT_EQ(room.last_active_ms(), 7000);
}

TEST_F(RoomTest, SseLastSeenIsRefreshedByServerWrites) {
  auto a = join(StreamKind::kSse, 2000, "alice");
  auto b = join(StreamKind::kSse, 2000, "bob");
  post(9000);  // written to both at 9000
  room.heartbeat("hb", std::nullopt, 9400);
  auto parts = b->last("presence").at("participants").as_array();
  ASSERT_EQ(parts.size(), 3u);
  // The presence broadcast itself is the write at 9400, but last_seen_ms_ago is computed
  // before it is sent: the previous write was at 9000.
  EXPECT_EQ(parts.at(0).as_object().at("last_seen_ms_ago").as_int64(), 400);
  EXPECT_EQ(parts.at(1).as_object().at("last_seen_ms_ago").as_int64(), 400);
  EXPECT_EQ(parts.at(2).as_object().at("name").as_string(), "hb");
  EXPECT_EQ(parts.at(2).as_object().at("last_seen_ms_ago").as_int64(), 0);
}

TEST_F(RoomTest, HeartbeatBroadcastsPresenceAndHidesAfterWindow) {
  auto s = join(StreamKind::kSse, 2000, "alice");
  room.heartbeat("helper", std::string("HKEY"), 3000);
  auto p = s->last("presence");
  EXPECT_EQ(p.at("size").as_int64(), 1);                      // heartbeats not counted
  EXPECT_EQ(names_of(p), std::vector<std::string>{"alice"});  // nor in names
  EXPECT_EQ(participant_names(p), (std::vector<std::string>{"alice", "helper"}));
  auto h = p.at("participants").as_array().at(1).as_object();
  EXPECT_EQ(h.at("box_pub").as_string(), "HKEY");
  EXPECT_EQ(room.last_active_ms(), 3000);
  EXPECT_EQ(room.status(3000).participants, 1);

  // Stream subscriber wins a name collision.
  room.heartbeat("alice", std::nullopt, 4000);
  EXPECT_EQ(participant_names(s->last("presence")), (std::vector<std::string>{"alice", "helper"}));

  // 60 s after its last heartbeat the entry is still shown; after that it is gone.
  room.heartbeat("other", std::nullopt, 63'000);
  EXPECT_EQ(participant_names(s->last("presence")),
            (std::vector<std::string>{"alice", "helper", "other"}));
  room.heartbeat("other", std::nullopt, 63'001);
  EXPECT_EQ(participant_names(s->last("presence")), (std::vector<std::string>{"alice", "other"}));
}

TEST_F(RoomTest, HeartbeatsPerRoomAreBounded) {
  auto s = join(StreamKind::kSse, 1000);
  room.heartbeat("h1", std::nullopt, 1000);
  room.heartbeat("h2", std::nullopt, 1001);
  room.heartbeat("h3", std::nullopt, 1002);
  room.heartbeat("h1", std::nullopt, 1003);  // refresh: h2 is now least recently seen
  room.heartbeat("h4", std::nullopt, 1004);
  EXPECT_EQ(participant_names(s->last("presence")), (std::vector<std::string>{"h1", "h3", "h4"}));
}

// --- slow consumers and closed streams (§20.15) ----------------------------------------

TEST_F(RoomTest, OverLimitSubscriberIsDroppedCountedAndOthersToldOfIt) {
  auto a = join(StreamKind::kSse, 2000, "alice");
  auto slow = join(StreamKind::kSse, 2000, "slow");
  auto c = join(StreamKind::kWebSocket, 2000);
  slow->live_result = Delivery::kOverLimit;
  post(3000);
  EXPECT_EQ(slow->slow_drops, 1);
  EXPECT_EQ(metrics.slow_consumers_dropped.load(), 1u);
  EXPECT_EQ(room.subscriber_count(), 2u);
  // The member after the slow one still got the message: fan-out is not blocked.
  EXPECT_EQ(c->count("message"), 1u);
  auto p = a->last("presence");
  EXPECT_EQ(p.at("size").as_int64(), 2);
  EXPECT_EQ(names_of(p), std::vector<std::string>{"alice"});
  // Never delivered to again.
  const int attempts = slow->attempts;
  post(3001);
  EXPECT_EQ(slow->attempts, attempts);
  EXPECT_EQ(slow->slow_drops, 1);
}

TEST_F(RoomTest, ClosedSubscriberIsRemovedWithoutCounting) {
  auto a = join(StreamKind::kSse, 2000, "alice");
  auto gone = join(StreamKind::kSse, 2000, "gone");
  gone->live_result = Delivery::kClosed;
  post(3000);
  EXPECT_EQ(gone->slow_drops, 0);
  EXPECT_EQ(metrics.slow_consumers_dropped.load(), 0u);
  EXPECT_EQ(room.subscriber_count(), 1u);
  EXPECT_EQ(names_of(a->last("presence")), std::vector<std::string>{"alice"});
  EXPECT_EQ(a->types().back(), "presence");
}

TEST_F(RoomTest, DeliveredMetricCountsOnlyQueuedDeliveries) {
  join(StreamKind::kSse, 2000);
  auto slow = join(StreamKind::kSse, 2000);
  auto closed = join(StreamKind::kSse, 2000);
  slow->live_result = Delivery::kOverLimit;
  closed->live_result = Delivery::kClosed;
  post(3000);
  EXPECT_EQ(metrics.messages_delivered.load(), 1u);
}

TEST_F(RoomTest, SlowConsumerDuringPresenceBroadcastIsDropped) {
  auto slow = join(StreamKind::kSse, 2000, "slow");
  slow->live_result = Delivery::kOverLimit;
  auto b = join(StreamKind::kSse, 2100, "bob");  // presence to `slow` fails
  EXPECT_EQ(slow->slow_drops, 1);
  EXPECT_EQ(room.subscriber_count(), 1u);
  EXPECT_EQ(names_of(b->last("presence")), std::vector<std::string>{"bob"});
}

TEST_F(RoomTest, SlowConsumerDroppedByItsOwnRenameIsHandled) {
  uint64_t id = 0;
  auto other = join(StreamKind::kSse, 2000, "watcher");
  auto s = join(StreamKind::kWebSocket, 2000, std::nullopt, 0, &id);
  room.hello(id, "alice", BoxPubUpdate{}, 2000);
  s->live_result = Delivery::kOverLimit;
  room.hello(id, "alicia", BoxPubUpdate{true, "K"}, 3000);
  EXPECT_EQ(s->slow_drops, 1);
  EXPECT_EQ(room.subscriber_count(), 1u);
  EXPECT_EQ(other->last("rename").at("to").as_string(), "alicia");
  EXPECT_EQ(names_of(other->last("presence")), std::vector<std::string>{"watcher"});
}

TEST_F(RoomTest, ReleaseSubscribersHandsEveryoneBack) {
  auto a = join(StreamKind::kSse, 2000);
  auto b = join(StreamKind::kWebSocket, 2000);
  auto out = room.release_subscribers();
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].get(), a.get());
  EXPECT_EQ(out[1].get(), b.get());
  EXPECT_EQ(room.subscriber_count(), 0u);
  const auto n = a->events.size();
  post(3000);
  EXPECT_EQ(a->events.size(), n);
}

// --- waiters (§6.4, §18.3, §18.4) ------------------------------------------------------

TEST_F(RoomTest, WaitersAreOfferedTheMessageAfterItIsBuffered) {
  auto w = std::make_shared<FakeWaiter>();
  room.park(w, 4000);
  EXPECT_EQ(room.last_active_ms(), 4000);  // a wait that parks bumps lastActive
  EXPECT_EQ(room.waiter_count(), 1u);
  auto m = post(5000);
  ASSERT_EQ(w->offers.size(), 1u);
  EXPECT_EQ(w->offers[0], m);
  EXPECT_EQ(w->last_seqs[0], m->seq);  // the message is already in the buffer
  EXPECT_EQ(room.waiter_count(), 0u);
  post(5001);
  EXPECT_EQ(w->offers.size(), 1u);  // done waiters are forgotten
}

TEST_F(RoomTest, WaiterThatDeclinesStaysParked) {
  auto stay = std::make_shared<FakeWaiter>(/*done=*/false);
  auto done = std::make_shared<FakeWaiter>(/*done=*/true);
  room.park(stay, 4000);
  room.park(done, 4000);
  post(5000);
  EXPECT_EQ(room.waiter_count(), 1u);
  post(5001);
  EXPECT_EQ(stay->offers.size(), 2u);
  EXPECT_EQ(done->offers.size(), 1u);
}

TEST_F(RoomTest, UnparkRemovesOnlyThatWaiter) {
  auto a = std::make_shared<FakeWaiter>();
  auto b = std::make_shared<FakeWaiter>();
  room.park(a, 4000);
  room.park(b, 4000);
  room.unpark(a.get());
  EXPECT_EQ(room.waiter_count(), 1u);
  post(5000);
  EXPECT_TRUE(a->offers.empty());
  EXPECT_EQ(b->offers.size(), 1u);
}

TEST_F(RoomTest, ReleaseWaitersEmptiesTheRoom) {
  auto a = std::make_shared<FakeWaiter>();
  room.park(a, 4000);
  auto out = room.release_waiters();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].get(), a.get());
  EXPECT_EQ(room.waiter_count(), 0u);
  post(5000);
  EXPECT_TRUE(a->offers.empty());
}

TEST_F(RoomTest, RefusedAppendWakesNobody) {
  auto w = std::make_shared<FakeWaiter>();
  auto s = join(StreamKind::kSse, 2000);
  room.park(w, 4000);
  ASSERT_FALSE(room.append(draft(std::string(limits.room_max_bytes, 'A')), 5000).ok());
  EXPECT_TRUE(w->offers.empty());
  EXPECT_EQ(s->count("message"), 0u);
}

// --- lock, status, eviction (§2.3, §6.6, §7.3) -----------------------------------------

TEST_F(RoomTest, LockBroadcastsLockedOnceAndShowsInReadyAndStatus) {
  auto s = join(StreamKind::kSse, 2000);
  EXPECT_FALSE(room.signed_only());
  room.lock_signed_only(2000);
  room.lock_signed_only(2000);  // only false -> true announces
  EXPECT_TRUE(room.signed_only());
  EXPECT_EQ(s->count("locked"), 1u);
  auto locked = s->last("locked");
  EXPECT_EQ(locked.size(), 1u);
  EXPECT_TRUE(room.status(2000).signed_only);
  auto t = join(StreamKind::kWebSocket, 2000);
  EXPECT_TRUE(t->last("ready").at("signed_only").as_bool());
}

TEST_F(RoomTest, StatusReportsCountsAndTimes) {
  auto s = join(StreamKind::kSse, 3000);
  post(4000);
  post(4000);
  auto st = room.status(10'999);
  EXPECT_EQ(st.participants, 1);
  EXPECT_EQ(st.recent_count, 2);
  EXPECT_EQ(st.last_seq, 1001);
  EXPECT_EQ(st.age_seconds, 9);   // created at 1000
  EXPECT_EQ(st.idle_seconds, 6);  // last active at 4000
  EXPECT_FALSE(st.signed_only);
  auto early = room.status(500);  // clock behind creation: clamped
  EXPECT_EQ(early.age_seconds, 0);
  EXPECT_EQ(early.idle_seconds, 0);
}

TEST_F(RoomTest, EvictableOnlyWhenEmptyAndIdlePastGrace) {
  const int64_t grace = 30'000;
  EXPECT_FALSE(room.evictable(1000 + grace, grace));  // not strictly past grace
  EXPECT_TRUE(room.evictable(1001 + grace, grace));

  uint64_t id = 0;
  join(StreamKind::kSse, 2000, std::nullopt, 0, &id);
  EXPECT_FALSE(room.evictable(1'000'000, grace));
  room.unsubscribe(id, 2000);
  EXPECT_TRUE(room.evictable(2001 + grace, grace));

  auto w = std::make_shared<FakeWaiter>();
  room.park(w, 3000);
  EXPECT_FALSE(room.evictable(1'000'000, grace));
  room.unpark(w.get());
  EXPECT_TRUE(room.evictable(3001 + grace, grace));
  EXPECT_FALSE(room.evictable(3000 + grace, grace));
}

TEST_F(RoomTest, BumpActivityMovesLastActive) {
  room.bump_activity(12'345);
  EXPECT_EQ(room.last_active_ms(), 12'345);
  EXPECT_FALSE(room.evictable(12'345 + 30'000, 30'000));
}

}  // namespace
}  // namespace b2b::core
