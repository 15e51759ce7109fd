// ROOMS.md §2.2/§2.3 (implicit creation, janitor and cap eviction), §20.8 (seq high-water
// after eviction), §20.9 (waits held on missing rooms) and §20.18 (cap eviction honours
// the idle grace) for core::RoomShard.
#include "core/room_shard.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <memory>
#include <string>
#include <vector>

#include "core/byte_budget.h"
#include "core/metrics.h"
#include "core/relay_limits.h"

namespace b2b::core {
namespace {

const std::string kNonce = std::string(32, 'A');

class FakeSubscriber : public StreamSubscriber {
 public:
  Delivery deliver(const EventPtr& event, bool) override {
    events.emplace_back(event->json());
    return Delivery::kQueued;
  }
  void drop_slow_consumer() override {}
  void close_going_away() override {}
  std::vector<std::string> events;
};

class FakeWaiter : public Waiter {
 public:
  bool offer(const MessagePtr& m, int64_t) override {
    offers.push_back(m);
    return true;
  }
  void answer_for_shutdown() override {}
  std::vector<MessagePtr> offers;
};

MessageDraft draft() {
  MessageDraft d;
  d.sender = "bot";
  d.ciphertext = "QQ==";
  d.nonce = kNonce;
  return d;
}

class RoomShardTest : public ::testing::Test {
 protected:
  static RelayLimits small_limits() {
    RelayLimits l;
    l.rooms_max = 3;
    l.room_idle_grace_ms = 30'000;
    l.room_retain_ms = 0;  // most tests evict rooms with messages after the grace alone
    l.evicted_room_memory = 100;
    return l;
  }

  Room* create(std::string_view id, int64_t now) {
    auto r = shard.get_or_create(id, now);
    EXPECT_TRUE(r.ok()) << id << ": " << (r.ok() ? "" : r.error().error);
    return r.ok() ? r.value() : nullptr;
  }

  MessagePtr post(Room* room, int64_t now) {
    auto r = room->append(draft(), now);
    EXPECT_TRUE(r.ok());
    return r.ok() ? r.value() : nullptr;
  }

  RelayLimits limits = small_limits();
  ByteBudget budget{limits.global_max_bytes};
  Metrics metrics;
  RoomCount count;
  RoomShard shard{limits, budget, metrics, count};
};

TEST_F(RoomShardTest, GetOrCreateCreatesOnceAndCounts) {
  EXPECT_EQ(shard.find("ROOM01"), nullptr);
  Room* a = create("ROOM01", 5000);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->id(), "ROOM01");
  EXPECT_EQ(a->next_seq(), 5000);  // §2.4: first seq is the creation time
  EXPECT_EQ(create("ROOM01", 6000), a);
  EXPECT_EQ(shard.find("ROOM01"), a);
  EXPECT_EQ(shard.find("room01"), nullptr);  // ids are case-sensitive
  EXPECT_EQ(shard.room_count(), 1u);
  EXPECT_EQ(count.value.load(), 1);
  EXPECT_EQ(metrics.rooms.load(), 1);
  EXPECT_EQ(metrics.rooms_created.load(), 1u);
}

TEST_F(RoomShardTest, CapRefusesWhenNoRoomIsPastItsGrace) {
  create("ROOMAA", 1000);
  create("ROOMBB", 1000);
  create("ROOMCC", 1000);
  // §20.18: idle but within the grace — not evicted.
  auto r = shard.get_or_create("ROOMDD", 31'000);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().error, "room cap reached");
  EXPECT_EQ(shard.room_count(), 3u);
  EXPECT_EQ(count.value.load(), 3);
  EXPECT_EQ(metrics.rooms_evicted.load(), 0u);
  EXPECT_EQ(shard.find("ROOMDD"), nullptr);
}

TEST_F(RoomShardTest, CapEvictsTheLeastRecentlyActiveIdleRoom) {
  Room* a = create("ROOMAA", 1000);
  Room* b = create("ROOMBB", 1000);
  Room* c = create("ROOMCC", 1000);
  b->bump_activity(2000);
  a->bump_activity(3000);
  c->bump_activity(4000);
  Room* d = create("ROOMDD", 40'000);
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(shard.find("ROOMBB"), nullptr);  // smallest lastActive
  EXPECT_NE(shard.find("ROOMAA"), nullptr);
  EXPECT_NE(shard.find("ROOMCC"), nullptr);
  EXPECT_EQ(shard.room_count(), 3u);
  EXPECT_EQ(count.value.load(), 3);
  EXPECT_EQ(metrics.rooms.load(), 3);
  EXPECT_EQ(metrics.rooms_evicted.load(), 1u);
  EXPECT_EQ(metrics.rooms_created.load(), 4u);
}

TEST_F(RoomShardTest, CapNeverEvictsRoomsWithSubscribersOrWaiters) {
  Room* a = create("ROOMAA", 1000);
  Room* b = create("ROOMBB", 1000);
  Room* c = create("ROOMCC", 1000);
  a->subscribe(Joiner{std::make_shared<FakeSubscriber>(), StreamKind::kSse, 0, {}, {}}, 1000);
  b->park(std::make_shared<FakeWaiter>(), 1000);
  auto w = std::make_shared<FakeWaiter>();
  c->park(w, 1000);
  EXPECT_FALSE(shard.get_or_create("ROOMDD", 1'000'000).ok());
  c->unpark(w.get());
  Room* d = create("ROOMDD", 1'000'000);
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(shard.find("ROOMCC"), nullptr);
  EXPECT_NE(shard.find("ROOMAA"), nullptr);
  EXPECT_NE(shard.find("ROOMBB"), nullptr);
}

TEST_F(RoomShardTest, CapIsGlobalAcrossShards) {
  RoomShard other(limits, budget, metrics, count);
  create("ROOMAA", 1000);
  create("ROOMBB", 1000);
  ASSERT_TRUE(other.get_or_create("ROOMCC", 1000).ok());
  EXPECT_EQ(count.value.load(), 3);
  auto r = other.get_or_create("ROOMDD", 1000);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().error, "room cap reached");
}

TEST_F(RoomShardTest, DestroyingAShardGivesBackItsRooms) {
  {
    RoomShard other(limits, budget, metrics, count);
    ASSERT_TRUE(other.get_or_create("ROOMXX", 1000).ok());
    ASSERT_TRUE(other.get_or_create("ROOMYY", 1000).ok());
    create("ROOMAA", 1000);
    EXPECT_EQ(count.value.load(), 3);
    EXPECT_EQ(metrics.rooms.load(), 3);
  }
  EXPECT_EQ(count.value.load(), 1);
  EXPECT_EQ(metrics.rooms.load(), 1);
}

TEST_F(RoomShardTest, JanitorEvictsIdleRoomsAndPrunesTheRest) {
  Room* idle = create("ROOMAA", 1000);
  post(idle, 1000);
  EXPECT_EQ(budget.used(), 516);
  Room* busy = create("ROOMBB", 1000);
  busy->subscribe(Joiner{std::make_shared<FakeSubscriber>(), StreamKind::kSse, 0, {}, {}}, 1000);
  MessageDraft d = draft();
  d.ttl_ms = 30'000;
  ASSERT_TRUE(busy->append(d, 1000).ok());
  EXPECT_EQ(busy->status(1000).recent_count, 1);

  shard.janitor(31'000);  // not strictly past the grace yet
  EXPECT_NE(shard.find("ROOMAA"), nullptr);
  EXPECT_EQ(busy->status(31'000).recent_count, 0);  // ttl expired and pruned

  shard.janitor(31'001);
  EXPECT_EQ(shard.find("ROOMAA"), nullptr);
  EXPECT_EQ(shard.find("ROOMBB"), busy);
  EXPECT_EQ(shard.room_count(), 1u);
  EXPECT_EQ(count.value.load(), 1);
  EXPECT_EQ(metrics.rooms_evicted.load(), 1u);
  EXPECT_EQ(budget.used(), 0);  // the evicted room's buffer was released
}

TEST_F(RoomShardTest, JanitorKeepsRoomsWithParkedWaiters) {
  Room* a = create("ROOMAA", 1000);
  a->park(std::make_shared<FakeWaiter>(), 1000);
  shard.janitor(1'000'000);
  EXPECT_EQ(shard.find("ROOMAA"), a);
}

TEST_F(RoomShardTest, RecreatedRoomStartsFresh) {
  Room* a = create("ROOMAA", 1000);
  post(a, 1000);
  a->lock_signed_only(2000);
  shard.janitor(100'000);
  ASSERT_EQ(shard.find("ROOMAA"), nullptr);
  Room* again = create("ROOMAA", 200'000);
  EXPECT_TRUE(again->signed_only());  // §20.5: the lock is remembered across the eviction
  EXPECT_EQ(again->last_seq(), 0);
  EXPECT_EQ(again->status(200'000).age_seconds, 0);
  EXPECT_EQ(again->next_seq(), 200'000);  // wall clock is ahead of the old high-water
}

TEST_F(RoomShardTest, HighWaterSurvivesEvictionOfAFastRoom) {
  // §20.8: 100 posts within one millisecond push nextSeq 100 ahead of the clock; the room
  // is evicted and re-created while the clock is still behind its old high-water.
  RelayLimits l = limits;
  l.room_idle_grace_ms = 0;
  RoomCount c;
  RoomShard s(l, budget, metrics, c);
  Room* b = s.get_or_create("ROOMBB", 1000).value();
  int64_t last = 0;
  for (int i = 0; i < 100; ++i) last = post(b, 1000)->seq;
  EXPECT_EQ(last, 1099);
  s.janitor(1001);
  ASSERT_EQ(s.find("ROOMBB"), nullptr);
  EXPECT_EQ(s.origin_for("ROOMBB", 1002).first_seq, 1100);
  Room* b2 = s.get_or_create("ROOMBB", 1002).value();
  EXPECT_GT(post(b2, 1002)->seq, last);
  EXPECT_EQ(b2->last_seq(), 1100);
  // Once the clock is ahead, it wins; unknown ids start at the clock.
  EXPECT_EQ(s.origin_for("ROOMBB", 5000).first_seq, 5000);
  EXPECT_EQ(s.origin_for("ROOMZZ", 1002).first_seq, 1002);
}

TEST_F(RoomShardTest, ARecreatedRoomRemembersWhatItsEvictedIncarnationHeld) {
  RelayLimits l = limits;
  l.room_idle_grace_ms = 0;
  RoomCount c;
  RoomShard s(l, budget, metrics, c);
  Room* empty = s.get_or_create("EMPTY1", 1000).value();
  EXPECT_EQ(empty->dropped_through(), 0);  // a brand-new room lost nothing
  Room* a = s.get_or_create("ROOMAA", 1000).value();
  int64_t last = 0;
  for (int i = 0; i < 3; ++i) last = post(a, 1000)->seq;
  EXPECT_EQ(a->dropped_through(), 0);
  s.janitor(1001);
  ASSERT_EQ(s.find("ROOMAA"), nullptr);
  EXPECT_EQ(s.remembered_lost_through("ROOMAA"), last);
  EXPECT_EQ(s.remembered_lost_through("EMPTY1"), 0);  // evicted, but it never held a message
  Room* again = s.get_or_create("ROOMAA", 1002).value();
  EXPECT_EQ(again->dropped_through(), last);
  EXPECT_EQ(s.get_or_create("EMPTY1", 1002).value()->dropped_through(), 0);
}

TEST_F(RoomShardTest, CountCapDropsAreRecordedButTtlExpiryIsNot) {
  RelayLimits l = limits;
  l.room_buffer_max = 2;
  RoomCount c;
  RoomShard s(l, budget, metrics, c);
  Room* r = s.get_or_create("ROOMCC", 1000).value();
  int64_t first = post(r, 1000)->seq;
  post(r, 1000);
  EXPECT_EQ(r->dropped_through(), 0);
  post(r, 1000);  // the count cap drops the first message
  EXPECT_EQ(r->dropped_through(), first);
  EXPECT_EQ(r->messages_after(0, 10).front()->seq, first + 1);
}

TEST_F(RoomShardTest, IdleRoomsWithMessagesAreRetainedButCapPressureStillEvictsThem) {
  RelayLimits l = limits;
  l.room_idle_grace_ms = 1'000;
  l.room_retain_ms = 60'000;
  l.rooms_max = 2;
  RoomCount c;
  RoomShard s(l, budget, metrics, c);
  Room* empty = s.get_or_create("EMPTY1", 1000).value();
  Room* full = s.get_or_create("FULL01", 1000).value();
  post(full, 1000);
  ASSERT_NE(empty, nullptr);
  s.janitor(5000);  // past the grace: the empty room goes, the one with a message stays
  EXPECT_EQ(s.find("EMPTY1"), nullptr);
  EXPECT_NE(s.find("FULL01"), nullptr);
  s.janitor(30'000);
  EXPECT_NE(s.find("FULL01"), nullptr);
  ASSERT_TRUE(s.get_or_create("OTHER1", 30'000).ok());
  // At the cap, the oldest idle room past the grace makes way, messages or not.
  ASSERT_TRUE(s.get_or_create("OTHER2", 30'001).ok());
  EXPECT_EQ(s.find("FULL01"), nullptr);
  EXPECT_GT(s.remembered_lost_through("FULL01"), 0);  // and its loss is remembered
}

TEST_F(RoomShardTest, RetainedRoomsAreEvictedAfterTheRetention) {
  RelayLimits l = limits;
  l.room_idle_grace_ms = 1'000;
  l.room_retain_ms = 60'000;
  RoomCount c;
  RoomShard s(l, budget, metrics, c);
  post(s.get_or_create("FULL01", 1000).value(), 1000);
  s.janitor(60'500);
  EXPECT_NE(s.find("FULL01"), nullptr);
  s.janitor(61'001);
  EXPECT_EQ(s.find("FULL01"), nullptr);
}

TEST_F(RoomShardTest, HighWaterSurvivesCapEviction) {
  RelayLimits l = limits;
  l.rooms_max = 1;
  l.room_idle_grace_ms = 0;
  RoomCount c;
  RoomShard s(l, budget, metrics, c);
  Room* a = s.get_or_create("ROOMAA", 1000).value();
  for (int i = 0; i < 50; ++i) post(a, 1000);
  ASSERT_TRUE(s.get_or_create("ROOMBB", 1001).ok());  // evicts ROOMAA at the cap
  ASSERT_EQ(s.find("ROOMAA"), nullptr);
  EXPECT_EQ(s.origin_for("ROOMAA", 1002).first_seq, 1050);
}

TEST_F(RoomShardTest, HighWaterMemoryIsBounded) {
  RelayLimits l = limits;
  l.evicted_room_memory = 2;
  l.room_idle_grace_ms = 0;
  RoomCount c;
  RoomShard s(l, budget, metrics, c);
  for (const char* id : {"ROOM_1", "ROOM_2", "ROOM_3"}) {
    Room* r = s.get_or_create(id, 1000).value();
    for (int i = 0; i < 10; ++i) post(r, 1000);
  }
  s.janitor(1001);
  ASSERT_EQ(s.room_count(), 0u);
  int remembered = 0;
  for (const char* id : {"ROOM_1", "ROOM_2", "ROOM_3"}) {
    remembered += s.origin_for(id, 1001).first_seq == 1010;
  }
  EXPECT_EQ(remembered, 2);
}

TEST_F(RoomShardTest, ReEvictedRoomIsRememberedLongest) {
  RelayLimits l = limits;
  l.evicted_room_memory = 2;
  l.room_idle_grace_ms = 0;
  RoomCount c;
  RoomShard s(l, budget, metrics, c);
  auto burst = [&](std::string_view id, int64_t now) {
    Room* r = s.get_or_create(id, now).value();
    int64_t last = 0;
    for (int i = 0; i < 100; ++i) last = post(r, now)->seq;
    return last;
  };
  burst("ROOM_A", 1000);                         // A: 1000..1099
  s.janitor(1001);                               // evicted order: [A]
  burst("ROOM_B", 1002);                         // B: 1002..1101
  s.janitor(1003);                               // [A, B]
  const int64_t a_last = burst("ROOM_A", 1004);  // A: 1100..1199
  s.janitor(1005);                               // A updated in place: still [A, B]
  s.get_or_create("ROOM_C", 1006).value();
  s.janitor(1007);  // [A, B, C] -> the oldest entry, A, is dropped
  // A was evicted after B, so its (newer, higher) high-water must outlive B's.
  EXPECT_GT(s.origin_for("ROOM_A", 1008).first_seq, a_last);
}

TEST_F(RoomShardTest, OrphanWaitersMoveIntoTheNewRoomAndWakeOnFirstPost) {
  auto w1 = std::make_shared<FakeWaiter>();
  auto w2 = std::make_shared<FakeWaiter>();
  shard.park_orphan("ROOMAA", w1);
  shard.park_orphan("ROOMAA", w2);
  EXPECT_EQ(shard.waiters_for("ROOMAA"), 2u);
  EXPECT_EQ(shard.waiters_for("ROOMBB"), 0u);
  EXPECT_EQ(shard.find("ROOMAA"), nullptr);  // holding a wait never creates the room
  EXPECT_EQ(shard.room_count(), 0u);

  Room* a = create("ROOMAA", 5000);
  EXPECT_EQ(a->waiter_count(), 2u);
  EXPECT_EQ(shard.waiters_for("ROOMAA"), 2u);
  EXPECT_FALSE(a->evictable(1'000'000, 0));  // parked waiters keep it alive

  auto m = post(a, 5001);
  ASSERT_EQ(w1->offers.size(), 1u);
  ASSERT_EQ(w2->offers.size(), 1u);
  EXPECT_EQ(w1->offers[0], m);
  EXPECT_EQ(shard.waiters_for("ROOMAA"), 0u);
}

TEST_F(RoomShardTest, UnparkedOrphanIsNotMoved) {
  auto w1 = std::make_shared<FakeWaiter>();
  auto w2 = std::make_shared<FakeWaiter>();
  shard.park_orphan("ROOMAA", w1);
  shard.park_orphan("ROOMAA", w2);
  shard.unpark_orphan("ROOMAA", w1.get());
  shard.unpark_orphan("ROOMZZ", w2.get());  // wrong room: no effect
  EXPECT_EQ(shard.waiters_for("ROOMAA"), 1u);
  Room* a = create("ROOMAA", 5000);
  EXPECT_EQ(a->waiter_count(), 1u);
  post(a, 5001);
  EXPECT_TRUE(w1->offers.empty());
  EXPECT_EQ(w2->offers.size(), 1u);
  shard.unpark_orphan("ROOMAA", w2.get());  // after the move: harmless
}

TEST_F(RoomShardTest, ReleaseAllReturnsRoomAndOrphanWaitersAndSubscribers) {
  Room* a = create("ROOMAA", 1000);
  auto sub = std::make_shared<FakeSubscriber>();
  a->subscribe(Joiner{sub, StreamKind::kSse, 0, {}, {}}, 1000);
  a->park(std::make_shared<FakeWaiter>(), 1000);
  shard.park_orphan("ROOMBB", std::make_shared<FakeWaiter>());
  shard.park_orphan("ROOMCC", std::make_shared<FakeWaiter>());
  EXPECT_EQ(shard.release_all_waiters().size(), 3u);
  EXPECT_EQ(shard.waiters_for("ROOMBB"), 0u);
  EXPECT_EQ(a->waiter_count(), 0u);
  auto subs = shard.release_all_subscribers();
  ASSERT_EQ(subs.size(), 1u);
  EXPECT_EQ(subs[0].get(), sub.get());
  EXPECT_EQ(a->subscriber_count(), 0u);
}

}  // namespace
}  // namespace b2b::core
