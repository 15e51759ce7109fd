// `bot2bot room new|send|tail|wait|status|transcript|claim|ack|next` (docs/CLI.md).
#include <signal.h>
#include <CLI/CLI.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <iostream>
#include <iterator>
#include <thread>

#include "cli/commands.h"
#include "cli/message_hook.h"
#include "cli/tail_status.h"
#include "client/client_identity.h"
#include "client/cursor_file.h"
#include "client/relay_client.h"
#include "client/room_crypto.h"
#include "client/room_stream.h"
#include "client/room_tasks.h"
#include "client/room_url.h"
#include "client/send_budget.h"
#include "core/clock.h"

namespace b2b::cli {
namespace {

using client::RoomUrl;

struct RoomArgs {
  std::string base, url, text, name, reply_to, out, identity_path, exec, cursor_path, status_path;
  long long after = 0;
  int limit = 100;
  client::BudgetLimits budget;
  bool json = false, include_self = false, sign = false;
};

int room_new(const RoomArgs& a) {
  auto ep = client::parse_endpoint(a.base);
  if (!ep) return fail("room new", ep.error());
  auto room = client::make_room_url(ep.value(), client::new_room_id(), client::new_room_key());
  if (a.json) {
    boost::json::object o{{"url", room.to_string()},
                          {"room_id", room.room_id},
                          {"fingerprint", client::key_fingerprint(room.key)}};
    std::cout << boost::json::serialize(o) << "\n";
  } else {
    std::cout << room.to_string() << "\n";
  }
  return kExitOk;
}

int room_send(const RoomArgs& a) {
  auto room = client::parse_room_url(a.url);
  if (!room) return fail("room send", room.error());
  std::string text = a.text;
  if (text == "-") text.assign(std::istreambuf_iterator<char>(std::cin), {});
  std::optional<client::ClientIdentity> id;
  bool sign = a.sign || room.value().fragment("signed") == std::optional<std::string>("1");
  if (sign) {
    auto loaded = client::load_identity_file(a.identity_path);
    if (!loaded) return fail("room send", loaded.error());
    id = std::move(loaded).value();
  }
  if (!id && !a.name.empty() && a.name.front() == '@') {
    // CLIENT-PROTOCOL.md §6.3: "@handle" means relay-verified; an unsigned post must not
    // pretend to be one.
    return fail("room send", "an unsigned label cannot start with '@' (use --signed)");
  }
  client::RelayClient relay(room.value().endpoint);
  client::PostOptions options;
  options.sender = id ? "@" + id->handle() : (a.name.empty() ? random_label() : a.name);
  if (!a.reply_to.empty()) options.reply_to = a.reply_to;
  options.sign_as = id ? &*id : nullptr;

  // Runaway guards, per (room, label) across processes; a random one-off label has no
  // history to guard.
  const bool guarded = id || !a.name.empty();
  const std::string budget_path = client::budget_state_path(room.value().room_id, options.sender);
  std::optional<client::SendBudget> budget;
  if (guarded) {
    auto state = client::load_budget_state(budget_path);
    if (!state) return fail("room send", state.error());
    budget.emplace(a.budget, std::move(state).value());
    if (auto seen = client::observe_room(relay, room.value().room_id, *budget); !seen) {
      return fail("room send", seen.error());
    }
    if (auto stop = budget->check(core::wall_clock_ms())) {
      // Keep what was observed (best effort: the refusal is what matters here).
      (void)client::save_budget_state(budget_path, budget->state());
      fail("room send", *stop);
      return kExitBudget;
    }
  }
  auto posted = relay.post_text(room.value(), text, options);
  if (!posted) return fail("room send", posted.error());
  if (budget) {
    budget->record_send(core::wall_clock_ms(), posted.value().seq);
    if (auto saved = client::save_budget_state(budget_path, budget->state()); !saved) {
      std::cerr << "bot2bot room send: sent, but the budget file was not saved: "
                << saved.error().detail << "\n";
    }
  }
  if (a.json) {
    std::cout << boost::json::serialize(boost::json::object{{"id", posted.value().id},
                                                            {"seq", posted.value().seq},
                                                            {"sender", options.sender}})
              << "\n";
  } else {
    std::cout << "sent as \"" << options.sender << "\". message_id=" << posted.value().id
              << " seq=" << posted.value().seq << "\n";
  }
  return kExitOk;
}

// SIGINT/SIGTERM end `tail` cleanly (exit 0): a thread waits for them with sigwait and stops
// the stream (and an --exec retry loop), since nothing else is async-signal-safe.
class StopOnSignal {
 public:
  explicit StopOnSignal(client::RoomStream& stream) {
    sigemptyset(&set_);
    sigaddset(&set_, SIGINT);
    sigaddset(&set_, SIGTERM);
    sigaddset(&set_, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &set_, nullptr);
    waiter_ = std::thread([this, &stream] {
      int sig = 0;
      sigwait(&set_, &sig);
      stopping_.store(true);
      stream.stop();
    });
  }
  ~StopOnSignal() {
    pthread_kill(waiter_.native_handle(), SIGUSR1);
    waiter_.join();
  }
  const std::atomic<bool>& stopping() const { return stopping_; }

 private:
  sigset_t set_;
  std::atomic<bool> stopping_{false};
  std::thread waiter_;
};

// --exec resumes from a cursor file (shared with `room wait`), created at the room's end.
core::Result<int64_t> exec_start_seq(const RoomUrl& room, const std::string& cursor_path,
                                     const std::string& name) {
  auto loaded = client::load_cursor(cursor_path);
  if (!loaded) return loaded.error();
  if (loaded.value()) return *loaded.value();
  client::RelayClient relay(room.endpoint);
  auto now = relay.transcript(room.room_id, 0, 1);
  if (!now) return now.error();
  int64_t start = std::max(now.value().last_seq, now.value().dropped_through);
  if (auto saved = client::save_cursor(cursor_path, start, room.room_id, name); !saved) {
    return saved.error();
  }
  return start;
}

int room_tail(const RoomArgs& a) {
  auto room = client::parse_room_url(a.url);
  if (!room) return fail("room tail", room.error());
  const bool exec = !a.exec.empty();
  if (exec && a.name.empty())
    return fail("room tail", "--exec needs --name (the cursor is per label)");
  std::ofstream file;
  if (!a.out.empty() && a.out != "-") {
    file.open(a.out, std::ios::app | std::ios::binary);
    if (!file) return fail("room tail", "cannot open " + a.out + " for appending");
  }
  std::ostream& out = file.is_open() ? static_cast<std::ostream&>(file) : std::cout;
  std::string name = a.name.empty() ? random_label() : a.name;
  client::StreamOptions options;
  options.after = a.after;
  options.name = name;
  std::string cursor_path;
  if (exec) {
    ::signal(SIGPIPE, SIG_IGN);  // a command that does not read its stdin is not an error
    cursor_path = a.cursor_path.empty() ? client::default_cursor_path(room.value().room_id, name)
                                        : a.cursor_path;
    auto start = exec_start_seq(room.value(), cursor_path, name);
    if (!start) return fail("room tail", start.error());
    options.after = start.value();
  }
  client::RoomStream stream(room.value().endpoint, room.value().room_id, options);
  TailStatus status(a.status_path, room.value().room_id);
  status.set("connecting");
  bool ever_connected = false;
  std::optional<core::Error> first_failure;
  StopOnSignal stop_on_signal(stream);
  MessageHook hook(a.exec, stop_on_signal.stopping());
  auto result = stream.run([&](const client::StreamEvent& ev) {
    using Kind = client::StreamEvent::Kind;
    if (ev.kind == Kind::kConnected) {
      if (ever_connected) std::cerr << "bot2bot room tail: reconnected\n";
      ever_connected = true;
      status.set("connected");
    } else if (ev.kind == Kind::kDisconnected) {
      if (!ever_connected) {
        // Never reached the relay at all: most likely a wrong URL or a relay that is down.
        first_failure = core::Error{"cannot follow the room", ev.error};
        return false;
      }
      std::cerr << "bot2bot room tail: stream interrupted (" << ev.error << "); resuming\n";
      status.set("reconnecting", ev.error);
    } else if (ev.kind == Kind::kMessage) {
      const auto& m = ev.message;
      bool is_self = m.sender == name;
      auto text = client::open_message(room.value().key, m);
      bool shown = (!is_self || a.include_self) && !(text && client::is_envelope(*text));
      if (shown && exec) {
        if (!hook.deliver(message_json_line(m, text ? &*text : nullptr, is_self),
                          room.value().room_id, m.seq, m.sender)) {
          return false;  // stopping: this message stays after the cursor, for next time
        }
      } else if (shown) {
        out << (a.json ? message_json_line(m, text ? &*text : nullptr, is_self)
                       : message_human_line(m, text ? &*text : nullptr))
            << "\n";
        out.flush();
      }
      if (exec) {
        if (auto saved = client::save_cursor(cursor_path, m.seq, room.value().room_id, name);
            !saved) {
          first_failure = saved.error();
          return false;
        }
      }
      status.event(m.seq);
    }
    return true;
  });
  status.set("stopped");
  if (!result) return fail("room tail", result.error());
  if (first_failure) return fail("room tail", *first_failure);
  return kExitOk;
}

int room_status(const RoomArgs& a) {
  auto room = client::parse_room_url(a.url);
  if (!room) return fail("room status", room.error());
  client::RelayClient relay(room.value().endpoint);
  auto s = relay.status(room.value().room_id);
  if (!s) return fail("room status", s.error());
  const auto& st = s.value();
  if (a.json) {
    std::cout << boost::json::serialize(boost::json::object{
                     {"exists", st.exists},
                     {"roomId", room.value().room_id},
                     {"participants", st.participants},
                     {"recent_count", st.recent_count},
                     {"last_seq", st.last_seq},
                     {"age_seconds", st.age_seconds},
                     {"idle_seconds", st.idle_seconds},
                     {"signed_only", st.signed_only},
                     {"fingerprint", client::key_fingerprint(room.value().key)}})
              << "\n";
  } else if (!st.exists) {
    std::cout << "Room " << room.value().room_id
              << " does not currently exist on the relay (it is created by the first post or "
                 "stream)\n";
  } else {
    std::cout << "Room " << room.value().room_id << "\n"
              << "  participants: " << st.participants << "\n"
              << "  recent_count: " << st.recent_count << "\n"
              << "  last_seq: " << st.last_seq << "\n"
              << "  age: " << st.age_seconds << "s\n"
              << "  idle: " << st.idle_seconds << "s\n"
              << "  signed_only: " << (st.signed_only ? "yes" : "no") << "\n"
              << "  key fingerprint: " << client::key_fingerprint(room.value().key) << "\n";
  }
  return st.exists ? kExitOk : kExitEmpty;
}

int room_transcript(const RoomArgs& a) {
  auto room = client::parse_room_url(a.url);
  if (!room) return fail("room transcript", room.error());
  client::RelayClient relay(room.value().endpoint);
  auto page = relay.transcript(room.value().room_id, a.after, a.limit);
  if (!page) return fail("room transcript", page.error());
  int shown = 0;
  for (const auto& m : page.value().messages) {
    auto text = client::open_message(room.value().key, m);
    if (text && client::is_envelope(*text)) continue;
    bool is_self = !a.name.empty() && m.sender == a.name;
    std::cout << (a.json ? message_json_line(m, text ? &*text : nullptr, is_self)
                         : message_human_line(m, text ? &*text : nullptr))
              << "\n";
    ++shown;
  }
  return shown > 0 ? kExitOk : kExitEmpty;
}

}  // namespace

int room_command(int argc, char** argv) {
  CLI::App app{"Rooms: create, send, follow, inspect, and claim work.", "bot2bot room"};
  app.require_subcommand(1);
  RoomArgs a;
  RoomClaimArgs c;
  RoomWaitArgs w;

  auto* mk = app.add_subcommand("new", "Print a fresh room URL (random id and key)");
  add_base_option(*mk, a.base);
  mk->add_flag("--json", a.json, "Print {url, room_id, fingerprint}");

  auto* send = app.add_subcommand("send", "Seal TEXT with the room key and post it");
  send->add_option("URL", a.url, "Room URL <base>/room/<id>#k=<key>")->required();
  send->add_option("TEXT", a.text, "Message text; '-' reads standard input")->required();
  send->add_option("--name", a.name, "Sender label (default agent-<6 hex>)");
  send->add_option("--reply-to", a.reply_to, "Id of the message this answers");
  send->add_flag("--signed", a.sign, "Sign with your identity (label becomes @handle)");
  send->add_option("--human", a.budget.humans,
                   "A sender label that is a person: their messages reset the unattended "
                   "budget (repeatable; env BOT2BOT_HUMANS, comma-separated)")
      ->envname("BOT2BOT_HUMANS")
      ->delimiter(',');
  send->add_option("--max-per-minute", a.budget.per_minute,
                   "Runaway guard: at most N sends to this room per minute under this label "
                   "(0 = off)")
      ->envname("BOT2BOT_MAX_SENDS_PER_MINUTE")
      ->capture_default_str();
  send->add_option("--max-unattended", a.budget.max_unattended,
                   "Runaway guard: at most N sends in a row without a message from a --human "
                   "(0 = off)")
      ->envname("BOT2BOT_MAX_UNATTENDED")
      ->capture_default_str();
  add_identity_option(*send, a.identity_path);
  send->add_flag("--json", a.json, "Print {id, seq, sender}");

  auto* tail = app.add_subcommand(
      "tail", "Follow the room forever (replay, then live), resuming through disconnects");
  tail->add_option("URL", a.url, "Room URL")->required();
  tail->add_option("--name", a.name, "Your label: presence name and is_self (default random)");
  tail->add_option("--out", a.out, "Append lines to FILE (flushed per line) instead of stdout");
  tail->add_flag("--json", a.json,
                 "One JSON object per line: seq, ts (s), sender, text, is_self, id, "
                 "sender_verified, reply_to");
  tail->add_flag("--include-self", a.include_self, "Also show messages sent under --name");
  tail->add_option("--after", a.after, "Start after this seq (default: the whole buffer)");
  tail->add_option("--exec", a.exec,
                   "Run CMD (sh -c) once per new message from others, in seq order, never "
                   "overlapping: the message's JSON line on stdin, BOT2BOT_ROOM, BOT2BOT_SEQ and "
                   "BOT2BOT_SENDER in its environment. The cursor advances only after CMD exits "
                   "0; failures are retried after 0.5 s, doubling up to 30 s. Needs --name");
  tail->add_option("--cursor", a.cursor_path,
                   "--exec cursor file (default: the one `room wait` uses for --name)");
  tail->add_option("--status", a.status_path,
                   "Keep FILE updated with {state, pid, last_seq, last_event_ms} so a harness "
                   "can tell a dead tail from a quiet room");

  auto* status = app.add_subcommand("status", "Show the room's relay status");
  status->add_option("URL", a.url, "Room URL")->required();
  status->add_flag("--json", a.json, "Print the status as JSON");

  auto* tr = app.add_subcommand("transcript", "Print the buffered messages once");
  tr->add_option("URL", a.url, "Room URL")->required();
  tr->add_option("--after", a.after, "Only messages after this seq");
  tr->add_option("--limit", a.limit, "At most this many (1-500)")->capture_default_str();
  tr->add_option("--name", a.name, "Your label (for is_self)");
  tr->add_flag("--json", a.json, "One JSON object per line (same keys as tail --json)");

  auto* wait = app.add_subcommand(
      "wait",
      "Print every message from others after your saved cursor as JSON lines, oldest first; "
      "return as soon as there is one (exit 0), or exit 3 at --timeout. The cursor advances "
      "only after the lines were written, so re-arming never loses a message");
  wait->add_option("URL", w.url, "Room URL")->required();
  wait->add_option("--name", w.name, "Your label: its messages never end a wait")->required();
  wait->add_option("--cursor", w.cursor_path,
                   "Cursor file (default $XDG_STATE_HOME/bot2bot/cursors/<room>.<name>.json; "
                   "created at the room's last seq on first use)");
  wait->add_option("--timeout", w.timeout_s, "Seconds to wait for a message")
      ->capture_default_str()
      ->check(CLI::Range(0, 86400));
  wait->add_flag("--include-self", w.include_self, "Messages under --name end a wait too");
  wait->add_option("--drain-timeout", w.drain_timeout_s,
                   "When stdout is a pipe: seconds the reader may take to read the lines before "
                   "the wait gives up and leaves the cursor (exit 2)")
      ->capture_default_str()
      ->check(CLI::Range(0, 3600));
  bool wait_json = false;
  wait->add_flag("--json", wait_json, "Accepted for symmetry: JSON lines are the only output");

  auto add_claim_common = [&c](CLI::App* sub) {
    sub->add_option("URL", c.url, "Room URL")->required();
    add_identity_option(*sub, c.identity_path);
    sub->add_flag("--json", c.json, "Print one JSON line (CLIENT-PROTOCOL.md §4.2)");
  };
  auto* claim = app.add_subcommand(
      "claim", "Claim the next foreign message with your server-side cursor (not acked)");
  add_claim_common(claim);
  claim->add_option("--name", c.name, "Your label, excluded from claims (default: handle)");
  claim->add_option("--timeout", c.timeout_s, "Seconds to wait (1-90)")->capture_default_str();
  auto* ack = app.add_subcommand("ack", "Acknowledge a claim, advancing your cursor");
  add_claim_common(ack);
  ack->add_option("CLAIM_ID", c.claim_id, "claim_id from `room claim`")->required();
  ack->add_option("SEQ", c.seq, "seq from `room claim`")->required();
  auto* next = app.add_subcommand("next", "Claim the next foreign message and ack it");
  add_claim_common(next);
  next->add_option("--name", c.name, "Your label, excluded from claims (default: handle)");
  next->add_option("--timeout", c.timeout_s, "Seconds to wait (1-90)")->capture_default_str();

  if (int rc = parse_or_exit(app, argc, argv); rc >= 0) return rc;
  if (*mk) return room_new(a);
  if (*send) return room_send(a);
  if (*tail) return room_tail(a);
  if (*wait) return room_wait(w);
  if (*status) return room_status(a);
  if (*tr) return room_transcript(a);
  if (*claim) return room_claim(c);
  if (*ack) return room_ack(c);
  if (*next) return room_next(c);
  return kExitError;
}

}  // namespace b2b::cli
