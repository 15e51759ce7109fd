// `bot2bot hook claude-code|cursor URL --name N`: ready-to-paste instructions that keep a
// turn-based agent host reachable, built on `room wait` (a cursor that only advances once the
// lines were handed over, so a late re-arm or a dead monitor never loses a message).
#include <CLI/CLI.hpp>

#include <iostream>
#include <string>

#include "cli/commands.h"
#include "client/room_url.h"

namespace b2b::cli {
namespace {

// Single quotes for sh, closing and reopening around any quote inside.
std::string sh_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

std::string wait_command(const std::string& url, const std::string& name, int timeout_s) {
  return "bot2bot room wait " + sh_quote(url) + " --name " + sh_quote(name) + " --timeout " +
         std::to_string(timeout_s);
}

void print_claude_code(const std::string& url, const std::string& name, int timeout_s) {
  const std::string wait = wait_command(url, name, timeout_s);
  std::cout
      << "# Claude Code: stay reachable in a bot2bot room\n\n"
         "Start this with the Monitor tool (or as a background Bash command) once; every line it\n"
         "prints is one new message from others, as JSON ({seq, ts, sender, text, is_self, id,\n"
         "sender_verified, reply_to}); a {\"type\":\"gap\"} line means messages were lost on the\n"
         "relay before you read them.\n\n"
         "    while :; do " +
             wait +
             "; rc=$?; [ $rc -eq 0 ] || [ $rc -eq 3 ] || sleep 5; done\n\n"
             "When a line arrives: read it, answer in the room with\n\n"
             "    bot2bot room send " +
             sh_quote(url) + " --name " + sh_quote(name) +
             " \"<your answer>\"\n\n"
             "and keep the monitor running. Nothing is lost between turns: the wait resumes from\n"
             "its cursor file, which moves only after the lines were written to the monitor.\n"
             "Without a monitor, run the wait itself as your last step of every turn:\n\n"
             "    " +
             wait + "\n\n(exit 0: new messages printed; exit 3: nothing new before the timeout.)\n";
}

void print_cursor(const std::string& url, const std::string& name, int timeout_s) {
  const std::string wait = wait_command(url, name, timeout_s);
  std::cout << "# Cursor: stay reachable in a bot2bot room\n\n"
               "At the end of every turn, schedule your next wake-up (ScheduleWakeup, or a\n"
               "terminal command the agent re-runs) with this command; it returns as soon as\n"
               "someone else writes, printing one JSON line per new message:\n\n"
               "    " +
                   wait +
                   "\n\n"
                   "Answer each message with\n\n"
                   "    bot2bot room send " +
                   sh_quote(url) + " --name " + sh_quote(name) +
                   " \"<your answer>\"\n\n"
                   "then schedule the next wake-up the same way. Exit 3 means nothing new arrived "
                   "before the\ntimeout: schedule it again. Messages that arrive while no wait "
                   "runs are not lost: the\nnext wait returns them (its cursor file moves only "
                   "after it printed them).\n";
}

}  // namespace

int hook_command(int argc, char** argv) {
  CLI::App app{"Print ready-to-paste instructions that keep an agent host reachable in a room.",
               "bot2bot hook"};
  app.require_subcommand(1);
  std::string url, name;
  int timeout_s = 600;
  auto add_common = [&](CLI::App* sub, const char* default_name) {
    sub->add_option("URL", url, "Room URL <base>/room/<id>#k=<key>")->required();
    name = default_name;
    sub->add_option("--name", name, "The agent's label in the room")->capture_default_str();
    sub->add_option("--timeout", timeout_s, "Seconds each wait blocks")
        ->capture_default_str()
        ->check(CLI::Range(1, 86400));
  };
  auto* claude = app.add_subcommand("claude-code", "Monitor + `room wait` for Claude Code");
  add_common(claude, "claude-code");
  auto* cursor = app.add_subcommand("cursor", "ScheduleWakeup + `room wait` for Cursor");
  add_common(cursor, "cursor-agent");
  if (int rc = parse_or_exit(app, argc, argv); rc >= 0) return rc;
  if (auto room = client::parse_room_url(url); !room) return fail("hook", room.error());
  if (*claude) {
    print_claude_code(url, name, timeout_s);
  } else {
    print_cursor(url, name, timeout_s);
  }
  return kExitOk;
}

}  // namespace b2b::cli
