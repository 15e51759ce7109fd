#include "identity/identity_registry.h"

#include <algorithm>
#include <mutex>

namespace b2b::identity {

store::IdentityRecord IdentityRegistry::to_record(const Identity& id) {
  return store::IdentityRecord{id.handle,     id.box_pub,      id.sign_pub,  id.registered_at,
                               id.updated_at, id.last_seen_at, id.meta_json, id.inbox_seq};
}

void IdentityRegistry::load(const std::vector<store::IdentityRecord>& records) {
  std::unique_lock lock(mu_);
  for (const auto& r : records) {
    by_handle_[r.handle] = std::make_shared<const Identity>(
        Identity{r.handle, r.box_pub, r.sign_pub, r.registered_at, r.updated_at, r.last_seen_at,
                 r.meta_json, r.inbox_seq});
  }
}

IdentityPtr IdentityRegistry::find(std::string_view handle) const {
  std::shared_lock lock(mu_);
  auto it = by_handle_.find(std::string(handle));
  return it == by_handle_.end() ? nullptr : it->second;
}

std::size_t IdentityRegistry::size() const {
  std::shared_lock lock(mu_);
  return by_handle_.size();
}

bool IdentityRegistry::insert(const Identity& identity, store::Done done) {
  std::unique_lock lock(mu_);
  auto [it, inserted] = by_handle_.try_emplace(identity.handle, nullptr);
  if (!inserted) return false;
  it->second = std::make_shared<const Identity>(identity);
  store_.insert_identity(to_record(identity), std::move(done));
  return true;
}

void IdentityRegistry::forget_insert(const Identity& identity) {
  std::unique_lock lock(mu_);
  auto it = by_handle_.find(identity.handle);
  if (it == by_handle_.end()) return;
  const Identity& held = *it->second;
  if (held.sign_pub == identity.sign_pub && held.registered_at == identity.registered_at) {
    by_handle_.erase(it);
  }
}

void IdentityRegistry::forget(std::string_view handle) {
  std::unique_lock lock(mu_);
  by_handle_.erase(std::string(handle));
}

void IdentityRegistry::refresh(std::string_view handle, const std::string& box_pub, int64_t now_ms,
                               store::Done done) {
  std::unique_lock lock(mu_);
  auto it = by_handle_.find(std::string(handle));
  if (it == by_handle_.end()) return done(core::Error{"storage error", "identity vanished"});
  Identity next = *it->second;
  next.box_pub = box_pub;
  next.updated_at = std::max(next.updated_at, now_ms);
  next.last_seen_at = now_ms;
  it->second = std::make_shared<const Identity>(next);
  store_.upsert_identity(to_record(next), std::move(done));
}

void IdentityRegistry::touch(std::string_view handle, int64_t now_ms) {
  {
    std::shared_lock lock(mu_);
    auto it = by_handle_.find(std::string(handle));
    if (it == by_handle_.end() || now_ms - it->second->activity() < touch_min_ms_) return;
  }
  std::unique_lock lock(mu_);
  auto it = by_handle_.find(std::string(handle));
  if (it == by_handle_.end() || now_ms - it->second->activity() < touch_min_ms_) return;
  Identity next = *it->second;
  next.last_seen_at = now_ms;
  next.updated_at = std::max(next.updated_at, now_ms);
  it->second = std::make_shared<const Identity>(next);
  store_.upsert_identity(to_record(next), [](core::Result<bool>) {});
}

std::optional<int64_t> IdentityRegistry::next_inbox_seq(std::string_view handle, int64_t now_ms,
                                                        store::Done done) {
  std::unique_lock lock(mu_);
  auto it = by_handle_.find(std::string(handle));
  if (it == by_handle_.end()) return std::nullopt;
  Identity next = *it->second;
  next.inbox_seq = (next.inbox_seq != 0 ? next.inbox_seq : now_ms) + 1;
  it->second = std::make_shared<const Identity>(next);
  store_.set_inbox_seq(next.handle, next.inbox_seq, std::move(done));
  return next.inbox_seq;
}

}  // namespace b2b::identity
