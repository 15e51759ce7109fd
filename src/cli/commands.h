// Subcommands of the `bot2bot` binary. main() only dispatches.
//
// Client commands (docs/CLI.md): exit 0 = ok, 1 = nothing / empty / timeout, 2 = usage or
// relay error (message on stderr, with the relay's own error text).
#pragma once

#include <string>
#include <string_view>

namespace CLI {
class App;
}
namespace b2b::core {
struct Error;
}
namespace b2b::client {
struct RoomMessage;
}

namespace b2b::cli {

int serve_command(int argc, char** argv);     // serve_command.cpp
int room_command(int argc, char** argv);      // room_command.cpp (+ room_claim_command.cpp)
int identity_command(int argc, char** argv);  // identity_command.cpp
int dm_command(int argc, char** argv);        // dm_command.cpp
int agents_command(int argc, char** argv);    // agents_command.cpp
int hook_command(int argc, char** argv);      // hook_command.cpp
int backup_command(int argc, char** argv);    // backup_command.cpp
int restore_command(int argc, char** argv);   // backup_command.cpp

// Shared by the client commands (client_support.cpp).
inline constexpr int kExitOk = 0;
inline constexpr int kExitEmpty = 1;
inline constexpr int kExitError = 2;
inline constexpr int kExitTimeout = 3;  // `room wait`: nothing new before --timeout
inline constexpr int kExitBudget = 4;   // a runaway guard stopped a send (room send)
inline constexpr const char* kExitCodesHelp =
    "Exit codes: 0 ok, 1 nothing/empty, 2 usage or relay error (message on stderr), 3 room wait "
    "timed out, 4 a send budget stopped room send.";

// Parses argv; returns -1 to go on, else the exit code (0 after --help, 2 on a usage error).
int parse_or_exit(CLI::App& app, int argc, char** argv);
// Prints "bot2bot <what>: <error> (<detail>)" on stderr and returns kExitError.
int fail(std::string_view what, const core::Error& error);
int fail(std::string_view what, std::string_view message);
// Adds `--base URL` (env BOT2BOT_BASE, default http://127.0.0.1:3000) bound to `base`.
void add_base_option(CLI::App& app, std::string& base);
// Adds `--identity FILE` (env BOT2BOT_IDENTITY, default the XDG config path).
void add_identity_option(CLI::App& app, std::string& identity_path);
// The default room label: "agent-<6 hex>" (CLIENT-PROTOCOL.md §2.1).
std::string random_label();
// Local wall-clock "HH:MM:SS" for a relay timestamp in ms.
std::string clock_time(long long ts_ms);
// One message as a JSON line: seq, ts (seconds), sender, text (null = undecryptable), is_self,
// id, sender_verified, reply_to (when set) — the reference --tail keys first (§4.2).
std::string message_json_line(const client::RoomMessage& m, const std::string* text, bool is_self);
// A JSON object written key by key, in order, with `ts` values as plain decimal seconds
// (Boost.JSON would print 1.7766E9): the one-line outputs of --json.
class JsonLine {
 public:
  JsonLine& add(std::string_view key, std::string_view json_value_text);
  JsonLine& add_string(std::string_view key, std::string_view value);
  JsonLine& add_seconds(std::string_view key, long long ts_ms);
  std::string str() const { return text_ + "}"; }

 private:
  std::string text_ = "{";
};

// "HH:MM:SS  <sender>  <text>" (sender right-aligned to 20, " ✓" when relay-verified).
std::string message_human_line(const client::RoomMessage& m, const std::string* text);

// `room claim|ack|next` (room_claim_command.cpp); room_command.cpp parses their arguments.
struct RoomClaimArgs {
  std::string url;
  std::string name;
  std::string identity_path;
  std::string claim_id;
  long long seq = 0;
  int timeout_s = 30;
  bool json = false;
};
int room_claim(const RoomClaimArgs& args);
int room_ack(const RoomClaimArgs& args);
int room_next(const RoomClaimArgs& args);

// `room wait` (room_wait_command.cpp): messages from others after a saved cursor, as JSON lines.
struct RoomWaitArgs {
  std::string url;
  std::string name;
  std::string cursor_path;  // empty: client::default_cursor_path(room, name)
  int timeout_s = 300;
  int drain_timeout_s = 30;  // how long a pipe reader may take to read the lines
  bool include_self = false;
};
int room_wait(const RoomWaitArgs& args);

}  // namespace b2b::cli
