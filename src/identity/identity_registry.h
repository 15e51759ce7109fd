// Registered identities (IDENTITY.md §2): held in memory for lookups from every shard,
// written through to the Store. Reads take a shared lock and get an immutable snapshot;
// writes are rare (registration, the throttled activity touch, inbox sequence numbers).
// Each write is queued to the Store while the lock is held, so the Store sees mutations of
// one handle in the order they happened.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "store/store.h"

namespace b2b::identity {

struct Identity {
  std::string handle;
  std::string box_pub;
  std::string sign_pub;
  int64_t registered_at = 0;
  int64_t updated_at = 0;
  int64_t last_seen_at = 0;
  std::string meta_json = "{}";
  int64_t inbox_seq = 0;

  // §2.5: "activity" is the latest of the three timestamps.
  int64_t activity() const { return std::max({registered_at, updated_at, last_seen_at}); }
};

using IdentityPtr = std::shared_ptr<const Identity>;

class IdentityRegistry {
 public:
  IdentityRegistry(store::Store& store, int64_t touch_min_ms)
      : store_(store), touch_min_ms_(touch_min_ms) {}

  void load(const std::vector<store::IdentityRecord>& records);
  IdentityPtr find(std::string_view handle) const;
  std::size_t size() const;

  // A new handle: false (and nothing written) if it is already registered here. `done` runs on
  // the store's thread once the identity is durable — with false when the store already held
  // the handle (cluster mode: another node registered it first); call forget_insert then.
  bool insert(const Identity& identity, store::Done done);
  // Undoes an insert whose write failed or was declined (nothing durable may be served). The
  // entry is removed only if it is still this insert's: the other node's identity may have
  // replaced it in the meantime, and that one stays.
  void forget_insert(const Identity& identity);
  void forget(std::string_view handle);
  // §2.2 step 7, owner proof held: refresh the activity times. With the §9 W3 fix the box key
  // the owner signed replaces the stored one. Persisted; `done` after commit.
  void refresh(std::string_view handle, const std::string& box_pub, int64_t now_ms,
               store::Done done);
  // §2.5 activity touch, skipped within `touch_min_ms` of the last activity; not awaited.
  void touch(std::string_view handle, int64_t now_ms);
  // §4.2 step 11: the next inbox seq, (stored || now) + 1. The stored value is written before
  // the DM that used it is acknowledged, so seqs keep rising across restarts (§9 W17).
  // `done` after commit. nullopt for an unknown handle.
  std::optional<int64_t> next_inbox_seq(std::string_view handle, int64_t now_ms, store::Done done);

  // §2.5 capacity: remove inactive identities (oldest activity first, ties by handle) until
  // at most `target` remain. `keep` says which handles may not be collected (reserved ones,
  // ones with a live profile). Returns the removed handles.
  template <class Keep>
  std::vector<std::string> collect_inactive(std::size_t target, int64_t inactive_before_ms,
                                            Keep keep);

 private:
  static store::IdentityRecord to_record(const Identity& id);

  store::Store& store_;
  const int64_t touch_min_ms_;
  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, IdentityPtr> by_handle_;
};

template <class Keep>
std::vector<std::string> IdentityRegistry::collect_inactive(std::size_t target,
                                                            int64_t inactive_before_ms, Keep keep) {
  std::unique_lock lock(mu_);
  std::vector<IdentityPtr> candidates;
  for (const auto& [handle, id] : by_handle_) {
    if (id->activity() < inactive_before_ms && !keep(handle)) candidates.push_back(id);
  }
  std::sort(candidates.begin(), candidates.end(), [](const IdentityPtr& a, const IdentityPtr& b) {
    return a->activity() != b->activity() ? a->activity() < b->activity() : a->handle < b->handle;
  });
  std::vector<std::string> removed;
  for (const auto& id : candidates) {
    if (by_handle_.size() <= target) break;
    by_handle_.erase(id->handle);
    store_.delete_identity(id->handle, [](core::Result<bool>) {});
    removed.push_back(id->handle);
  }
  return removed;
}

}  // namespace b2b::identity
