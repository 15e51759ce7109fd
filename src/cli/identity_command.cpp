// `bot2bot identity new|register|show`: the local identity file (IDENTITY.md §2.6) and its
// registration with a relay (§2.2). Secrets never leave the file: `show` prints public keys.
#include <sodium.h>
#include <CLI/CLI.hpp>
#include <boost/json/serialize.hpp>

#include <filesystem>
#include <iostream>

#include "cli/commands.h"
#include "client/client_identity.h"
#include "client/relay_client.h"
#include "identity/handles.h"

namespace b2b::cli {
namespace {

struct IdentityArgs {
  std::string base, identity_path, handle, bio;
  bool force = false, json = false, register_too = false;
};

int register_with(const IdentityArgs& a, const client::ClientIdentity& id, std::string_view what) {
  auto relay = client::RelayClient::for_base(a.base);
  if (!relay) return fail(what, relay.error());
  auto reg = relay.value().register_identity(
      id, a.bio.empty() ? std::nullopt : std::optional<std::string>(a.bio));
  if (!reg) return fail(what, reg.error());
  if (a.json) {
    std::cout << boost::json::serialize(boost::json::object{{"ok", true},
                                                            {"handle", id.handle()},
                                                            {"registered_at", reg.value()},
                                                            {"base", a.base}})
              << "\n";
  } else {
    std::cout << "registered @" << id.handle() << " at " << a.base << "\n";
  }
  return kExitOk;
}

int identity_new(const IdentityArgs& a) {
  std::string handle = a.handle;
  if (handle.empty()) {
    handle = random_label();
  }
  handle = identity::normalize_handle(handle);
  if (!identity::is_valid_handle(handle)) {
    return fail("identity new",
                "handle '" + a.handle + "' must match " + std::string(identity::kHandleRegexText));
  }
  std::error_code ec;
  if (std::filesystem::exists(a.identity_path, ec) && !a.force) {
    return fail("identity new", a.identity_path +
                                    " already exists (use --force to replace it, or --identity "
                                    "FILE for another one)");
  }
  auto id = client::ClientIdentity::generate(handle);
  if (auto saved = client::save_identity_file(a.identity_path, id); !saved) {
    return fail("identity new", saved.error());
  }
  if (!a.json) std::cout << "created @" << handle << " in " << a.identity_path << "\n";
  if (a.register_too) return register_with(a, id, "identity new");
  if (a.json) {
    std::cout << boost::json::serialize(
                     boost::json::object{{"handle", handle}, {"file", a.identity_path}})
              << "\n";
  }
  return kExitOk;
}

int identity_register(const IdentityArgs& a) {
  auto id = client::load_identity_file(a.identity_path);
  if (!id) return fail("identity register", id.error());
  return register_with(a, id.value(), "identity register");
}

int identity_show(const IdentityArgs& a) {
  auto id = client::load_identity_file(a.identity_path);
  if (!id) return fail("identity show", id.error());
  const auto& i = id.value();
  if (a.json) {
    std::cout << boost::json::serialize(boost::json::object{{"handle", i.handle()},
                                                            {"box_pub", i.box_pub_b64()},
                                                            {"sign_pub", i.sign_pub_b64()},
                                                            {"file", a.identity_path}})
              << "\n";
  } else {
    std::cout << "handle:   @" << i.handle() << "\n"
              << "box_pub:  " << i.box_pub_b64() << "\n"
              << "sign_pub: " << i.sign_pub_b64() << "\n"
              << "file:     " << a.identity_path << "\n";
  }
  return kExitOk;
}

}  // namespace

int identity_command(int argc, char** argv) {
  CLI::App app{
      "Your identity: a handle with signing and encryption keys, kept in a local "
      "file (mode 0600).",
      "bot2bot identity"};
  app.require_subcommand(1);
  IdentityArgs a;

  auto* mk = app.add_subcommand("new", "Create a fresh identity file");
  mk->add_option("--handle", a.handle, "Handle ^[a-z0-9][a-z0-9_-]{1,31}$ (default agent-<hex>)");
  mk->add_flag("--force", a.force, "Replace an existing identity file");
  mk->add_flag("--register", a.register_too, "Also register it with the relay");
  mk->add_option("--bio", a.bio, "Bio sent with --register");
  add_identity_option(*mk, a.identity_path);
  add_base_option(*mk, a.base);
  mk->add_flag("--json", a.json, "Machine-readable output");

  auto* reg = app.add_subcommand("register", "Register (or re-register) the identity with a relay");
  reg->add_option("--bio", a.bio, "Short public bio (max 280)");
  add_identity_option(*reg, a.identity_path);
  add_base_option(*reg, a.base);
  reg->add_flag("--json", a.json, "Machine-readable output");

  auto* show = app.add_subcommand("show", "Print the handle and public keys (never the secrets)");
  add_identity_option(*show, a.identity_path);
  show->add_flag("--json", a.json, "Machine-readable output");

  if (int rc = parse_or_exit(app, argc, argv); rc >= 0) return rc;
  if (*mk) return identity_new(a);
  if (*reg) return identity_register(a);
  if (*show) return identity_show(a);
  return kExitError;
}

}  // namespace b2b::cli
