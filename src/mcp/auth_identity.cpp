#include "mcp/auth_identity.h"

#include <boost/json.hpp>

#include <iostream>

#include "identity/handles.h"
#include "mcp/mcp_settings.h"
#include "mcp/secret_file.h"

namespace b2b::mcp {
namespace json = boost::json;

namespace {

constexpr std::size_t kKeyFileBytes = 64;  // box_sk (32) || sign_seed (32)

}  // namespace

std::optional<std::string> registrable_handle(std::string_view raw) {
  std::string h = identity::normalize_handle(raw);
  if (!identity::is_valid_handle(h) || identity::is_reserved_handle(h)) return std::nullopt;
  return h;
}

AuthIdentityStore::AuthIdentityStore(std::string config_dir, std::optional<std::string> env_handle)
    : dir_(std::move(config_dir)), env_handle_(std::move(env_handle)) {}

core::Result<std::optional<client::ClientIdentity>> AuthIdentityStore::load() const {
  core::Result<std::optional<std::string>> key = read_file_if_exists(key_path());
  if (!key) return key.error();
  if (!key.value()) return std::optional<client::ClientIdentity>{};
  core::Result<std::optional<std::string>> meta = read_file_if_exists(meta_path());
  if (!meta) return meta.error();
  const core::Error broken{"auth identity files are damaged",
                           "fix or remove " + key_path() + " and " + meta_path()};
  if (key.value()->size() != kKeyFileBytes || !meta.value()) return broken;
  boost::system::error_code ec;
  json::value m = json::parse(*meta.value(), ec);
  const json::value* handle = !ec && m.is_object() ? m.as_object().if_contains("handle") : nullptr;
  if (handle == nullptr || !handle->is_string()) return broken;
  const std::string& bytes = *key.value();
  core::Result<client::ClientIdentity> id = client::ClientIdentity::from_keys(
      std::string(handle->as_string()), bytes.substr(0, 32), bytes.substr(32, 32));
  if (!id) return broken;
  return std::optional<client::ClientIdentity>{std::move(id).value()};
}

core::Result<client::ClientIdentity> AuthIdentityStore::create(
    const std::optional<std::string>& wanted) const {
  std::string handle;
  if (wanted) {
    std::optional<std::string> h = registrable_handle(*wanted);
    if (!h)
      return core::Error{"invalid handle \"" + *wanted + "\"", "want ^[a-z0-9][a-z0-9_-]{1,31}$"};
    handle = *h;
  } else if (std::optional<std::string> h =
                 env_handle_ ? registrable_handle(*env_handle_) : std::nullopt) {
    handle = *h;
  } else {
    if (env_handle_) {
      std::cerr << "bot2bot mcp: BOT2BOT_MCP_HANDLE is not a valid handle; using a generated one\n";
    }
    handle = "mcp-" + random_hex6();
  }
  client::ClientIdentity id = client::ClientIdentity::generate(handle);
  core::Result<bool> saved = write_secret_file(key_path(), id.box_sk() + id.sign_seed());
  if (!saved) return saved.error();
  const json::object meta{{"handle", handle}, {"created", client::now_ms()}};
  saved = write_secret_file(meta_path(), json::serialize(meta) + "\n");
  if (!saved) return saved.error();
  std::cerr << "bot2bot mcp: created auth identity @" << handle << " in " << dir_ << "\n";
  return id;
}

core::Result<AuthIdentity> AuthIdentityStore::get(const std::optional<std::string>& wanted) {
  std::lock_guard lock(mutex_);
  bool created = false;
  if (!loaded_) {
    core::Result<std::optional<client::ClientIdentity>> existing = load();
    if (!existing) return existing.error();
    if (existing.value()) {
      loaded_ = std::make_shared<const client::ClientIdentity>(std::move(*existing.value()));
    } else {
      core::Result<client::ClientIdentity> fresh = create(wanted);
      if (!fresh) return fresh.error();
      loaded_ = std::make_shared<const client::ClientIdentity>(std::move(fresh).value());
      created = true;
    }
  }
  if (wanted && registrable_handle(*wanted) != loaded_->handle()) {
    return core::Error{"this server already has the identity @" + loaded_->handle(),
                       "its handle cannot change; remove " + key_path() + " to start over"};
  }
  return AuthIdentity{loaded_, created};
}

}  // namespace b2b::mcp
