#include "mcp/room_session.h"

#include <iostream>

namespace b2b::mcp {

RoomSession::RoomSession(client::RoomUrl url, std::string label)
    : room_id_(url.room_id), url_(std::move(url)), label_(std::move(label)) {}

RoomSession::~RoomSession() {
  stop_presence();
}

client::RoomUrl RoomSession::url() const {
  std::lock_guard lock(mu_);
  return url_;
}

void RoomSession::replace_key(std::string key) {
  std::lock_guard lock(mu_);
  url_.key = std::move(key);
}

std::string RoomSession::label() const {
  std::lock_guard lock(mu_);
  return label_;
}

void RoomSession::set_label(std::string label) {
  std::lock_guard lock(mu_);
  if (label == label_) return;
  label_ = std::move(label);
  restart_stream_locked();
}

void RoomSession::record_posted_label(const std::string& label) {
  std::lock_guard lock(mu_);
  posted_labels_.insert(label);
}

std::vector<std::string> RoomSession::exclusion_labels() const {
  std::lock_guard lock(mu_);
  std::set<std::string> all = posted_labels_;
  all.insert(label_);
  return {all.begin(), all.end()};
}

client::SendBudget& RoomSession::budget(const client::BudgetLimits& limits) {
  if (!budget_) budget_.emplace(limits, client::BudgetState{});
  return *budget_;
}

void RoomSession::note_seq(std::int64_t seq) {
  std::lock_guard lock(mu_);
  highest_seq_ = std::max(highest_seq_, seq);
}

std::int64_t RoomSession::highest_seq() const {
  std::lock_guard lock(mu_);
  return highest_seq_;
}

void RoomSession::start_presence(std::string box_pub_b64url, MessageHandler on_message) {
  std::lock_guard lock(mu_);
  if (thread_.joinable() || stopping_) return;
  box_pub_ = std::move(box_pub_b64url);
  on_message_ = std::move(on_message);
  thread_ = std::thread([this] { presence_loop(); });
}

void RoomSession::set_presence_box_pub(std::string box_pub_b64url) {
  std::lock_guard lock(mu_);
  if (box_pub_b64url == box_pub_) return;
  box_pub_ = std::move(box_pub_b64url);
  restart_stream_locked();
}

// The presence parameters are fixed per SSE connection (ROOMS.md §5.1), so a new label or
// key means a new connection; the loop reopens it from the highest seq seen.
void RoomSession::restart_stream_locked() {
  if (stream_ != nullptr) stream_->stop();
}

void RoomSession::stop_presence() {
  std::thread presence;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    if (stream_ != nullptr) stream_->stop();
    presence = std::move(thread_);
  }
  if (presence.joinable()) presence.join();
  // Presence may start again later (the room is used again after being set aside).
  std::lock_guard lock(mu_);
  stopping_ = false;
}

void RoomSession::presence_loop() {
  for (;;) {
    std::unique_lock lock(mu_);
    if (stopping_) return;
    client::StreamOptions options;
    options.after = highest_seq_;
    options.name = label_;
    options.box_pub = box_pub_;
    client::RoomStream stream(url_.endpoint, room_id_, std::move(options));
    stream_ = &stream;
    lock.unlock();
    // RoomStream reconnects by itself; run() returns only on stop() or a fatal 400.
    core::Result<std::monostate> ended = stream.run([this](const client::StreamEvent& ev) {
      if (ev.kind == client::StreamEvent::Kind::kMessage) {
        note_seq(ev.message.seq);
        if (on_message_) on_message_(*this, ev.message);
      }
      return true;
    });
    lock.lock();
    stream_ = nullptr;
    if (!ended) {
      std::cerr << "bot2bot mcp: presence in room " << room_id_
                << " stopped: " << ended.error().error << "\n";
      return;
    }
  }
}

}  // namespace b2b::mcp
