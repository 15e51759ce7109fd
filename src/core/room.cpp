#include "core/room.h"

#include <algorithm>
#include <unordered_set>

#include <boost/json.hpp>

namespace b2b::core {
namespace {

constexpr std::string_view kRoomFull = "room buffer full \xE2\x80\x94 try again shortly";
constexpr std::string_view kGlobalFull = "global room buffer full \xE2\x80\x94 try again shortly";

}  // namespace

Room::Room(std::string id, int64_t now_ms, int64_t first_seq, const RelayLimits& limits,
           ByteBudget& budget, Metrics& metrics, SeqReservations* reservations)
    : id_(std::move(id)),
      limits_(limits),
      budget_(budget),
      metrics_(metrics),
      created_ms_(now_ms),
      last_active_ms_(now_ms),
      next_seq_(first_seq),
      reservations_(reservations) {
  reserve_seqs_if_needed();
}

void Room::reserve_seqs_if_needed() {
  if (!reservations_ || next_seq_ + SeqReservations::kBlock / 2 < reserved_until_) return;
  reserved_until_ = next_seq_ + SeqReservations::kBlock;
  reservations_->reserve(id_, reserved_until_);
}

Room::~Room() {
  budget_.release(room_bytes_);
}

std::optional<Error> Room::check_budget(std::size_t ciphertext_len) const {
  const int64_t bytes = static_cast<int64_t>(ciphertext_len) + 512;
  if (bytes > limits_.room_max_bytes) {
    return Error{std::string(kRoomFull), "the message is larger than this room's byte cap"};
  }
  if (budget_.used() + bytes > limits_.global_max_bytes) {
    return Error{std::string(kGlobalFull), "the relay's buffer budget is spent"};
  }
  return std::nullopt;
}

Result<MessagePtr> Room::append(MessageDraft draft, int64_t now_ms, bool lock_first) {
  prune(now_ms);  // expired messages must not count against the budgets
  if (auto e = check_budget(draft.ciphertext.size())) return *e;
  const int64_t bytes = static_cast<int64_t>(draft.ciphertext.size()) + 512;
  if (!budget_.try_reserve(bytes)) {
    return Error{std::string(kGlobalFull), "the relay's buffer budget is spent"};
  }
  // §20.17: the per-room byte cap trims the oldest messages, as the count cap does, so a busy
  // room stays writable and cannot starve the others of the global budget.
  while (!buffer_.empty() && room_bytes_ + bytes > limits_.room_max_bytes) drop_message_front();
  if (lock_first) lock_signed_only(now_ms);  // §4.5: announced before the locking message

  if (reservations_ && next_seq_ > now_ms && next_seq_ >= durable_until_) {
    // Ahead of the clock and of every committed reservation: after a crash now, a restarted
    // room could hand this seq out again. Wait for the reservation (a burst at creation only).
    reservations_->await_durable();
    durable_until_ = reserved_until_;
  }
  MessagePtr m = make_message(std::move(draft), next_seq_++, now_ms);
  reserve_seqs_if_needed();
  take(m, bytes, now_ms);
  return m;
}

void Room::append_numbered(MessagePtr m, int64_t now_ms, bool lock_first) {
  prune(now_ms);
  const auto bytes = static_cast<int64_t>(m->accounted_bytes);
  budget_.reserve_anyway(bytes);
  while (!buffer_.empty() && room_bytes_ + bytes > limits_.room_max_bytes) drop_message_front();
  if (lock_first) lock_signed_only(now_ms);
  next_seq_ = m->seq + 1;
  take(std::move(m), bytes, now_ms);
}

void Room::take(MessagePtr m, int64_t bytes, int64_t now_ms) {
  last_assigned_seq_ = m->seq;
  room_bytes_ += bytes;
  if (m->ttl_ms && *m->ttl_ms > 0) {
    next_ttl_expiry_ms_ = std::min(next_ttl_expiry_ms_, static_cast<double>(m->ts) + *m->ttl_ms);
  }
  buffer_.push_back(m);
  prune(now_ms);
  last_active_ms_ = now_ms;
  inc(metrics_.messages_delivered, broadcast(m->event, now_ms));

  // §18.4: waiters wake after the message is in the buffer. A waiter may stay parked.
  const int64_t last = last_seq();
  std::erase_if(waiters_, [&](const std::shared_ptr<Waiter>& w) { return w->offer(m, last); });
}

void Room::lock_signed_only(int64_t now_ms) {
  if (signed_only_) return;
  signed_only_ = true;
  broadcast(render_event(R"({"type":"locked"})"), now_ms);
}

uint64_t Room::subscribe(Joiner j, int64_t now_ms) {
  prune(now_ms);
  for (const auto& m : buffer_) {
    if (j.kind == StreamKind::kSse && m->seq <= j.after) continue;
    if (j.subscriber->deliver(m->event, /*replay=*/true) != Delivery::kQueued) return 0;
  }
  if (j.subscriber->deliver(render_ready(j.kind, now_ms), /*replay=*/true) != Delivery::kQueued) {
    return 0;
  }

  const uint64_t id = next_member_id_++;
  members_.push_back(StreamMember{id, std::move(j.subscriber), j.kind, std::move(j.name),
                                  std::move(j.box_pub), now_ms});
  last_active_ms_ = now_ms;
  local_presence_changed(now_ms);
  return id;
}

void Room::unsubscribe(uint64_t member_id, int64_t now_ms) {
  auto it = std::find_if(members_.begin(), members_.end(),
                         [&](const StreamMember& m) { return m.id == member_id; });
  if (it == members_.end()) return;  // already dropped (slow consumer or shutdown)
  members_.erase(it);
  last_active_ms_ = now_ms;
  local_presence_changed(now_ms);
}

void Room::hello(uint64_t member_id, std::string name, BoxPubUpdate box_pub, int64_t now_ms) {
  StreamMember* m = find_member(member_id);
  if (!m) return;
  if (m->name && *m->name != name) {
    boost::json::object rename{{"type", "rename"}, {"from", *m->name}, {"to", name}};
    m->name = std::move(name);
    broadcast(render_event(boost::json::serialize(rename)), now_ms);
    m = find_member(member_id);  // a broadcast may drop slow members, including this one
    if (!m) return;
  } else {
    m->name = std::move(name);
  }
  if (box_pub.present) m->box_pub = std::move(box_pub.value);
  local_presence_changed(now_ms);
}

void Room::touch(uint64_t member_id, int64_t now_ms) {
  if (StreamMember* m = find_member(member_id)) m->last_seen_ms = now_ms;
}

void Room::heartbeat(std::string name, std::optional<std::string> box_pub, int64_t now_ms) {
  heartbeats_.prune(now_ms, limits_.heartbeat_visible_ms);
  heartbeats_.upsert(std::move(name), std::move(box_pub), now_ms,
                     static_cast<std::size_t>(limits_.heartbeats_per_room_max));
  last_active_ms_ = now_ms;
  local_presence_changed(now_ms);
}

std::vector<std::shared_ptr<StreamSubscriber>> Room::release_subscribers() {
  std::vector<std::shared_ptr<StreamSubscriber>> out;
  out.reserve(members_.size());
  for (auto& m : members_) out.push_back(std::move(m.subscriber));
  members_.clear();
  return out;
}

void Room::park(std::shared_ptr<Waiter> waiter, int64_t now_ms) {
  last_active_ms_ = now_ms;
  waiters_.push_back(std::move(waiter));
}

void Room::unpark(const Waiter* waiter) {
  std::erase_if(waiters_, [&](const std::shared_ptr<Waiter>& w) { return w.get() == waiter; });
}

std::vector<std::shared_ptr<Waiter>> Room::release_waiters() {
  std::vector<std::shared_ptr<Waiter>> out;
  out.swap(waiters_);
  return out;
}

std::vector<MessagePtr> Room::messages_after(int64_t after, std::size_t max) const {
  // Seqs ascend, so binary-search the first seq > after.
  auto first = std::upper_bound(buffer_.begin(), buffer_.end(), after,
                                [](int64_t a, const MessagePtr& m) { return a < m->seq; });
  std::vector<MessagePtr> out;
  for (auto it = first; it != buffer_.end() && out.size() < max; ++it) out.push_back(*it);
  return out;
}

RoomStatus Room::status(int64_t now_ms) const {
  RoomStatus s;
  s.participants = static_cast<int64_t>(stream_count());
  s.recent_count = static_cast<int64_t>(buffer_.size());
  s.last_seq = last_seq();
  s.age_seconds = std::max<int64_t>(0, (now_ms - created_ms_) / 1000);
  s.idle_seconds = std::max<int64_t>(0, (now_ms - last_active_ms_) / 1000);
  s.signed_only = signed_only_;
  return s;
}

void Room::drop_message_front() {
  const int64_t bytes = static_cast<int64_t>(buffer_.front()->accounted_bytes);
  room_bytes_ -= bytes;
  budget_.release(bytes);
  dropped_through_ = std::max(dropped_through_, buffer_.front()->seq);
  buffer_.pop_front();
}

void Room::prune(int64_t now_ms) {
  const int64_t oldest_allowed = now_ms - limits_.room_buffer_max_age_ms;
  while (!buffer_.empty() && buffer_.front()->ts < oldest_allowed) drop_message_front();
  // The TTL pass scans the whole buffer (up to 2000 messages), so it runs only once the
  // earliest TTL may have elapsed: most posts carry no ttl_ms and used to pay that scan on
  // every accepted post (7 % of the relay's instructions in bench/callgrind_guard.py).
  if (static_cast<double>(now_ms) >= next_ttl_expiry_ms_) {
    std::size_t released = 0;
    double next = kNoTtl;
    std::erase_if(buffer_, [&](const MessagePtr& m) {
      if (!m->expired(now_ms)) {
        if (m->ttl_ms && *m->ttl_ms > 0) {
          next = std::min(next, static_cast<double>(m->ts) + *m->ttl_ms);
        }
        return false;
      }
      released += m->accounted_bytes;
      return true;
    });
    next_ttl_expiry_ms_ = next;
    room_bytes_ -= static_cast<int64_t>(released);
    budget_.release(static_cast<int64_t>(released));
  }
  while (buffer_.size() > static_cast<std::size_t>(limits_.room_buffer_max)) drop_message_front();
  heartbeats_.prune(now_ms, limits_.heartbeat_visible_ms);
}

bool Room::evictable(int64_t now_ms, int64_t grace_ms) const {
  return members_.empty() && waiters_.empty() && now_ms - last_active_ms_ > grace_ms;
}

std::size_t Room::broadcast(const EventPtr& event, int64_t now_ms) {
  bool dropped = false;
  std::size_t queued = 0;
  for (auto it = members_.begin(); it != members_.end();) {
    const Delivery d = it->subscriber->deliver(event, /*replay=*/false);
    if (d == Delivery::kQueued) {
      // §5.1: an SSE member is "seen" whenever the server writes to it.
      if (it->kind == StreamKind::kSse) it->last_seen_ms = now_ms;
      ++it;
      ++queued;
      continue;
    }
    auto gone = std::move(it->subscriber);
    it = members_.erase(it);
    dropped = true;
    if (d == Delivery::kOverLimit) {
      // §20.15: a subscriber that cannot keep up is dropped, never waited for.
      inc(metrics_.slow_consumers_dropped);
      gone->drop_slow_consumer();
    }
  }
  if (dropped) local_presence_changed(now_ms);
  return queued;
}

void Room::broadcast_presence(int64_t now_ms) {
  boost::json::object p;
  p.emplace("type", "presence");
  p.emplace("size", stream_count());
  p.emplace("names", render_names(members_, remote_presence_));
  p.emplace("participants", render_participants(members_, heartbeats_, now_ms,
                                                limits_.heartbeat_visible_ms, remote_presence_));
  broadcast(render_event(boost::json::serialize(p)), now_ms);
}

EventPtr Room::render_ready(StreamKind kind, int64_t now_ms) const {
  boost::json::object r;
  r.emplace("type", "ready");
  r.emplace("roomId", id_);
  r.emplace("size", stream_count() + 1);  // §4.2: includes the joiner
  if (kind == StreamKind::kSse) r.emplace("last_seq", last_seq());
  // §4.2: computed before the joiner is added, so it never lists the joiner.
  r.emplace("participants", render_participants(members_, heartbeats_, now_ms,
                                                limits_.heartbeat_visible_ms, remote_presence_));
  r.emplace("signed_only", signed_only_);  // §20.5: surface the lock state
  return render_event(boost::json::serialize(r));
}

void Room::local_presence_changed(int64_t now_ms) {
  broadcast_presence(now_ms);
  if (presence_observer_) presence_observer_->local_presence_changed(*this);
}

std::size_t Room::stream_count() const {
  std::size_t n = members_.size();
  for (const auto& [node, p] : remote_presence_) n += static_cast<std::size_t>(p.streams);
  return n;
}

NodePresence Room::local_presence(int64_t now_ms, int64_t expires_ms) const {
  NodePresence p;
  p.streams = static_cast<int64_t>(members_.size());
  std::unordered_set<std::string_view> listed;
  for (const auto& m : members_) {
    if (m.name && listed.insert(*m.name).second) {
      p.members.push_back(Heartbeats::Entry{*m.name, m.box_pub, m.last_seen_ms});
    }
  }
  for (const auto& h : heartbeats_.entries()) {
    if (now_ms - h.last_seen_ms <= limits_.heartbeat_visible_ms) p.heartbeats.push_back(h);
  }
  p.expires_ms = expires_ms;
  return p;
}

void Room::set_remote_presence(const std::string& node, NodePresence presence, int64_t now_ms) {
  auto it = std::find_if(remote_presence_.begin(), remote_presence_.end(),
                         [&](const auto& entry) { return entry.first == node; });
  const bool gone = presence.streams == 0 && presence.heartbeats.empty();
  if (gone) {
    if (it == remote_presence_.end()) return;
    remote_presence_.erase(it);
  } else if (it == remote_presence_.end()) {
    remote_presence_.emplace_back(node, std::move(presence));
  } else {
    it->second = std::move(presence);
  }
  broadcast_presence(now_ms);
}

void Room::expire_remote_presence(int64_t now_ms) {
  const auto before = remote_presence_.size();
  std::erase_if(remote_presence_,
                [now_ms](const auto& entry) { return entry.second.expires_ms < now_ms; });
  if (remote_presence_.size() != before) broadcast_presence(now_ms);
}

StreamMember* Room::find_member(uint64_t id) {
  for (auto& m : members_) {
    if (m.id == id) return &m;
  }
  return nullptr;
}

}  // namespace b2b::core
