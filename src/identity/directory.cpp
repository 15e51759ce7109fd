#include "identity/directory.h"

#include <mutex>

namespace b2b::identity {

Directory::Publish Directory::publish(DirectoryEntry entry, int64_t created_at,
                                      int64_t* created_at_out) {
  std::unique_lock lock(mu_);
  const std::string handle = entry.profile.handle;
  auto it = index_.find(handle);
  if (it != index_.end()) {
    // §3.3 step 6: an equal updated_at is accepted (§9 W7 is left as the reference has it).
    if (entries_[it->second].profile.updated_at > entry.profile.updated_at) return Publish::kStale;
    entries_[it->second] = std::move(entry);
  } else {
    index_[handle] = entries_.size();
    entries_.push_back(std::move(entry));
  }
  auto [c, inserted] = created_at_.try_emplace(handle, created_at);
  if (created_at_out) *created_at_out = c->second;
  return Publish::kStored;
}

void Directory::restore(DirectoryEntry entry, int64_t created_at) {
  publish(std::move(entry), created_at, nullptr);
}

bool Directory::remove(const std::string& handle) {
  std::unique_lock lock(mu_);
  auto it = index_.find(handle);
  if (it == index_.end()) return false;
  const std::size_t pos = it->second;
  index_.erase(it);
  created_at_.erase(handle);
  if (pos + 1 != entries_.size()) {  // keep the vector dense: move the last entry into the hole
    entries_[pos] = std::move(entries_.back());
    index_[entries_[pos].profile.handle] = pos;
  }
  entries_.pop_back();
  return true;
}

std::optional<DirectoryEntry> Directory::heartbeat(const std::string& handle, int64_t now_ms) {
  std::unique_lock lock(mu_);
  auto it = index_.find(handle);
  if (it == index_.end() || entries_[it->second].effective_expires_at <= now_ms)
    return std::nullopt;
  entries_[it->second].last_seen_at = now_ms;
  return entries_[it->second];
}

std::optional<DirectoryEntry> Directory::live(const std::string& handle, int64_t now_ms) const {
  std::shared_lock lock(mu_);
  auto it = index_.find(handle);
  if (it == index_.end() || entries_[it->second].effective_expires_at <= now_ms)
    return std::nullopt;
  return entries_[it->second];
}

std::optional<DirectoryEntry> Directory::any(const std::string& handle) const {
  std::shared_lock lock(mu_);
  auto it = index_.find(handle);
  if (it == index_.end()) return std::nullopt;
  return entries_[it->second];
}

std::optional<int64_t> Directory::created_at(const std::string& handle) const {
  std::shared_lock lock(mu_);
  auto it = created_at_.find(handle);
  return it == created_at_.end() ? std::nullopt : std::optional<int64_t>(it->second);
}

}  // namespace b2b::identity
