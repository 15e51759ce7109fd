// The agent directory's state (IDENTITY.md §3): one live entry per handle, readable from
// every shard. Reads (search, matches, one profile, the snapshot) take a shared lock over a
// flat vector the pure search functions scan; writes (publish, heartbeat, delete) are rare
// and take the exclusive lock. Persistence is the caller's (it owns the Store callbacks).
#pragma once

#include <cstdint>
#include <optional>
#include <shared_mutex>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "identity/agent_directory.h"

namespace b2b::identity {

class Directory {
 public:
  // §3.3 step 6 and 8: refuses (returns false) an update older than the stored one.
  enum class Publish { kStored, kStale };
  Publish publish(DirectoryEntry entry, int64_t created_at, int64_t* created_at_out);
  // Start-up: an entry loaded from the store.
  void restore(DirectoryEntry entry, int64_t created_at);
  bool remove(const std::string& handle);
  // §3.9: a live profile's last_seen_at moves to `now`; nullopt if none (or expired).
  std::optional<DirectoryEntry> heartbeat(const std::string& handle, int64_t now_ms);
  std::optional<DirectoryEntry> live(const std::string& handle, int64_t now_ms) const;
  // The stored profile whatever its expiry (§3.6 uses it as the match source).
  std::optional<DirectoryEntry> any(const std::string& handle) const;
  std::optional<int64_t> created_at(const std::string& handle) const;

  // Runs `read(entries)` under the shared lock.
  template <class Read>
  auto read(Read&& r) const {
    std::shared_lock lock(mu_);
    return r(std::span<const DirectoryEntry>(entries_));
  }

 private:
  mutable std::shared_mutex mu_;
  std::vector<DirectoryEntry> entries_;
  std::unordered_map<std::string, std::size_t> index_;  // handle -> position in entries_
  std::unordered_map<std::string, int64_t> created_at_;
};

}  // namespace b2b::identity
