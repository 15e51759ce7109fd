#include "cli/tail_status.h"

#include <unistd.h>
#include <boost/json/serialize.hpp>

#include <iostream>

#include "client/atomic_file.h"
#include "core/clock.h"

namespace b2b::cli {
namespace {

int64_t now_ms() {
  return core::wall_clock_ms();
}

}  // namespace

void TailStatus::set(const std::string& state, const std::string& error) {
  state_ = state;
  error_ = error;
  if (state == "connected") last_event_ms_ = now_ms();
  write();
}

void TailStatus::event(int64_t seq) {
  if (seq > last_seq_) last_seq_ = seq;
  last_event_ms_ = now_ms();
  write();
}

void TailStatus::write() {
  if (path_.empty()) return;
  boost::json::object o{
      {"state", state_},       {"pid", static_cast<int64_t>(::getpid())}, {"room", room_id_},
      {"last_seq", last_seq_}, {"last_event_ms", last_event_ms_},         {"updated_ms", now_ms()}};
  if (!error_.empty()) o["error"] = error_;
  if (auto ok = client::write_file_atomically(path_, boost::json::serialize(o) + "\n", 0644); !ok) {
    std::cerr << "bot2bot room tail: cannot write --status file: " << ok.error().detail << "\n";
  }
}

}  // namespace b2b::cli
