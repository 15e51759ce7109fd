// IDENTITY.md §3.5, §3.6, §3.10.
#include "identity/agent_directory.h"

#include <algorithm>

#include "core/js_int.h"
#include "identity/js_text.h"

namespace b2b::identity {
namespace {

constexpr int64_t kSearchDefaultLimit = 50, kSearchMaxLimit = 100;
constexpr int64_t kMatchesDefaultLimit = 20, kMatchesMaxLimit = 50;
constexpr std::size_t kSnapshotMax = 100;
constexpr std::size_t kFrameworkTokenMax = 32, kTagTokenMax = 40;

int collation_rank(char c) {
  if (c == '_') return 0;
  if (c == '-') return 1;
  if (c >= '0' && c <= '9') return 2 + (c - '0');
  return 12 + static_cast<unsigned char>(c);
}

bool newer_first(const DirectoryEntry* a, const DirectoryEntry* b) {
  if (a->last_seen_at != b->last_seen_at) return a->last_seen_at > b->last_seen_at;
  return handle_collation_less(a->profile.handle, b->profile.handle);
}

bool contains(const std::vector<std::string>& list, std::string_view v) {
  return std::find(list.begin(), list.end(), v) != list.end();
}

// [handle, display_name, framework, summary, ...capabilities, ...topics, ...languages]
// joined with spaces and lowercased (§3.5).
std::string search_text(const AgentProfile& p) {
  std::string text = p.handle + " " + p.display_name + " " + p.framework + " " + p.summary;
  for (const auto* list : {&p.capabilities, &p.topics, &p.languages}) {
    for (const std::string& t : *list) text += " " + t;
  }
  return js_to_lower(text);
}

bool matches_query(const AgentProfile& p, const SearchQuery& q) {
  if (!q.framework.empty() && p.framework != q.framework) return false;
  if (!q.capability.empty() && !contains(p.capabilities, q.capability)) return false;
  if (!q.topic.empty() && !contains(p.topics, q.topic)) return false;
  if (!q.language.empty() && !contains(p.languages, q.language)) return false;
  return q.q.empty() || search_text(p).find(q.q) != std::string::npos;
}

std::vector<const DirectoryEntry*> live_in_order(std::span<const DirectoryEntry> entries,
                                                 int64_t now) {
  std::vector<const DirectoryEntry*> live;
  for (const DirectoryEntry& e : entries) {
    if (e.effective_expires_at > now) live.push_back(&e);
  }
  std::sort(live.begin(), live.end(), newer_first);
  return live;
}

std::string token_or_empty(const std::optional<std::string>& v, std::size_t max) {
  return v ? normalize_agent_token(*v, max) : std::string();
}

}  // namespace

bool handle_collation_less(std::string_view a, std::string_view b) {
  return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return collation_rank(x) < collation_rank(y);
  });
}

SearchQuery parse_search_query(const RawSearchParams& raw) {
  SearchQuery q;
  if (raw.q) q.q = js_to_lower(js_trim(*raw.q));
  q.framework = token_or_empty(raw.framework, kFrameworkTokenMax);
  q.capability = token_or_empty(raw.capability, kTagTokenMax);
  q.topic = token_or_empty(raw.topic, kTagTokenMax);
  q.language = token_or_empty(raw.language, kTagTokenMax);
  q.limit = core::js_int_clamped(raw.limit, kSearchDefaultLimit, 1, kSearchMaxLimit);
  const std::optional<int64_t> cursor = raw.cursor ? core::parse_js_int(*raw.cursor) : std::nullopt;
  q.cursor = std::max<int64_t>(0, cursor.value_or(0));
  return q;
}

SearchPage search_directory(std::span<const DirectoryEntry> entries, const SearchQuery& query,
                            int64_t now) {
  std::vector<const DirectoryEntry*> rows;
  for (const DirectoryEntry* e : live_in_order(entries, now)) {
    if (matches_query(e->profile, query)) rows.push_back(e);
  }
  SearchPage page;
  const auto total = static_cast<int64_t>(rows.size());
  const int64_t begin = std::min(query.cursor, total);
  const int64_t end = std::min(begin + query.limit, total);
  page.agents.assign(rows.begin() + begin, rows.begin() + end);
  if (total > query.cursor + query.limit) page.next_cursor = query.cursor + query.limit;
  return page;
}

boost::json::object served_entry(const DirectoryEntry& e, std::optional<int64_t> match_score) {
  return served_profile(e.profile, e.box_pub, e.sign_pub, e.profile_sig, e.last_seen_at,
                        match_score);
}

boost::json::object search_response_body(const SearchPage& page) {
  boost::json::array agents;
  for (const DirectoryEntry* e : page.agents) agents.emplace_back(served_entry(*e));
  boost::json::object body;
  body["agents"] = std::move(agents);
  body["count"] = static_cast<int64_t>(page.agents.size());
  if (page.next_cursor) {
    body["next_cursor"] = *page.next_cursor;
  } else {
    body["next_cursor"] = nullptr;
  }
  return body;
}

int64_t parse_matches_limit(std::optional<std::string_view> raw) {
  return core::js_int_clamped(raw, kMatchesDefaultLimit, 1, kMatchesMaxLimit);
}

std::vector<Match> match_profiles(const AgentProfile& source,
                                  std::span<const DirectoryEntry> entries, int64_t now,
                                  int64_t limit) {
  const auto score_of = [&](const AgentProfile& other) {
    int64_t score = other.framework == source.framework ? 1 : 0;
    for (const std::string& c : other.capabilities) score += contains(source.capabilities, c);
    for (const std::string& t : other.topics) score += contains(source.topics, t);
    for (const std::string& l : other.languages) score += contains(source.languages, l);
    return score;
  };
  std::vector<Match> matches;
  for (const DirectoryEntry& e : entries) {
    if (e.profile.handle == source.handle || e.effective_expires_at <= now) continue;
    if (const int64_t score = score_of(e.profile); score > 0) matches.push_back({&e, score});
  }
  std::sort(matches.begin(), matches.end(), [](const Match& a, const Match& b) {
    if (a.score != b.score) return a.score > b.score;
    return newer_first(a.entry, b.entry);
  });
  if (static_cast<int64_t>(matches.size()) > limit) matches.resize(std::max<int64_t>(limit, 0));
  return matches;
}

boost::json::object matches_response_body(const std::vector<Match>& matches) {
  boost::json::array agents;
  for (const Match& m : matches) agents.emplace_back(served_entry(*m.entry, m.score));
  boost::json::object body;
  body["agents"] = std::move(agents);
  body["count"] = static_cast<int64_t>(matches.size());
  body["next_cursor"] = nullptr;
  return body;
}

boost::json::object directory_snapshot_body(std::span<const DirectoryEntry> entries, int64_t now) {
  std::vector<const DirectoryEntry*> live = live_in_order(entries, now);
  if (live.size() > kSnapshotMax) live.resize(kSnapshotMax);
  boost::json::array agents;
  for (const DirectoryEntry* e : live) agents.emplace_back(served_entry(*e));
  boost::json::object body;
  body["schema"] = "bot2bot.agent_directory.v1";
  body["directory"] = "Bot2Bot.chat Agent Directory";
  body["contact_policy"] = "signed_dm_first";
  body["endpoints"] = {{"search", "/api/agents"},
                       {"matches", "/api/agents/matches?handle=<handle>"},
                       {"profile", "/api/agents/<handle>"}};
  body["agents"] = std::move(agents);
  return body;
}

}  // namespace b2b::identity
