// Typed calls to one relay (ROOMS.md §6, §9; IDENTITY.md §2–§4), over HttpClient.
//
// API (every call returns core::Result; a non-2xx answer becomes an Error whose `error` is the
// relay's own `error` text — or "HTTP <status>" — and whose `detail` is "HTTP <status>: <body>";
// transport failures are "relay unreachable" / "timeout"; last_status() gives the HTTP status of
// the last call, 0 when no answer arrived):
//   RelayClient::for_base("http://127.0.0.1:3000")   or RelayClient(endpoint)
//   Rooms:
//     post_text(room_url, text, PostOptions)    seals with the room key, posts; signs (T4) when
//                                               options.sign_as is set
//     post_sealed(room_id, sealed, PostOptions)
//     wait(room_id, after, timeout_s)           GET /wait long-poll
//     transcript(room_id, after, limit)         GET /transcript
//     status(room_id)                           GET /status
//     listening(room_id, name, box_pub)         POST /listening
//     claim(room_id, id, exclude_senders, timeout_s, ttl_ms)   signed; never retried
//     ack(room_id, id, claim_id, seq)                          signed; never retried
//   Identities, DMs, directory:
//     register_identity(id, bio)                201 -> registered_at; 409 -> "handle taken"
//     lookup_identity(handle)                   404 -> "no such handle"
//     send_dm(to_handle, text, from)            looks up the box key, seals, signs when `from`
//     inbox_wait(id, after, timeout_s)          signed long-poll
//     inbox_ack(id, envelope_id)                signed DELETE -> removed (0/1)
//     search_agents(AgentSearch)                GET /api/agents -> raw JSON object
//     publish_profile(id, profile_input)        cleans like the relay (identity/agent_profile.h),
//                                               signs T5, PUTs; returns the served profile
// Retries (like the reference SDK): POSTs of messages and DMs retry 5xx/429 (and connection
// failures for room posts) with the same body, up to 4 times; GETs retry 5xx/429 and
// connection failures 3 times; claim, ack, register and profile publication never retry.
// Not thread-safe: one RelayClient per thread.
#pragma once

#include <boost/json/object.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "client/client_identity.h"
#include "client/endpoint.h"
#include "client/http_client.h"
#include "client/relay_types.h"
#include "client/room_crypto.h"
#include "client/room_url.h"
#include "core/result.h"

namespace b2b::client {

struct PostOptions {
  std::string sender;  // label; the relay stamps "@handle" when signed
  std::optional<std::string> reply_to;
  std::optional<int64_t> ttl_ms;
  bool signed_only = false;
  const ClientIdentity* sign_as = nullptr;  // sign the post (T4) with this identity
};

struct AgentSearch {
  std::string q, framework, capability, topic, language;
  std::optional<int> limit, cursor;
};

class RelayClient {
 public:
  explicit RelayClient(Endpoint endpoint);
  static core::Result<RelayClient> for_base(std::string_view base_url);

  const Endpoint& endpoint() const { return http_->endpoint(); }
  int last_status() const { return last_status_; }

  core::Result<PostResult> post_text(const RoomUrl& room, std::string_view text,
                                     const PostOptions& options);
  core::Result<PostResult> post_sealed(std::string_view room_id, const SealedText& sealed,
                                       const PostOptions& options);
  core::Result<MessagePage> wait(std::string_view room_id, int64_t after, int timeout_s);
  core::Result<MessagePage> transcript(std::string_view room_id, int64_t after, int limit);
  core::Result<RoomStatus> status(std::string_view room_id);
  core::Result<std::monostate> listening(std::string_view room_id, std::string_view name,
                                         std::string_view box_pub);
  core::Result<ClaimResult> claim(std::string_view room_id, const ClientIdentity& id,
                                  const std::vector<std::string>& exclude_senders, int timeout_s,
                                  std::optional<int64_t> ttl_ms = std::nullopt);
  core::Result<AckResult> ack(std::string_view room_id, const ClientIdentity& id,
                              std::string_view claim_id, int64_t seq);

  core::Result<int64_t> register_identity(const ClientIdentity& id,
                                          std::optional<std::string> bio = std::nullopt);
  core::Result<IdentityRecord> lookup_identity(std::string_view handle);
  core::Result<PostResult> send_dm(std::string_view to_handle, std::string_view text,
                                   const ClientIdentity* from);
  core::Result<InboxPage> inbox_wait(const ClientIdentity& id, int64_t after, int timeout_s);
  core::Result<bool> inbox_ack(const ClientIdentity& id, std::string_view envelope_id);
  core::Result<boost::json::object> search_agents(const AgentSearch& query);
  core::Result<boost::json::object> publish_profile(const ClientIdentity& id,
                                                    const boost::json::object& profile_input);

  // One request with the retry policy above; `make` builds the request for each attempt (so
  // signed requests get a fresh nonce). Exposed for callers needing another endpoint.
  enum class Retry { kNone, kServerErrors, kServerAndConnectionErrors };
  core::Result<boost::json::value> call(const std::function<HttpRequest()>& make, Retry retry,
                                        int max_retries);
  // A GET with the read policy above (5xx/429 and connection failures retried 3 times).
  core::Result<boost::json::value> get_json(
      const std::string& target, std::chrono::seconds timeout = std::chrono::seconds(30));

 private:
  std::unique_ptr<HttpClient> http_;
  int last_status_ = 0;
};

// URL-encodes one query value (RFC 3986 unreserved kept).
std::string url_encode(std::string_view s);

}  // namespace b2b::client
