// A client's own identity (IDENTITY.md §2.6): handle + X25519 box secret + Ed25519 seed, the
// file it lives in, and everything it signs (T1 registration, T2 request headers, T3 DMs,
// T4 room posts, T5 profiles — texts from identity/signing_texts.h).
//
// API:
//   ClientIdentity::generate(handle)         fresh random keys
//   ClientIdentity::from_keys(handle, box_sk32, sign_seed32)
//   id.box_pub_b64() / id.sign_pub_b64()     padded standard base64 (what the wire wants)
//   id.box_pub_b64url()                      unpadded base64url (presence box_pub)
//   id.sign(text)                            detached Ed25519, padded standard base64
//   random_nonce()                           base64url of 18 random bytes (24 chars)
//   now_ms()                                 wall clock, Unix ms
//
//   identity file = {"bot2bot_identity_v1":true,"handle","box_sk_b64u","sign_seed_b64u"}
//   default_identity_path()   $BOT2BOT_IDENTITY, else $XDG_CONFIG_HOME/bot2bot/identity.json,
//                             else ~/.config/bot2bot/identity.json
//   load_identity_file(path)  errors "no identity" (missing file) / "bad identity file"
//   save_identity_file(path, id)   creates parent dirs (0700), writes mode 0600 atomically
//   identity_to_json / identity_from_json   the same object in memory
//
//   Signing helpers (pure: the clock and nonce are arguments, so vectors are testable):
//   authorization_header(id, method, target, ts, nonce)  "Bot2Bot ts=..,n=..,sig=.." (§1.10)
//   register_body(id, ts, bio)                            POST /api/identity/register body
//   sign_room_post(id, room_id, ciphertext_b64, ts, nonce) -> SignedPostFields (§5.1, T4)
#pragma once

#include <boost/json/object.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "core/result.h"

namespace b2b::client {

class ClientIdentity {
 public:
  static ClientIdentity generate(std::string handle);
  static core::Result<ClientIdentity> from_keys(std::string handle, std::string box_sk,
                                                std::string sign_seed);

  const std::string& handle() const { return handle_; }
  const std::string& box_sk() const { return box_sk_; }        // 32 raw bytes
  const std::string& sign_seed() const { return sign_seed_; }  // 32 raw bytes
  std::string box_pub_b64() const;
  std::string box_pub_b64url() const;
  std::string sign_pub_b64() const;
  std::string sign(std::string_view text) const;

 private:
  std::string handle_, box_sk_, sign_seed_, box_pub_, sign_pub_, sign_sk_;
};

std::string random_nonce();
int64_t now_ms();

std::string default_identity_path();
core::Result<ClientIdentity> load_identity_file(const std::string& path);
core::Result<std::monostate> save_identity_file(const std::string& path, const ClientIdentity& id);
boost::json::object identity_to_json(const ClientIdentity& id);
core::Result<ClientIdentity> identity_from_json(const boost::json::value& v);

std::string authorization_header(const ClientIdentity& id, std::string_view method,
                                 std::string_view target, int64_t ts_ms, std::string_view nonce);

boost::json::object register_body(const ClientIdentity& id, int64_t ts_ms,
                                  std::optional<std::string> bio = std::nullopt);

struct SignedPostFields {
  std::string sender_handle;
  int64_t sender_ts = 0;
  std::string sender_nonce;
  std::string sender_sig;
};
SignedPostFields sign_room_post(const ClientIdentity& id, std::string_view room_id,
                                std::string_view ciphertext_b64, int64_t ts_ms,
                                std::string_view nonce);

}  // namespace b2b::client
