#include "core/presence.h"

#include <algorithm>
#include <unordered_set>

#include <boost/json.hpp>

namespace b2b::core {

void Heartbeats::upsert(std::string name, std::optional<std::string> box_pub, int64_t now_ms,
                        std::size_t max_entries) {
  for (auto& e : entries_) {
    if (e.name == name) {
      e.box_pub = std::move(box_pub);  // §6.7: an invalid or missing key clears the old one
      e.last_seen_ms = now_ms;
      return;
    }
  }
  if (max_entries > 0 && entries_.size() >= max_entries) {
    auto oldest = std::min_element(entries_.begin(), entries_.end(), [](auto& a, auto& b) {
      return a.last_seen_ms < b.last_seen_ms;
    });
    entries_.erase(oldest);
  }
  entries_.push_back(Entry{std::move(name), std::move(box_pub), now_ms});
}

void Heartbeats::prune(int64_t now_ms, int64_t visible_ms) {
  std::erase_if(entries_, [&](const Entry& e) { return now_ms - e.last_seen_ms > visible_ms; });
}

namespace {

// Key order as the old server wrote them: members name, box_pub, last_seen_ms_ago;
// heartbeats name, last_seen_ms_ago, box_pub.
void add_participant(boost::json::array& out, std::unordered_set<std::string_view>& listed,
                     const std::string& name, const std::optional<std::string>& box_pub,
                     int64_t last_seen_ms, int64_t now_ms, bool heartbeat) {
  if (!listed.insert(name).second) return;
  boost::json::object p;
  p.emplace("name", name);
  if (box_pub && !heartbeat) p.emplace("box_pub", *box_pub);
  p.emplace("last_seen_ms_ago", std::max<int64_t>(0, now_ms - last_seen_ms));
  if (box_pub && heartbeat) p.emplace("box_pub", *box_pub);
  out.emplace_back(std::move(p));
}

}  // namespace

boost::json::array render_participants(const std::vector<StreamMember>& members,
                                       const Heartbeats& heartbeats, int64_t now_ms,
                                       int64_t visible_ms, const RemotePresence& remote) {
  boost::json::array out;
  std::unordered_set<std::string_view> listed;
  for (const auto& m : members) {
    if (m.name) add_participant(out, listed, *m.name, m.box_pub, m.last_seen_ms, now_ms, false);
  }
  for (const auto& [node, p] : remote) {
    for (const auto& m : p.members) {
      add_participant(out, listed, m.name, m.box_pub, m.last_seen_ms, now_ms, false);
    }
  }
  auto add_heartbeats = [&](const std::vector<Heartbeats::Entry>& entries) {
    for (const auto& h : entries) {
      if (now_ms - h.last_seen_ms > visible_ms) continue;
      add_participant(out, listed, h.name, h.box_pub, h.last_seen_ms, now_ms, true);
    }
  };
  add_heartbeats(heartbeats.entries());
  for (const auto& [node, p] : remote) add_heartbeats(p.heartbeats);
  return out;
}

boost::json::array render_names(const std::vector<StreamMember>& members,
                                const RemotePresence& remote) {
  boost::json::array out;
  std::unordered_set<std::string_view> listed;
  for (const auto& m : members) {
    if (m.name && listed.insert(*m.name).second) out.emplace_back(*m.name);
  }
  for (const auto& [node, p] : remote) {
    for (const auto& m : p.members) {
      if (listed.insert(m.name).second) out.emplace_back(m.name);
    }
  }
  return out;
}

}  // namespace b2b::core
