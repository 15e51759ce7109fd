#include "client/client_identity.h"

#include <sodium.h>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "client/atomic_file.h"
#include "client/room_url.h"
#include "core/base64.h"
#include "identity/crypto.h"
#include "identity/handles.h"
#include "identity/signing_texts.h"

namespace b2b::client {
namespace fs = std::filesystem;

namespace {

std::string random_bytes(std::size_t n) {
  if (sodium_init() < 0) return {};
  std::string s(n, '\0');
  randombytes_buf(s.data(), s.size());
  return s;
}

}  // namespace

ClientIdentity ClientIdentity::generate(std::string handle) {
  return from_keys(std::move(handle), random_bytes(32), random_bytes(32)).value();
}

core::Result<ClientIdentity> ClientIdentity::from_keys(std::string handle, std::string box_sk,
                                                       std::string sign_seed) {
  if (box_sk.size() != 32 || sign_seed.size() != 32) {
    return core::Error{"bad identity", "box_sk and sign_seed must be 32 bytes each"};
  }
  auto box_pub = identity::x25519_public_from_secret(box_sk);
  auto sign = identity::signing_key_from_seed(sign_seed);
  if (!box_pub || !sign) return core::Error{"bad identity", "cannot derive the public keys"};
  ClientIdentity id;
  id.handle_ = std::move(handle);
  id.box_sk_ = std::move(box_sk);
  id.sign_seed_ = std::move(sign_seed);
  id.box_pub_ = std::move(*box_pub);
  id.sign_pub_ = sign->public_key;
  id.sign_sk_ = sign->secret_key;
  return id;
}

std::string ClientIdentity::box_pub_b64() const {
  return core::base64_encode(box_pub_);
}
std::string ClientIdentity::box_pub_b64url() const {
  return core::base64url_encode_unpadded(box_pub_);
}
std::string ClientIdentity::sign_pub_b64() const {
  return core::base64_encode(sign_pub_);
}

std::string ClientIdentity::sign(std::string_view text) const {
  identity::SigningKeyPair key{sign_pub_, sign_sk_};
  return core::base64_encode(identity::sign_detached(key, text));
}

std::string random_nonce() {
  return core::base64url_encode_unpadded(random_bytes(18));
}

int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::string default_identity_path() {
  if (const char* env = std::getenv("BOT2BOT_IDENTITY"); env != nullptr && *env != '\0') {
    return env;
  }
  if (const char* xdg = std::getenv("XDG_CONFIG_HOME"); xdg != nullptr && *xdg != '\0') {
    return (fs::path(xdg) / "bot2bot" / "identity.json").string();
  }
  const char* home = std::getenv("HOME");
  return (fs::path(home != nullptr ? home : ".") / ".config" / "bot2bot" / "identity.json")
      .string();
}

boost::json::object identity_to_json(const ClientIdentity& id) {
  return boost::json::object{
      {"bot2bot_identity_v1", true},
      {"handle", id.handle()},
      {"box_sk_b64u", core::base64url_encode_unpadded(id.box_sk())},
      {"sign_seed_b64u", core::base64url_encode_unpadded(id.sign_seed())},
  };
}

core::Result<ClientIdentity> identity_from_json(const boost::json::value& v) {
  const auto* obj = v.if_object();
  if (obj == nullptr) return core::Error{"bad identity file", "not a JSON object"};
  auto str = [&](const char* key) -> std::optional<std::string> {
    auto it = obj->find(key);
    if (it == obj->end() || !it->value().is_string()) return std::nullopt;
    return std::string(it->value().get_string());
  };
  auto handle = str("handle");
  auto box = str("box_sk_b64u");
  auto seed = str("sign_seed_b64u");
  if (!handle || !box || !seed) {
    return core::Error{"bad identity file", "needs handle, box_sk_b64u and sign_seed_b64u"};
  }
  std::string h = identity::normalize_handle(*handle);
  if (!identity::is_valid_handle(h)) {
    return core::Error{"bad identity file", "handle '" + *handle + "' is not a valid handle"};
  }
  auto box_sk = decode_b64_lenient(*box);
  auto sign_seed = decode_b64_lenient(*seed);
  if (!box_sk || !sign_seed) return core::Error{"bad identity file", "keys are not base64"};
  auto id = ClientIdentity::from_keys(h, std::move(*box_sk), std::move(*sign_seed));
  if (!id) return core::Error{"bad identity file", id.error().detail};
  return id;
}

core::Result<ClientIdentity> load_identity_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return core::Error{"no identity",
                       "no identity file at " + path + " (create one with `bot2bot identity new`)"};
  }
  std::stringstream ss;
  ss << in.rdbuf();
  boost::system::error_code ec;
  auto v = boost::json::parse(ss.str(), ec);
  if (ec) return core::Error{"bad identity file", path + " is not JSON: " + ec.message()};
  auto id = identity_from_json(v);
  if (!id) return core::Error{id.error().error, path + ": " + id.error().detail};
  return id;
}

core::Result<std::monostate> save_identity_file(const std::string& path, const ClientIdentity& id) {
  // The secret keys are in this file: created 0600 from the start, never chmod afterwards.
  auto saved =
      write_file_atomically(path, boost::json::serialize(identity_to_json(id)) + "\n", 0600);
  if (!saved) return core::Error{"cannot save identity", saved.error().detail};
  return saved;
}

std::string authorization_header(const ClientIdentity& id, std::string_view method,
                                 std::string_view target, int64_t ts_ms, std::string_view nonce) {
  std::string sig = id.sign(identity::request_text(method, target, ts_ms, nonce));
  return "Bot2Bot ts=" + std::to_string(ts_ms) + ",n=" + std::string(nonce) + ",sig=" + sig;
}

boost::json::object register_body(const ClientIdentity& id, int64_t ts_ms,
                                  std::optional<std::string> bio) {
  std::string box_pub = id.box_pub_b64();
  std::string sign_pub = id.sign_pub_b64();
  std::string text = identity::register_text(id.handle(), std::to_string(ts_ms), box_pub, sign_pub);
  boost::json::object meta;
  if (bio) meta["bio"] = *bio;
  return boost::json::object{{"handle", id.handle()},         {"box_pub", box_pub},
                             {"sign_pub", sign_pub},          {"register_ts", ts_ms},
                             {"register_sig", id.sign(text)}, {"meta", std::move(meta)}};
}

SignedPostFields sign_room_post(const ClientIdentity& id, std::string_view room_id,
                                std::string_view ciphertext_b64, int64_t ts_ms,
                                std::string_view nonce) {
  std::string text =
      identity::room_msg_text(room_id, ts_ms, nonce, identity::ct_hash(ciphertext_b64));
  return SignedPostFields{id.handle(), ts_ms, std::string(nonce), id.sign(text)};
}

}  // namespace b2b::client
