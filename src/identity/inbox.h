// DM inboxes (IDENTITY.md §4.3): per handle, an ordered list of sealed envelopes waiting for
// their owner, bounded (256 envelopes, 32 of them anonymous, 7-day TTL, a global byte pool)
// and read by long-poll until the owner deletes them. Like rooms, the inboxes of one shard
// are touched only from that shard's thread; unlike room content, envelopes are persisted
// by the caller (ciphertext sealed to the recipient, waiting for them to come back).
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/byte_budget.h"

namespace b2b::identity {

struct InboxLimits {
  std::size_t max_envelopes = 256;
  std::size_t max_anonymous = 32;
  int64_t ttl_ms = 7LL * 24 * 3600 * 1000;
  std::size_t page = 50;
};

struct Envelope {
  int64_t seq = 0;
  std::string id;
  std::string ciphertext;
  std::string nonce;
  std::string sender_eph_pub;
  std::optional<std::string> from_handle;  // set only when verified (§4.2)
  bool from_verified = false;
  int64_t ts = 0;
  std::optional<std::string> from_sig;  // relayed so recipients can verify (§9 W12)
  std::optional<int64_t> from_ts;

  std::size_t accounted_bytes() const { return ciphertext.size() + 512; }
  // §4.6 as served (no `_bytes`, W18), plus from_sig/from_ts on verified envelopes.
  std::string to_json() const;
};

using EnvelopePtr = std::shared_ptr<const Envelope>;

class InboxWaiter {
 public:
  virtual ~InboxWaiter() = default;
  // A new envelope arrived for this waiter's handle. True when the waiter is done.
  virtual bool offer(const EnvelopePtr& envelope) = 0;
  virtual void answer_for_shutdown() = 0;
};

struct InboxPage {
  std::vector<EnvelopePtr> envelopes;
  bool has_more = false;
};

// What a change did, so the caller can mirror it in the Store.
struct InboxChange {
  std::vector<std::string> dropped_ids;  // evicted or expired envelopes
};

class InboxShard {
 public:
  InboxShard(const InboxLimits& limits, core::ByteBudget& pool) : limits_(limits), pool_(pool) {}
  ~InboxShard();

  // §4.2 step 10: would an envelope of this size fit the global pool?
  bool fits(std::size_t ciphertext_len) const;
  // §4.2 step 12: append, prune, wake waiters if it survived. False if the pool is spent.
  bool append(const std::string& handle, EnvelopePtr envelope, int64_t now_ms, InboxChange* change);
  // Start-up: restore a persisted envelope (no waking, no pruning).
  void restore(const std::string& handle, EnvelopePtr envelope);
  // Cluster mode: an envelope another node accepted. Inserted in seq order unless one with its
  // id is already here; wakes waiters. False if it was already here.
  bool merge(const std::string& handle, EnvelopePtr envelope, int64_t now_ms);
  // §4.4 step 6: envelopes with seq > after, the first `page`.
  InboxPage after(const std::string& handle, int64_t after_seq, int64_t now_ms,
                  InboxChange* change);
  // §4.5: 1 if an envelope with this id was removed, else 0.
  int remove(const std::string& handle, std::string_view id);
  void forget(const std::string& handle);

  void park(const std::string& handle, std::shared_ptr<InboxWaiter> waiter);
  void unpark(const std::string& handle, const InboxWaiter* waiter);
  std::size_t waiters_for(const std::string& handle) const;
  std::vector<std::shared_ptr<InboxWaiter>> release_all_waiters();

  // §4.3: TTL pruning of every inbox; empty inboxes without waiters are dropped.
  void janitor(int64_t now_ms, InboxChange* change);
  std::size_t inbox_count() const { return inboxes_.size(); }

 private:
  struct Inbox {
    std::deque<EnvelopePtr> envelopes;  // ascending seq
    std::vector<std::shared_ptr<InboxWaiter>> waiters;
  };
  void prune(Inbox& inbox, int64_t now_ms, InboxChange* change);
  void drop(Inbox& inbox, std::deque<EnvelopePtr>::iterator it, InboxChange* change);

  const InboxLimits& limits_;
  core::ByteBudget& pool_;
  std::unordered_map<std::string, Inbox> inboxes_;
};

}  // namespace b2b::identity
