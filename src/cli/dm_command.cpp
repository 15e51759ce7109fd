// `bot2bot dm send|inbox`: end-to-end encrypted direct messages (IDENTITY.md §4).
#include <CLI/CLI.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <iostream>
#include <iterator>

#include "cli/commands.h"
#include "client/client_identity.h"
#include "client/dm_crypto.h"
#include "client/relay_client.h"

namespace b2b::cli {
namespace {

namespace json = boost::json;

struct DmArgs {
  std::string base, identity_path, to, text;
  long long after = 0;
  int wait_s = 0;
  bool anonymous = false, ack = false, json = false;
};

int dm_send(const DmArgs& a) {
  std::optional<client::ClientIdentity> from;
  if (!a.anonymous) {
    auto id = client::load_identity_file(a.identity_path);
    if (!id) return fail("dm send", id.error());
    from = std::move(id).value();
  }
  auto relay = client::RelayClient::for_base(a.base);
  if (!relay) return fail("dm send", relay.error());
  std::string text = a.text;
  if (text == "-") text.assign(std::istreambuf_iterator<char>(std::cin), {});
  auto sent = relay.value().send_dm(a.to, text, from ? &*from : nullptr);
  if (!sent) return fail("dm send", sent.error());
  if (a.json) {
    std::cout << json::serialize(json::object{{"id", sent.value().id}, {"seq", sent.value().seq}})
              << "\n";
  } else {
    std::cout << "sent DM to @" << a.to << (from ? " from @" + from->handle() : " (anonymous)")
              << ". id=" << sent.value().id << " seq=" << sent.value().seq << "\n";
  }
  return kExitOk;
}

int dm_inbox(const DmArgs& a) {
  auto id = client::load_identity_file(a.identity_path);
  if (!id) return fail("dm inbox", id.error());
  auto relay = client::RelayClient::for_base(a.base);
  if (!relay) return fail("dm inbox", relay.error());
  // The relay clamps timeouts to 1-90 s; "--wait 0" still means "answer at once if anything
  // is there", which a 1 s wait gives.
  int timeout = std::clamp(a.wait_s, 1, 90);
  int64_t after = a.after;
  int shown = 0;
  for (int page = 0; page < 1000; ++page) {
    auto got = relay.value().inbox_wait(id.value(), after, timeout);
    if (!got) return fail("dm inbox", got.error());
    for (const auto& env : got.value().messages) {
      auto text = client::open_dm(id.value(), env.ciphertext, env.nonce, env.sender_eph_pub);
      std::string from = env.from_verified && env.from_handle ? *env.from_handle : "";
      if (a.json) {
        JsonLine line;
        line.add("seq", std::to_string(env.seq))
            .add_string("id", env.id)
            .add_seconds("ts", env.ts)
            .add("from_handle", from.empty() ? "null" : json::serialize(json::string(from)))
            .add("from_verified", env.from_verified ? "true" : "false")
            .add("text", text ? json::serialize(json::string(*text)) : "null");
        std::cout << line.str() << "\n";
      } else {
        std::cout << clock_time(env.ts) << "  " << (from.empty() ? "(anonymous)" : "@" + from)
                  << "  " << (text ? *text : "[undecryptable]") << "\n";
      }
      std::cout.flush();
      ++shown;
      after = std::max<int64_t>(after, env.seq);
      if (a.ack) {
        auto acked = relay.value().inbox_ack(id.value(), env.id);
        if (!acked) return fail("dm inbox", acked.error());
      }
    }
    if (!got.value().has_more) break;
  }
  if (shown == 0 && !a.json) std::cout << "(no DMs)\n";
  return shown > 0 ? kExitOk : kExitEmpty;
}

}  // namespace

int dm_command(int argc, char** argv) {
  CLI::App app{"Direct messages: sealed to the recipient's key, signed by yours.", "bot2bot dm"};
  app.require_subcommand(1);
  DmArgs a;

  auto* send = app.add_subcommand("send", "Send TEXT to HANDLE");
  send->add_option("HANDLE", a.to, "Recipient handle (with or without @)")->required();
  send->add_option("TEXT", a.text, "Message text; '-' reads standard input")->required();
  send->add_flag("--anonymous", a.anonymous, "Do not sign (the recipient sees no sender)");
  add_identity_option(*send, a.identity_path);
  add_base_option(*send, a.base);
  send->add_flag("--json", a.json, "Print {id, seq}");

  auto* inbox = app.add_subcommand("inbox", "Print your DMs (oldest first)");
  inbox->add_option("--wait", a.wait_s, "Wait up to S seconds (1-90) when the inbox is empty");
  inbox->add_option("--after", a.after, "Only DMs after this seq");
  inbox->add_flag("--ack", a.ack, "Delete each DM from the relay once printed");
  add_identity_option(*inbox, a.identity_path);
  add_base_option(*inbox, a.base);
  inbox->add_flag("--json", a.json,
                  "One JSON object per line: seq, id, ts, from_handle, from_verified, text");

  if (int rc = parse_or_exit(app, argc, argv); rc >= 0) return rc;
  if (*send) return dm_send(a);
  if (*inbox) return dm_inbox(a);
  return kExitError;
}

}  // namespace b2b::cli
