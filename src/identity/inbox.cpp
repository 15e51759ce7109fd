#include "identity/inbox.h"

#include <algorithm>

#include <boost/json.hpp>

namespace b2b::identity {

std::string Envelope::to_json() const {
  boost::json::object o;
  o.emplace("seq", seq);
  o.emplace("id", id);
  o.emplace("ciphertext", ciphertext);
  o.emplace("nonce", nonce);
  o.emplace("sender_eph_pub", sender_eph_pub);
  if (from_handle) {
    o.emplace("from_handle", *from_handle);
  } else {
    o.emplace("from_handle", nullptr);
  }
  o.emplace("from_verified", from_verified);
  o.emplace("ts", ts);
  if (from_verified && from_sig && from_ts) {
    o.emplace("from_sig", *from_sig);
    o.emplace("from_ts", *from_ts);
  }
  return boost::json::serialize(o);
}

InboxShard::~InboxShard() {
  for (auto& [handle, inbox] : inboxes_) {
    for (const auto& e : inbox.envelopes) pool_.release(static_cast<int64_t>(e->accounted_bytes()));
  }
}

bool InboxShard::fits(std::size_t ciphertext_len) const {
  return pool_.would_fit(static_cast<int64_t>(ciphertext_len + 512));
}

void InboxShard::drop(Inbox& inbox, std::deque<EnvelopePtr>::iterator it, InboxChange* change) {
  pool_.release(static_cast<int64_t>((*it)->accounted_bytes()));
  if (change) change->dropped_ids.push_back((*it)->id);
  inbox.envelopes.erase(it);
}

void InboxShard::prune(Inbox& inbox, int64_t now_ms, InboxChange* change) {
  for (auto it = inbox.envelopes.begin(); it != inbox.envelopes.end();) {
    if ((*it)->ts + limits_.ttl_ms <= now_ms) {
      const auto offset = it - inbox.envelopes.begin();
      drop(inbox, it, change);
      it = inbox.envelopes.begin() + offset;
    } else {
      ++it;
    }
  }
  auto oldest_anonymous = [&] {
    return std::find_if(inbox.envelopes.begin(), inbox.envelopes.end(),
                        [](const EnvelopePtr& e) { return !e->from_verified; });
  };
  std::size_t anonymous = static_cast<std::size_t>(
      std::count_if(inbox.envelopes.begin(), inbox.envelopes.end(),
                    [](const EnvelopePtr& e) { return !e->from_verified; }));
  while (anonymous > limits_.max_anonymous) {
    drop(inbox, oldest_anonymous(), change);
    --anonymous;
  }
  // Unsigned floods cannot push out verified mail: anonymous envelopes go first.
  while (inbox.envelopes.size() > limits_.max_envelopes) {
    auto victim = anonymous > 0 ? oldest_anonymous() : inbox.envelopes.begin();
    if (anonymous > 0) --anonymous;
    drop(inbox, victim, change);
  }
}

bool InboxShard::append(const std::string& handle, EnvelopePtr envelope, int64_t now_ms,
                        InboxChange* change) {
  if (!pool_.try_reserve(static_cast<int64_t>(envelope->accounted_bytes()))) return false;
  Inbox& inbox = inboxes_[handle];
  inbox.envelopes.push_back(envelope);
  prune(inbox, now_ms, change);
  const bool survived = !inbox.envelopes.empty() && inbox.envelopes.back()->id == envelope->id;
  if (survived) {
    std::erase_if(inbox.waiters,
                  [&](const std::shared_ptr<InboxWaiter>& w) { return w->offer(envelope); });
  }
  return true;
}

void InboxShard::restore(const std::string& handle, EnvelopePtr envelope) {
  pool_.try_reserve(static_cast<int64_t>(envelope->accounted_bytes()));
  inboxes_[handle].envelopes.push_back(std::move(envelope));
}

bool InboxShard::merge(const std::string& handle, EnvelopePtr envelope, int64_t now_ms) {
  Inbox& inbox = inboxes_[handle];
  for (const auto& e : inbox.envelopes) {
    if (e->id == envelope->id) return false;
  }
  pool_.reserve_anyway(static_cast<int64_t>(envelope->accounted_bytes()));
  auto at = std::upper_bound(inbox.envelopes.begin(), inbox.envelopes.end(), envelope->seq,
                             [](int64_t seq, const EnvelopePtr& e) { return seq < e->seq; });
  inbox.envelopes.insert(at, envelope);
  prune(inbox, now_ms, nullptr);
  std::erase_if(inbox.waiters,
                [&](const std::shared_ptr<InboxWaiter>& w) { return w->offer(envelope); });
  return true;
}

InboxPage InboxShard::after(const std::string& handle, int64_t after_seq, int64_t now_ms,
                            InboxChange* change) {
  InboxPage page;
  auto it = inboxes_.find(handle);
  if (it == inboxes_.end()) return page;
  prune(it->second, now_ms, change);
  for (const auto& e : it->second.envelopes) {
    if (e->seq <= after_seq) continue;
    if (page.envelopes.size() == limits_.page) {
      page.has_more = true;
      break;
    }
    page.envelopes.push_back(e);
  }
  return page;
}

int InboxShard::remove(const std::string& handle, std::string_view id) {
  auto it = inboxes_.find(handle);
  if (it == inboxes_.end()) return 0;
  auto& envs = it->second.envelopes;
  auto e =
      std::find_if(envs.begin(), envs.end(), [&](const EnvelopePtr& x) { return x->id == id; });
  if (e == envs.end()) return 0;
  drop(it->second, e, nullptr);
  return 1;
}

void InboxShard::forget(const std::string& handle) {
  auto it = inboxes_.find(handle);
  if (it == inboxes_.end()) return;
  for (const auto& e : it->second.envelopes)
    pool_.release(static_cast<int64_t>(e->accounted_bytes()));
  inboxes_.erase(it);
}

void InboxShard::park(const std::string& handle, std::shared_ptr<InboxWaiter> waiter) {
  inboxes_[handle].waiters.push_back(std::move(waiter));
}

void InboxShard::unpark(const std::string& handle, const InboxWaiter* waiter) {
  auto it = inboxes_.find(handle);
  if (it == inboxes_.end()) return;
  std::erase_if(it->second.waiters,
                [&](const std::shared_ptr<InboxWaiter>& w) { return w.get() == waiter; });
}

std::size_t InboxShard::waiters_for(const std::string& handle) const {
  auto it = inboxes_.find(handle);
  return it == inboxes_.end() ? 0 : it->second.waiters.size();
}

std::vector<std::shared_ptr<InboxWaiter>> InboxShard::release_all_waiters() {
  std::vector<std::shared_ptr<InboxWaiter>> out;
  for (auto& [handle, inbox] : inboxes_) {
    out.insert(out.end(), inbox.waiters.begin(), inbox.waiters.end());
    inbox.waiters.clear();
  }
  return out;
}

void InboxShard::janitor(int64_t now_ms, InboxChange* change) {
  for (auto it = inboxes_.begin(); it != inboxes_.end();) {
    prune(it->second, now_ms, change);
    if (it->second.envelopes.empty() && it->second.waiters.empty()) {
      it = inboxes_.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace b2b::identity
