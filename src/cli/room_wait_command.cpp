// `bot2bot room wait URL --name N [--cursor FILE] [--timeout S] [--include-self]`: the re-armable
// wake-up of turn-based agents. It prints every message from others after the saved cursor as
// JSON lines and returns; the cursor moves only after those lines were written and flushed, so
// a monitor that died (closed pipe) gets the same messages again from the next wait.
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <iostream>
#include <string>
#include <thread>

#include "cli/commands.h"
#include "client/cursor_file.h"
#include "client/relay_client.h"
#include "client/room_crypto.h"
#include "client/room_tasks.h"
#include "client/room_url.h"

namespace b2b::cli {
namespace {

// Writes all of `text` to stdout with write(2), so a reader that went away shows up as an error
// (EPIPE, with SIGPIPE ignored) instead of killing us before we can keep the cursor unchanged.
bool write_stdout(const std::string& text) {
  std::size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(STDOUT_FILENO, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return ::fsync(STDOUT_FILENO) == 0 || errno == EINVAL || errno == EROFS;  // pipes/ttys: EINVAL
}

// On a pipe, "written" is not "handed over": the lines may sit in the pipe's buffer while the
// monitor is stuck or dying. Wait until the reader has taken every byte (FIONREAD on the pipe
// counts what is unread), at most `drain_s`; false if it has not.
bool reader_took_everything(int drain_s) {
  struct stat st {};
  if (::fstat(STDOUT_FILENO, &st) != 0 || !S_ISFIFO(st.st_mode)) return true;
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(drain_s);
  for (;;) {
    int unread = 0;
    if (::ioctl(STDOUT_FILENO, FIONREAD, &unread) != 0) return true;  // cannot tell: trust write
    if (unread == 0) return true;
    if (std::chrono::steady_clock::now() >= until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

}  // namespace

int room_wait(const RoomWaitArgs& a) {
  constexpr const char* kWhat = "room wait";
  ::signal(SIGPIPE, SIG_IGN);
  auto room = client::parse_room_url(a.url);
  if (!room) return fail(kWhat, room.error());
  const auto& r = room.value();
  std::string cursor_path =
      a.cursor_path.empty() ? client::default_cursor_path(r.room_id, a.name) : a.cursor_path;
  client::RelayClient relay(r.endpoint);

  auto loaded = client::load_cursor(cursor_path);
  if (!loaded) return fail(kWhat, loaded.error());
  int64_t cursor = 0;
  if (loaded.value()) {
    cursor = *loaded.value();
  } else {
    // First use: start at the room's current end, so an agent joining a busy room is not
    // woken by its whole history (0 for a room that has no messages yet).
    // (Nor told of a gap it never had: messages an evicted incarnation held count as seen.)
    auto now = relay.transcript(r.room_id, 0, 1);
    if (!now) return fail(kWhat, now.error());
    cursor = std::max(now.value().last_seq, now.value().dropped_through);
    if (auto saved = client::save_cursor(cursor_path, cursor, r.room_id, a.name); !saved) {
      return fail(kWhat, saved.error());
    }
  }

  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + std::chrono::seconds(std::max(0, a.timeout_s));
  do {
    auto left = std::chrono::duration_cast<std::chrono::seconds>(deadline - Clock::now()).count();
    // The relay holds a /wait for 1–90 s (ROOMS.md §6.4); longer waits are several polls.
    int poll_s = static_cast<int>(std::clamp<int64_t>(left, 1, 90));
    auto page = relay.wait(r.room_id, cursor, poll_s);
    if (!page) return fail(kWhat, page.error());

    std::string lines;
    int64_t newest = cursor;
    if (page.value().dropped_through > cursor) {
      // Messages after the cursor are gone (buffer caps, eviction, a relay restart): say so
      // first, never a silent loss; what is still there follows.
      int64_t first = 0;
      for (const auto& m : page.value().messages) {
        if (m.seq > cursor) {
          first = m.seq;
          break;
        }
      }
      JsonLine gap;
      gap.add_string("type", "gap")
          .add("after", std::to_string(cursor))
          .add("first_available", first > 0 ? std::to_string(first) : "null");
      lines += gap.str() + "\n";
      newest = page.value().dropped_through;
    }
    for (const auto& m : page.value().messages) {
      if (m.seq <= cursor) continue;  // a woken wait may carry older records; never repeat them
      newest = std::max(newest, m.seq);
      bool is_self = m.sender == a.name;
      if (is_self && !a.include_self) continue;
      auto text = client::open_message(r.key, m);
      if (text && client::is_envelope(*text)) continue;  // protocol traffic, not a wake-up
      lines += message_json_line(m, text ? &*text : nullptr, is_self) + "\n";
    }
    const bool news = !lines.empty();
    if (news && !write_stdout(lines)) {
      std::cerr << "bot2bot room wait: could not write the messages (" << std::strerror(errno)
                << "); cursor left at " << cursor << "\n";
      return kExitError;
    }
    if (news && !reader_took_everything(a.drain_timeout_s)) {
      std::cerr << "bot2bot room wait: nobody read the messages within " << a.drain_timeout_s
                << " s; cursor left at " << cursor << " (the next wait prints them again)\n";
      return kExitError;
    }
    if (newest != cursor) {
      // Only now: the lines (if any) are out. Self and protocol messages move the cursor too,
      // so they are not fetched again.
      if (auto saved = client::save_cursor(cursor_path, newest, r.room_id, a.name); !saved) {
        return fail(kWhat, saved.error());
      }
      cursor = newest;
    }
    if (news) return kExitOk;
  } while (Clock::now() < deadline);
  return kExitTimeout;
}

}  // namespace b2b::cli
