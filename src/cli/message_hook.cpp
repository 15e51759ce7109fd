#include "cli/message_hook.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <iostream>
#include <thread>
#include <vector>

extern char** environ;

namespace b2b::cli {

bool MessageHook::deliver(const std::string& json_line, const std::string& room_id, int64_t seq,
                          const std::string& sender) {
  int delay_ms = 500;
  for (int attempt = 1; !stopping_.load(); ++attempt) {
    const int status = run_once(json_line, room_id, seq, sender);
    if (status == 0) return true;
    std::cerr << "bot2bot room tail: --exec command "
              << (status < 0 ? std::string("could not run or was killed")
                             : "exited " + std::to_string(status))
              << " for seq " << seq << " (attempt " << attempt << "); retrying in "
              << delay_ms / 1000.0 << " s\n";
    if (!pause(delay_ms)) break;
    delay_ms = std::min(delay_ms * 2, 30'000);
  }
  return false;
}

int MessageHook::run_once(const std::string& json_line, const std::string& room_id, int64_t seq,
                          const std::string& sender) {
  int in[2];
  if (::pipe2(in, O_CLOEXEC) != 0) return -1;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], STDIN_FILENO);

  // The parent's environment plus the message's coordinates.
  std::vector<std::string> extra = {"BOT2BOT_ROOM=" + room_id, "BOT2BOT_SEQ=" + std::to_string(seq),
                                    "BOT2BOT_SENDER=" + sender};
  std::vector<char*> env;
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::strncmp(*e, "BOT2BOT_ROOM=", 13) != 0 && std::strncmp(*e, "BOT2BOT_SEQ=", 12) != 0 &&
        std::strncmp(*e, "BOT2BOT_SENDER=", 15) != 0) {
      env.push_back(*e);
    }
  }
  for (auto& e : extra) env.push_back(e.data());
  env.push_back(nullptr);
  std::string sh = "/bin/sh", dash_c = "-c", cmd = command_;
  char* argv[] = {sh.data(), dash_c.data(), cmd.data(), nullptr};

  pid_t pid = 0;
  const int spawned = ::posix_spawn(&pid, "/bin/sh", &actions, nullptr, argv, env.data());
  posix_spawn_file_actions_destroy(&actions);
  ::close(in[0]);
  if (spawned != 0) {
    ::close(in[1]);
    return -1;
  }
  // A command that ignores its stdin may exit before reading: EPIPE is fine (SIGPIPE is
  // ignored by the caller), the exit status decides.
  std::string payload = json_line + "\n";
  for (std::size_t done = 0; done < payload.size();) {
    ssize_t n = ::write(in[1], payload.data() + done, payload.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<std::size_t>(n);
  }
  ::close(in[1]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

bool MessageHook::pause(int ms) const {
  using Clock = std::chrono::steady_clock;
  const auto until = Clock::now() + std::chrono::milliseconds(ms);
  while (Clock::now() < until) {
    if (stopping_.load()) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return !stopping_.load();
}

}  // namespace b2b::cli
