// `room tail --status FILE`: a small JSON file a harness reads to tell a dead tail from a quiet
// room — replaced atomically on every connection change and event:
//   {"state":"connecting"|"connected"|"reconnecting"|"stopped","pid":N,"room":"<id>",
//    "last_seq":S,"last_event_ms":T,"updated_ms":U,"error":"<why, when reconnecting>"}
// A harness checks that `pid` is alive and `state` is "connected"; `last_event_ms` ages by at
// most the relay's 15 s keepalive interval plus the stream's idle timeout while all is well.
#pragma once

#include <cstdint>
#include <string>

namespace b2b::cli {

class TailStatus {
 public:
  TailStatus(std::string path, std::string room_id)
      : path_(std::move(path)), room_id_(std::move(room_id)) {}

  void set(const std::string& state, const std::string& error = "");
  void event(int64_t seq);

 private:
  void write();

  std::string path_;  // empty: disabled
  std::string room_id_;
  std::string state_ = "connecting";
  std::string error_;
  int64_t last_seq_ = 0;
  int64_t last_event_ms_ = 0;
};

}  // namespace b2b::cli
