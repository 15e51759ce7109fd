// IDENTITY.md §1.10 / §5.2 / §4.2 replay caches, rebuilt as ROOMS.md §20.7 and
// IDENTITY.md §9 W14 recommend: keyed by (handle, nonce), time-bucketed, never forgetting
// a nonce that could still be replayed, and refusing new work (429) when full instead of
// failing honest requests with 401 or evicting live entries.
//
// Why buckets by the request's own `ts`: a request is only accepted when |now − ts| ≤ skew,
// so an entry recorded for `ts` can only ever block a replay until now = ts + skew. Entries
// are grouped by floor(ts / bucket_ms); a whole bucket is dropped as soon as its newest
// possible ts has left the window. Expiry is therefore a pop from the front of an ordered
// map per lock stripe, never a sweep over live entries.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

namespace b2b::identity {

class ReplayCache {
 public:
  enum class Outcome {
    kFresh,        // not seen; check_and_record recorded it
    kReplay,       // already recorded for this handle: 401 (or the endpoint's replay error)
    kFull,         // a cap is reached: answer 429 and do not record (never 401, §20.7)
    kOutOfWindow,  // |now − ts| > skew: the caller should have refused it already
  };

  // Server defaults: ±60 s skew (§1.7); caps far above what honest agents need, and big
  // enough that one handle cannot exhaust the whole cache (W14).
  static constexpr int64_t kDefaultSkewMs = 60'000;
  static constexpr std::size_t kDefaultMaxPerHandle = 100'000;
  static constexpr std::size_t kDefaultMaxTotal = 2'000'000;

  // bucket_ms 0 means skew_ms / 4: an entry outlives its usefulness by at most that much.
  explicit ReplayCache(int64_t skew_ms = kDefaultSkewMs,
                       std::size_t max_entries_per_handle = kDefaultMaxPerHandle,
                       std::size_t max_entries_total = kDefaultMaxTotal, int64_t bucket_ms = 0);

  // What check_and_record would answer, without recording. Use it before the (expensive)
  // signature verification; record only after a successful verification (§1.10 step 10).
  Outcome check(std::string_view handle, std::string_view nonce, int64_t ts, int64_t now);

  // Atomically: kReplay if seen, kFull if a cap is reached, otherwise record -> kFresh.
  // Call it after verifying; a kReplay here means a concurrent request with the same nonce
  // won the race, and this one must be refused like any replay.
  Outcome check_and_record(std::string_view handle, std::string_view nonce, int64_t ts,
                           int64_t now);

  // True if (handle, nonce) is recorded and still live.
  bool seen(std::string_view handle, std::string_view nonce, int64_t now);

  // Live entries (an upper bound: expired buckets of idle stripes are dropped lazily).
  std::size_t size() const { return total_.load(std::memory_order_relaxed); }

 private:
  static constexpr std::size_t kStripes = 64;

  struct Bucket {
    std::unordered_set<std::string> keys;                     // make_key(handle, nonce)
    std::unordered_map<std::string, std::size_t> per_handle;  // entries of each handle here
  };
  struct Stripe {
    std::mutex mu;
    std::map<int64_t, Bucket> buckets;  // by floor(ts / bucket_ms), oldest first
    std::unordered_map<std::string, std::size_t> handle_counts;
  };

  Stripe& stripe_for(std::string_view handle);
  bool in_window(int64_t ts, int64_t now) const;
  int64_t bucket_of(int64_t ts) const;
  void drop_expired(Stripe& s, int64_t now);
  void drop_expired_everywhere(int64_t now);
  bool contains(const Stripe& s, const std::string& key) const;
  // The check shared by check() and check_and_record(); `s.mu` must be held.
  Outcome check_locked(Stripe& s, std::string_view handle, const std::string& key) const;
  bool reserve_total_slot();
  Outcome decide(std::string_view handle, std::string_view nonce, int64_t ts, int64_t now,
                 bool record);

  const int64_t skew_ms_;
  const int64_t bucket_ms_;
  const std::size_t max_per_handle_;
  const std::size_t max_total_;
  std::atomic<std::size_t> total_{0};
  std::array<Stripe, kStripes> stripes_;
};

}  // namespace b2b::identity
