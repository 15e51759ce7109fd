// CLIENT-PROTOCOL.md §3.6 / IDENTITY.md §5.7, the target side: an operator hands this agent a
// registered identity sealed to its presence box key. Ours accepts only when the operator
// opted in (--accept-adoptions) and the offer was signed (sender_verified), which the
// reference MCP did not check.
#include <sodium.h>

#include <boost/json.hpp>

#include <iostream>

#include "client/room_url.h"
#include "mcp/mcp_service.h"
#include "mcp/secret_file.h"

namespace b2b::mcp {
namespace json = boost::json;

namespace {

std::string field(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
}

// crypto_box_open with the sender's box key; nullopt on any malformed or forged part.
std::optional<std::string> open_offer(const json::object& offer, const std::string& box_sk) {
  const std::optional<std::string> sender_pub =
      client::decode_b64_lenient(field(offer, "sender_box_pub"));
  const std::optional<std::string> nonce = client::decode_b64_lenient(field(offer, "nonce"));
  const std::optional<std::string> sealed = client::decode_b64_lenient(field(offer, "ciphertext"));
  if (!sender_pub || sender_pub->size() != crypto_box_PUBLICKEYBYTES || !nonce ||
      nonce->size() != crypto_box_NONCEBYTES || !sealed || sealed->size() < crypto_box_MACBYTES) {
    return std::nullopt;
  }
  std::string plain(sealed->size() - crypto_box_MACBYTES, '\0');
  auto u = [](const std::string& s) { return reinterpret_cast<const unsigned char*>(s.data()); };
  if (crypto_box_open_easy(reinterpret_cast<unsigned char*>(plain.data()), u(*sealed),
                           sealed->size(), u(*nonce), u(*sender_pub), u(box_sk)) != 0) {
    return std::nullopt;
  }
  return plain;
}

}  // namespace

void McpService::maybe_adopt(RoomSession& room, const client::RoomMessage& m,
                             const std::string& text) {
  boost::system::error_code ec;
  json::value parsed = json::parse(text, ec);
  if (ec || !parsed.is_object()) return;
  const json::object& offer = parsed.as_object();
  const std::string adopt_id = field(offer, "adopt_id");
  {
    // Recorded before any check: replays of the same offer are never looked at again.
    std::lock_guard lock(mu_);
    if (!seen_adopt_ids_.insert(adopt_id).second) return;
  }
  if (!settings_.accept_adoptions || field(offer, "target_name") != room.label()) return;
  if (!m.sender_verified) {
    std::cerr << "bot2bot mcp: ignored an unsigned adopt offer in room " << room.room_id() << "\n";
    return;
  }
  const client::Endpoint endpoint = room.url().endpoint;
  std::shared_ptr<const client::ClientIdentity> current = room_identity(endpoint);
  if (!current) {
    core::Result<AuthIdentity> auth = auth_identity();
    if (!auth) return;
    current = auth.value().identity;
  }
  const std::optional<std::string> inner_text = open_offer(offer, current->box_sk());
  if (!inner_text) return;
  json::value inner = json::parse(*inner_text, ec);
  if (ec || !inner.is_object()) return;
  const json::object& o = inner.as_object();
  const std::optional<std::string> box_sk = client::decode_b64_lenient(field(o, "box_sk_b64u"));
  const std::optional<std::string> seed = client::decode_b64_lenient(field(o, "sign_seed_b64u"));
  if (!box_sk || !seed || field(o, "handle").empty()) return;
  core::Result<client::ClientIdentity> adopted =
      client::ClientIdentity::from_keys(field(o, "handle"), *box_sk, *seed);
  if (!adopted) return;
  auto id = std::make_shared<const client::ClientIdentity>(std::move(adopted).value());

  json::object saved = client::identity_to_json(*id);
  saved["base"] = endpoint.base_url();
  if (core::Result<bool> written =
          write_secret_file(room_identity_path(endpoint), json::serialize(saved) + "\n");
      !written) {
    std::cerr << "bot2bot mcp: could not save the adopted identity: " << written.error().error
              << "\n";
  }
  std::vector<std::shared_ptr<RoomSession>> rooms_on_relay;
  {
    std::lock_guard lock(mu_);
    room_identities_[endpoint.base_url()] = id;
    for (auto& [key, r] : rooms_) {
      if (r->url().endpoint.base_url() == endpoint.base_url()) rooms_on_relay.push_back(r);
    }
  }
  // The identity applies to every room on this relay; presence re-announces at once.
  for (auto& r : rooms_on_relay) {
    r->set_label("@" + id->handle());
    r->set_presence_box_pub(id->box_pub_b64url());
  }
  std::cerr << "bot2bot mcp: adopted as @" << id->handle() << " (offered by " << m.sender
            << " in room " << room.room_id() << ")\n";
}

}  // namespace b2b::mcp
