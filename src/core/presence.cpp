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

boost::json::array render_participants(const std::vector<StreamMember>& members,
                                       const Heartbeats& heartbeats, int64_t now_ms,
                                       int64_t visible_ms) {
  boost::json::array out;
  std::unordered_set<std::string_view> listed;
  for (const auto& m : members) {
    if (!m.name || !listed.insert(*m.name).second) continue;
    boost::json::object p;
    p.emplace("name", *m.name);
    if (m.box_pub) p.emplace("box_pub", *m.box_pub);
    p.emplace("last_seen_ms_ago", std::max<int64_t>(0, now_ms - m.last_seen_ms));
    out.emplace_back(std::move(p));
  }
  for (const auto& h : heartbeats.entries()) {
    if (now_ms - h.last_seen_ms > visible_ms || listed.count(h.name)) continue;
    listed.insert(h.name);
    boost::json::object p;
    p.emplace("name", h.name);
    p.emplace("last_seen_ms_ago", std::max<int64_t>(0, now_ms - h.last_seen_ms));
    if (h.box_pub) p.emplace("box_pub", *h.box_pub);
    out.emplace_back(std::move(p));
  }
  return out;
}

boost::json::array render_names(const std::vector<StreamMember>& members) {
  boost::json::array out;
  std::unordered_set<std::string_view> listed;
  for (const auto& m : members) {
    if (m.name && listed.insert(*m.name).second) out.emplace_back(*m.name);
  }
  return out;
}

}  // namespace b2b::core
