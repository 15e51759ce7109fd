// ROOMS.md §5: who is in a room. Stream subscribers (SSE query params or WS hello) and
// external heartbeats (POST /listening), rendered into `participants`/`names`.
#pragma once

#include <boost/json/array.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/subscriber.h"

namespace b2b::core {

struct StreamMember {
  uint64_t id = 0;
  std::shared_ptr<StreamSubscriber> subscriber;
  StreamKind kind = StreamKind::kSse;
  std::optional<std::string> name;
  std::optional<std::string> box_pub;
  int64_t last_seen_ms = 0;
};

// POST /listening entries, in first-insertion order (§5.2: re-posting keeps position).
// Bounded (§20.6): beyond `max_entries` the least recently seen entry is dropped, and
// entries invisible for longer than the visibility window are pruned.
class Heartbeats {
 public:
  struct Entry {
    std::string name;
    std::optional<std::string> box_pub;
    int64_t last_seen_ms = 0;
  };

  void upsert(std::string name, std::optional<std::string> box_pub, int64_t now_ms,
              std::size_t max_entries);
  void prune(int64_t now_ms, int64_t visible_ms);
  const std::vector<Entry>& entries() const { return entries_; }

 private:
  std::vector<Entry> entries_;
};

// Cluster mode: who is in a room on one other node, as that node last published it
// (api/cluster_rooms.h). Members and heartbeats use Heartbeats::Entry (name, key, last seen).
struct NodePresence {
  int64_t streams = 0;                        // stream members there, named or not (`size`)
  std::vector<Heartbeats::Entry> members;     // its named stream members, join order
  std::vector<Heartbeats::Entry> heartbeats;  // its POST /listening entries
  int64_t expires_ms = 0;                     // the node refreshes it before then, or is gone
};
using RemotePresence = std::vector<std::pair<std::string, NodePresence>>;  // by node id

// §5.2: stream members first (join order, first of each name; this node's, then other
// nodes'), then heartbeats seen within `visible_ms` whose name is not yet listed.
boost::json::array render_participants(const std::vector<StreamMember>& members,
                                       const Heartbeats& heartbeats, int64_t now_ms,
                                       int64_t visible_ms, const RemotePresence& remote = {});

// §4.3: names of stream members in join order, deduplicated, unnamed omitted.
boost::json::array render_names(const std::vector<StreamMember>& members,
                                const RemotePresence& remote = {});

}  // namespace b2b::core
