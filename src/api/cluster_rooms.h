// Cluster mode's rooms (`serve --redis`, docs/SCALING.md): several nodes serve one room space.
//
// Redis numbers every message: a post's seq and its append to the room's stream are one Lua
// script (cluster/room_log.h), which also PUBLISHes the numbered record on one channel. Each
// node subscribes once and fans every message out to its own subscribers from its own copy, so
// Redis work per message does not grow with subscribers, and every node delivers one seq order.
//
// A node keeps the rooms it serves as ordinary core::Room objects on their shards (the buffer
// it replays from, its subscribers and waiters). Before it first serves a room it *loads* it:
// the room's counter, lock and newest entries, read in one step. Live messages are applied in
// seq order: a duplicate is dropped; a message past a hole (a publish missed while the
// subscription was reconnecting, or one racing the load) is held while the hole is read back
// from the stream; what the stream no longer has is marked lost, as a trimmed buffer is.
//
// Presence: each node keeps its own presence in a room (stream members, heartbeats) in the
// room's presence hash under its node id and publishes every change on the live channel (seq
// 0); the others merge it into their presence events. Changes made in one event-loop turn go
// out as one update; each node refreshes its entries every kPresenceRefresh, and an entry not
// refreshed within kPresenceTtl (a node killed without goodbye) is dropped by the janitor.
//
// Threading: the Redis connections live on this object's own thread; everything about a room
// runs on the room's shard, as in single-node mode.
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "cluster/redis_connection.h"
#include "cluster/redis_endpoint.h"
#include "cluster/room_log.h"
#include "cluster/room_record.h"
#include "core/result.h"
#include "core/room.h"

namespace b2b::api {

class RelayState;

class ClusterRooms final : public core::PresenceObserver {
 public:
  // The channel every node's live subscription listens on.
  static constexpr const char* kLiveChannel = "b2b:rooms:live";
  static constexpr std::chrono::milliseconds kPresenceRefresh{10'000};
  static constexpr std::chrono::milliseconds kPresenceTtl{30'000};

  ClusterRooms(RelayState& state, cluster::RedisEndpoint endpoint, std::string room_key_secret);
  ~ClusterRooms() override;
  ClusterRooms(const ClusterRooms&) = delete;
  ClusterRooms& operator=(const ClusterRooms&) = delete;

  // Connects both connections; fails if Redis did not answer within `wait`.
  core::Result<bool> start(std::chrono::milliseconds wait);
  void stop();

  // On shard `s` (the caller's): `then` gets the room, loaded from Redis first if this node does
  // not serve it yet. With `create` the room is made even if Redis has nothing of it (posts,
  // streams); without, `then(nullptr)` when neither has it (reads). An error: Redis is down.
  using RoomThen = std::function<void(core::Result<core::Room*>)>;
  void with_room(std::size_t s, const std::string& room_id, bool create, RoomThen then);

  // Numbers `record` in Redis (and publishes it). `done` runs on shard `s` with the seq, or
  // with an error: cluster::kRoomLockedReply for an unsigned post to a signed-only room, else
  // Redis is unavailable. Nothing was appended on error.
  void append(std::size_t s, const std::string& room_id, const cluster::RoomRecord& record,
              bool is_signed, std::function<void(core::Result<int64_t>)> done);

  // Runs `work` on the Redis thread with the command connection (cluster claims use it for
  // their swap script, cluster_claims.h). Replies come back on that thread.
  void on_redis(std::function<void(const std::shared_ptr<cluster::RedisConnection>&)> work) {
    boost::asio::post(ioc_, [this, work = std::move(work)] { work(commands_); });
  }

  // Holes in the live channel read back from the streams (metrics, tests).
  uint64_t holes_filled() const { return holes_filled_; }
  const std::string& node_id() const { return node_id_; }
  // Rooms whose live messages this node takes (loaded, loading or with a parked wait).
  std::size_t served_rooms();

  // core::PresenceObserver, on the room's shard.
  void local_presence_changed(core::Room& room) override;

 private:
  struct Loading {
    std::vector<RoomThen> waiting;
    bool create = false;
    std::map<int64_t, std::string> live;  // published while loading: seq -> record
  };
  // A room this node serves: the seq it applies next (0: any, the room had no message yet),
  // messages held behind a hole, and whether the hole is being read back.
  struct Track {
    int64_t next = 0;
    std::map<int64_t, std::string> held;
    bool filling = false;
  };
  struct ShardSide {
    std::unordered_map<std::string, Loading> loading;
    std::unordered_map<std::string, Track> tracks;
    std::unordered_set<std::string> presence_dirty;  // rooms whose presence is to publish
    bool presence_flush_posted = false;
  };

  std::string room_key(const std::string& room_id) const;
  void begin_load(std::size_t s, const std::string& room_id);
  void finish_load(std::size_t s, const std::string& room_id,
                   core::Result<cluster::RoomSnapshot> snapshot);
  void forget(std::size_t s, const std::string& room_id);
  void forget_unless_awaited(std::size_t s, const std::string& room_id);
  void forget_evicted(std::size_t s);
  void on_live(const std::string& payload);
  void deliver(std::size_t s, const std::string& room_id, int64_t seq, std::string record);
  void apply_in_order(std::size_t s, const std::string& room_id, core::Room& room, Track& track);
  void fill_hole(std::size_t s, const std::string& room_id, Track& track);
  void hole_filled(std::size_t s, const std::string& room_id,
                   core::Result<std::vector<cluster::LogEntry>> entries);
  void apply(core::Room& room, int64_t seq, const std::string& record);
  void resync_all();
  void on_presence(std::size_t s, const std::string& room_id, const std::string& record);
  void flush_presence(std::size_t s);
  void publish_presence(core::Room& room, int64_t now_ms);
  void arm_presence_refresh();

  RelayState& state_;
  const cluster::RedisEndpoint endpoint_;
  const std::string secret_;
  const std::string node_id_;
  boost::asio::io_context ioc_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::thread thread_;
  std::shared_ptr<cluster::RedisConnection> commands_;
  std::shared_ptr<cluster::RedisConnection> live_;
  std::unique_ptr<cluster::RoomLog> log_;
  std::unique_ptr<boost::asio::steady_timer> presence_refresh_;
  std::vector<std::unique_ptr<ShardSide>> sides_;  // one per shard, touched on it only
  // room key -> room id of every room this node serves: the live channel names rooms by key
  // (Redis never sees an id). Read on the Redis thread, written on shards; an evicted room's
  // entry goes at its next live message or the next presence refresh (forget_evicted).
  std::mutex served_mu_;
  std::unordered_map<std::string, std::string> served_;
  std::atomic<uint64_t> holes_filled_{0};
};

}  // namespace b2b::api
