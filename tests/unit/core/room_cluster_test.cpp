// core::Room in cluster mode (api/cluster_rooms.h): messages numbered elsewhere are appended in
// order with the usual fan-out, wake-ups and caps, and presence on other nodes is merged into
// every presence event, `ready` and the status, until those nodes leave or stop refreshing.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "core/byte_budget.h"
#include "core/metrics.h"
#include "core/relay_limits.h"
#include "core/room.h"
#include "room_fakes.h"

namespace b2b::core {
namespace {

using namespace room_fakes;  // NOLINT(google-build-using-namespace)

class CountingObserver : public PresenceObserver {
 public:
  void local_presence_changed(Room&) override { ++calls; }
  int calls = 0;
};

class ClusterRoomTest : public ::testing::Test {
 protected:
  static RelayLimits limits_for_test() {
    RelayLimits l;
    l.room_buffer_max = 3;
    l.heartbeat_visible_ms = 60'000;
    return l;
  }
  std::shared_ptr<FakeSubscriber> join(int64_t now, std::optional<std::string> name) {
    auto s = std::make_shared<FakeSubscriber>();
    EXPECT_NE(room.subscribe(Joiner{s, StreamKind::kSse, 0, std::move(name), std::nullopt}, now),
              0u);
    return s;
  }
  static NodePresence there(std::vector<std::string> names, int64_t streams, int64_t expires) {
    NodePresence p;
    p.streams = streams;
    for (auto& n : names) p.members.push_back(Heartbeats::Entry{std::move(n), std::nullopt, 900});
    p.expires_ms = expires;
    return p;
  }

  RelayLimits limits = limits_for_test();
  ByteBudget budget{1'000'000};
  Metrics metrics;
  Room room{"ROOM01", 1000, 1000, limits, budget, metrics};
};

TEST_F(ClusterRoomTest, NumberedMessagesFanOutWakeWaitersAndKeepTheirSeq) {
  auto sub = join(1000, "a");
  auto waiter = std::make_shared<FakeWaiter>();
  room.park(waiter, 1000);
  room.append_numbered(make_message(draft(), 1'795'000'000'000, 1000, "id-1"), 1000);
  EXPECT_EQ(sub->last("message").at("seq").as_int64(), 1'795'000'000'000);
  EXPECT_EQ(sub->last("message").at("id").as_string(), "id-1");
  ASSERT_EQ(waiter->offers.size(), 1u);
  EXPECT_EQ(room.last_seq(), 1'795'000'000'000);
  EXPECT_EQ(room.next_seq(), 1'795'000'000'001);
  EXPECT_EQ(budget.used(), 4 + 512);
}

TEST_F(ClusterRoomTest, NumberedMessagesObeyTheCountCapAndALockFirstLocks) {
  for (int64_t seq = 10; seq < 15; ++seq)
    room.append_numbered(make_message(draft(), seq, 1000), 1000);
  auto kept = room.messages_after(0, 10);
  ASSERT_EQ(kept.size(), 3u);
  EXPECT_EQ(kept.front()->seq, 12);
  EXPECT_EQ(room.dropped_through(), 11);
  auto sub = join(1000, std::nullopt);
  room.append_numbered(make_message(draft(), 15, 1000), 1000, /*lock_first=*/true);
  EXPECT_TRUE(room.signed_only());
  auto types = sub->types();
  EXPECT_EQ(types[types.size() - 2], "locked");  // announced before the locking message
  EXPECT_EQ(types.back(), "message");
}

TEST_F(ClusterRoomTest, RemotePresenceIsMergedIntoPresenceReadyAndStatus) {
  auto local = join(1000, "here");
  room.set_remote_presence("node-b", there({"far", "here"}, 3, 60'000), 1000);
  auto p = local->last("presence");
  EXPECT_EQ(p.at("size").as_int64(), 4);  // one local stream, three on node-b
  EXPECT_EQ(names_of(p), (std::vector<std::string>{"here", "far"}));  // deduplicated
  EXPECT_EQ(participant_names(p), (std::vector<std::string>{"here", "far"}));
  EXPECT_EQ(room.status(1000).participants, 4);
  auto joiner = join(1000, "new");
  auto ready = joiner->last("ready");
  EXPECT_EQ(ready.at("size").as_int64(), 5);
  EXPECT_EQ(participant_names(ready), (std::vector<std::string>{"here", "far"}));
}

TEST_F(ClusterRoomTest, ANodeThatLeavesOrStopsRefreshingDisappears) {
  auto local = join(1000, "here");
  room.set_remote_presence("node-b", there({"b"}, 1, 5000), 1000);
  room.set_remote_presence("node-c", there({"c"}, 1, 60'000), 1000);
  EXPECT_EQ(local->last("presence").at("size").as_int64(), 3);
  room.set_remote_presence("node-c", NodePresence{}, 2000);  // node-c's last stream left
  EXPECT_EQ(names_of(local->last("presence")), (std::vector<std::string>{"here", "b"}));
  const auto events = local->count("presence");
  room.expire_remote_presence(5000);  // not yet past
  EXPECT_EQ(local->count("presence"), events);
  room.expire_remote_presence(5001);  // node-b was killed: it never refreshed
  EXPECT_EQ(names_of(local->last("presence")), (std::vector<std::string>{"here"}));
  EXPECT_EQ(local->last("presence").at("size").as_int64(), 1);
}

TEST_F(ClusterRoomTest, OnlyLocalChangesAreReportedToTheObserver) {
  CountingObserver observer;
  room.set_presence_observer(&observer);
  join(1000, "a");
  EXPECT_EQ(observer.calls, 1);
  room.set_remote_presence("node-b", there({"b"}, 1, 60'000), 1000);
  EXPECT_EQ(observer.calls, 1);  // another node's presence is not republished
  room.heartbeat("poller", std::nullopt, 1000);
  EXPECT_EQ(observer.calls, 2);
  auto p = room.local_presence(1000, 31'000);
  EXPECT_EQ(p.streams, 1);
  ASSERT_EQ(p.members.size(), 1u);
  EXPECT_EQ(p.members[0].name, "a");
  ASSERT_EQ(p.heartbeats.size(), 1u);
  EXPECT_EQ(p.expires_ms, 31'000);
}

}  // namespace
}  // namespace b2b::core
