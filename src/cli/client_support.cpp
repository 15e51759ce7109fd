// Helpers shared by the client subcommands: argument parsing with our exit codes, error
// printing, the --base/--identity options.
#include <sodium.h>
#include <CLI/CLI.hpp>

#include <boost/json/serialize.hpp>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <iostream>

#include "cli/commands.h"
#include "client/client_identity.h"
#include "client/endpoint.h"
#include "client/relay_types.h"
#include "core/result.h"

namespace b2b::cli {

int parse_or_exit(CLI::App& app, int argc, char** argv) {
  // Every --help page states the exit codes.
  app.footer(kExitCodesHelp);
  for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) {
    sub->footer(kExitCodesHelp);
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitError;
  }
  return -1;
}

int fail(std::string_view what, const core::Error& error) {
  std::cerr << "bot2bot " << what << ": " << error.error;
  if (!error.detail.empty() && error.detail != error.error)
    std::cerr << " (" << error.detail << ")";
  std::cerr << "\n";
  return kExitError;
}

int fail(std::string_view what, std::string_view message) {
  std::cerr << "bot2bot " << what << ": " << message << "\n";
  return kExitError;
}

void add_base_option(CLI::App& app, std::string& base) {
  base = std::string(client::kDefaultBaseUrl);
  app.add_option("--base", base, "Relay base URL (env BOT2BOT_BASE)")
      ->envname("BOT2BOT_BASE")
      ->capture_default_str();
}

void add_identity_option(CLI::App& app, std::string& identity_path) {
  identity_path = client::default_identity_path();
  app.add_option("--identity", identity_path,
                 "Identity file (env BOT2BOT_IDENTITY; default "
                 "$XDG_CONFIG_HOME/bot2bot/identity.json or ~/.config/bot2bot/identity.json)")
      ->envname("BOT2BOT_IDENTITY");
}

std::string random_label() {
  if (sodium_init() < 0) return "agent";
  unsigned char b[3];
  randombytes_buf(b, sizeof b);
  char hex[7];
  sodium_bin2hex(hex, sizeof hex, b, sizeof b);
  return std::string("agent-") + hex;
}

std::string clock_time(long long ts_ms) {
  std::time_t t = static_cast<std::time_t>(ts_ms / 1000);
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%H:%M:%S", &tm);
  return buf;
}

JsonLine& JsonLine::add(std::string_view key, std::string_view json_value_text) {
  if (text_.size() > 1) text_ += ",";
  text_ += boost::json::serialize(boost::json::string(key));
  text_ += ":";
  text_ += json_value_text;
  return *this;
}

JsonLine& JsonLine::add_string(std::string_view key, std::string_view value) {
  return add(key, boost::json::serialize(boost::json::string(value)));
}

JsonLine& JsonLine::add_seconds(std::string_view key, long long ts_ms) {
  char ts[32];
  std::snprintf(ts, sizeof ts, "%s%lld.%03lld", ts_ms < 0 ? "-" : "", std::llabs(ts_ms) / 1000,
                std::llabs(ts_ms) % 1000);
  return add(key, ts);
}

std::string message_json_line(const client::RoomMessage& m, const std::string* text, bool is_self) {
  namespace json = boost::json;
  JsonLine line;
  line.add("seq", std::to_string(m.seq))
      .add_seconds("ts", m.ts)
      .add_string("sender", m.sender)
      .add("text", text != nullptr ? json::serialize(json::string(*text)) : "null")
      .add("is_self", is_self ? "true" : "false")
      .add_string("id", m.id)
      .add("sender_verified", m.sender_verified ? "true" : "false");
  if (m.reply_to) line.add_string("reply_to", *m.reply_to);
  return line.str();
}

std::string message_human_line(const client::RoomMessage& m, const std::string* text) {
  std::string sender = m.sender + (m.sender_verified ? " \u2713" : "");
  std::string pad = sender.size() < 20 ? std::string(20 - sender.size(), ' ') : "";
  return clock_time(m.ts) + "  " + pad + sender + "  " +
         (text != nullptr ? *text : "[undecryptable]");
}

}  // namespace b2b::cli
