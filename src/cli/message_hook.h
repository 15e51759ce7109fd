// `room tail --exec CMD`: runs CMD once per message, one at a time, until it succeeds.
//
// CMD runs under `sh -c` with the message's JSON line on stdin and BOT2BOT_ROOM, BOT2BOT_SEQ,
// BOT2BOT_SENDER in its environment. A non-zero exit (or a signal) is reported on stderr and
// retried after 0.5 s, doubling up to 30 s: at-least-once, never two messages at once, never a
// later message before an earlier one succeeded. `stopping` ends the retries (SIGINT/SIGTERM).
#pragma once

#include <atomic>
#include <string>

namespace b2b::cli {

class MessageHook {
 public:
  MessageHook(std::string command, const std::atomic<bool>& stopping)
      : command_(std::move(command)), stopping_(stopping) {}

  // True once CMD exited 0 for this message; false if stopped first.
  bool deliver(const std::string& json_line, const std::string& room_id, int64_t seq,
               const std::string& sender);

 private:
  // The exit status of one run (-1 when it could not be started or died of a signal).
  int run_once(const std::string& json_line, const std::string& room_id, int64_t seq,
               const std::string& sender);
  // Sleeps up to `ms`, waking early when stopping; false if stopping.
  bool pause(int ms) const;

  std::string command_;
  const std::atomic<bool>& stopping_;
};

}  // namespace b2b::cli
