// IDENTITY.md §3.5 search, §3.6 matches and §3.10 snapshot as pure functions over the
// listed profiles, so the api layer only fetches the entries and writes the body.
// Linear scans, as in the reference; the entries are whatever the store hands over
// (identity-less profiles already removed, §3.5).
#pragma once

#include <boost/json/object.hpp>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "identity/agent_profile.h"

namespace b2b::identity {

struct DirectoryEntry {
  AgentProfile profile;  // the cleaned, signed profile
  std::string box_pub;
  std::string sign_pub;
  std::string profile_sig;
  int64_t last_seen_at = 0;
  int64_t effective_expires_at = 0;  // live while > now (W8: not the signed value)
};

// Raw query values as the api layer decoded them (a repeated parameter already joined
// with ',', as the reference does); absent parameters are nullopt.
struct RawSearchParams {
  std::optional<std::string> q{};
  std::optional<std::string> framework{};
  std::optional<std::string> capability{};
  std::optional<std::string> topic{};
  std::optional<std::string> language{};
  std::optional<std::string> limit{};
  std::optional<std::string> cursor{};
};

struct SearchQuery {
  std::string q;                                       // trimmed, lowercased; "" = no filter
  std::string framework, capability, topic, language;  // token()-normalised; "" = no filter
  int64_t limit = 50;                                  // parseInt, 0/NaN -> 50, clamped to [1, 100]
  int64_t cursor = 0;                                  // parseInt, NaN -> 0, max(0, ·)
};

SearchQuery parse_search_query(const RawSearchParams& raw);

struct SearchPage {
  std::vector<const DirectoryEntry*> agents;
  std::optional<int64_t> next_cursor;  // cursor + limit when more rows follow
};

// §3.5: live entries only, filtered, ordered by last_seen_at desc then handle asc.
SearchPage search_directory(std::span<const DirectoryEntry> entries, const SearchQuery& query,
                            int64_t now);

// §3.5 "Cache-Control: public, max-age=30" body: {"agents":[…],"count":n,"next_cursor":…}.
boost::json::object search_response_body(const SearchPage& page);

struct Match {
  const DirectoryEntry* entry;
  int64_t score;
};

// §3.6 `limit`: parseInt, 0/NaN -> 20, clamped to [1, 50].
int64_t parse_matches_limit(std::optional<std::string_view> raw);

// §3.6 steps 3–5: the other live entries sharing (kind, value) tags with `source`,
// ordered by score desc, last_seen_at desc, handle asc; at most `limit`.
std::vector<Match> match_profiles(const AgentProfile& source,
                                  std::span<const DirectoryEntry> entries, int64_t now,
                                  int64_t limit);

// §3.6 body: {"agents":[{…, "match_score":n}],"count":n,"next_cursor":null}.
boost::json::object matches_response_body(const std::vector<Match>& matches);

// §3.10: the /agents.json and /.well-known/bot2bot-agents body (top 100 live profiles).
boost::json::object directory_snapshot_body(std::span<const DirectoryEntry> entries, int64_t now);

// The reference's localeCompare order restricted to the handle alphabet: '_' < '-' <
// digits < letters, then shorter first (§3.5).
bool handle_collation_less(std::string_view a, std::string_view b);

// The served profile of one entry (§3.4); GET /api/agents/:handle wraps it in {"agent": …}.
boost::json::object served_entry(const DirectoryEntry& e,
                                 std::optional<int64_t> match_score = std::nullopt);

}  // namespace b2b::identity
