#include "client/relay_client.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

#include <algorithm>
#include <thread>

namespace b2b::client {
namespace json = boost::json;
using namespace std::chrono_literals;

namespace {

bool retryable_status(int status) {
  return status == 429 || status >= 500;
}

std::chrono::milliseconds backoff(int attempt, std::optional<int> retry_after_s) {
  if (retry_after_s) return std::chrono::seconds(std::clamp(*retry_after_s, 0, 5));
  return std::chrono::milliseconds(std::min(8000, 500 << std::min(attempt, 4)));
}

core::Error relay_error(const HttpResponse& r) {
  boost::system::error_code ec;
  auto v = json::parse(r.body, ec);
  std::string text = "HTTP " + std::to_string(r.status);
  if (!ec && v.is_object()) {
    if (auto* e = v.get_object().if_contains("error"); e != nullptr && e->is_string()) {
      text = std::string(e->get_string());
    }
  }
  std::string body = r.body.size() > 500 ? r.body.substr(0, 500) + "…" : r.body;
  return core::Error{text, "HTTP " + std::to_string(r.status) + ": " + body};
}

core::Error bad_answer(std::string_view what) {
  return core::Error{"unexpected answer", std::string(what) + " has an unexpected shape"};
}

}  // namespace

std::string url_encode(std::string_view s) {
  return boost::urls::encode(s, boost::urls::unreserved_chars);
}

RelayClient::RelayClient(Endpoint endpoint)
    : http_(std::make_unique<HttpClient>(std::move(endpoint))) {}

core::Result<RelayClient> RelayClient::for_base(std::string_view base_url) {
  auto ep = parse_endpoint(base_url);
  if (!ep) return ep.error();
  return RelayClient(std::move(ep).value());
}

core::Result<json::value> RelayClient::call(const std::function<HttpRequest()>& make, Retry retry,
                                            int max_retries) {
  for (int attempt = 0;; ++attempt) {
    HttpRequest req = make();
    auto res = http_->send(req);
    bool last = retry == Retry::kNone || attempt >= max_retries;
    if (!res) {
      last_status_ = 0;
      if (last || retry != Retry::kServerAndConnectionErrors) return res.error();
      std::this_thread::sleep_for(backoff(attempt, std::nullopt));
      continue;
    }
    const HttpResponse& r = res.value();
    last_status_ = r.status;
    if (!r.ok()) {
      if (last || !retryable_status(r.status)) return relay_error(r);
      std::this_thread::sleep_for(backoff(attempt, r.retry_after_s));
      continue;
    }
    boost::system::error_code ec;
    auto v = json::parse(r.body, ec);
    if (ec) return core::Error{"unexpected answer", "the relay's answer is not JSON"};
    return v;
  }
}

core::Result<PostResult> RelayClient::post_text(const RoomUrl& room, std::string_view text,
                                                const PostOptions& options) {
  return post_sealed(room.room_id, seal_text(room.key, text), options);
}

core::Result<PostResult> RelayClient::post_sealed(std::string_view room_id,
                                                  const SealedText& sealed,
                                                  const PostOptions& options) {
  json::object body{{"ciphertext", sealed.ciphertext}, {"nonce", sealed.nonce}};
  if (!options.sender.empty()) body["sender"] = options.sender;
  if (options.reply_to) body["reply_to"] = *options.reply_to;
  if (options.ttl_ms) body["ttl_ms"] = *options.ttl_ms;
  if (options.signed_only) body["signed_only"] = true;
  if (options.sign_as != nullptr) {
    // Signed once: a retry after 429/5xx re-sends the same nonce, which the relay has not
    // consumed (ROOMS.md §6.1 notes: rate limits and capacity come before verification).
    auto f = sign_room_post(*options.sign_as, room_id, sealed.ciphertext, now_ms(), random_nonce());
    body["sender_handle"] = f.sender_handle;
    body["sender_ts"] = f.sender_ts;
    body["sender_nonce"] = f.sender_nonce;
    body["sender_sig"] = f.sender_sig;
  }
  std::string payload = json::serialize(body);
  std::string target = endpoint().target("/api/rooms/" + std::string(room_id) + "/messages");
  auto v = call(
      [&] {
        return HttpRequest{"POST", target, payload, {}, 30s};
      },
      Retry::kServerAndConnectionErrors, 4);
  if (!v) return v.error();
  const auto* o = v.value().if_object();
  auto seq = o != nullptr ? json_int(*o, "seq") : std::nullopt;
  const auto* id = o != nullptr ? o->if_contains("id") : nullptr;
  if (!seq || id == nullptr || !id->is_string()) return bad_answer("the post answer");
  return PostResult{std::string(id->get_string()), *seq};
}

core::Result<json::value> RelayClient::get_json(const std::string& target,
                                                std::chrono::seconds timeout) {
  return call(
      [&] {
        return HttpRequest{"GET", target, "", {}, timeout};
      },
      Retry::kServerAndConnectionErrors, 3);
}

core::Result<MessagePage> RelayClient::wait(std::string_view room_id, int64_t after,
                                            int timeout_s) {
  std::string target = endpoint().target("/api/rooms/" + std::string(room_id) +
                                         "/wait?after=" + std::to_string(after) +
                                         "&timeout=" + std::to_string(timeout_s));
  auto http_timeout = std::chrono::seconds(timeout_s + 15);
  auto v = get_json(target, http_timeout);
  if (!v) return v.error();
  auto page = parse_message_page(v.value());
  if (!page) return bad_answer("the /wait answer");
  return std::move(*page);
}

core::Result<MessagePage> RelayClient::transcript(std::string_view room_id, int64_t after,
                                                  int limit) {
  std::string target = endpoint().target("/api/rooms/" + std::string(room_id) +
                                         "/transcript?after=" + std::to_string(after) +
                                         "&limit=" + std::to_string(limit));
  auto v = get_json(target);
  if (!v) return v.error();
  auto page = parse_message_page(v.value());
  if (!page) return bad_answer("the /transcript answer");
  return std::move(*page);
}

core::Result<RoomStatus> RelayClient::status(std::string_view room_id) {
  std::string target = endpoint().target("/api/rooms/" + std::string(room_id) + "/status");
  auto v = get_json(target);
  if (!v) return v.error();
  auto s = parse_room_status(v.value());
  if (!s) return bad_answer("the /status answer");
  return std::move(*s);
}

core::Result<std::monostate> RelayClient::listening(std::string_view room_id, std::string_view name,
                                                    std::string_view box_pub) {
  json::object body{{"name", name}};
  if (!box_pub.empty()) body["box_pub"] = box_pub;
  std::string payload = json::serialize(body);
  std::string target = endpoint().target("/api/rooms/" + std::string(room_id) + "/listening");
  auto v = call([&] { return HttpRequest{"POST", target, payload, {}, 5s}; }, Retry::kNone, 0);
  if (!v) return v.error();
  return std::monostate{};
}

core::Result<ClaimResult> RelayClient::claim(std::string_view room_id, const ClientIdentity& id,
                                             const std::vector<std::string>& exclude_senders,
                                             int timeout_s, std::optional<int64_t> ttl_ms) {
  std::string target = endpoint().target("/api/rooms/" + std::string(room_id) +
                                         "/claim?timeout=" + std::to_string(timeout_s));
  if (ttl_ms) target += "&ttl_ms=" + std::to_string(*ttl_ms);
  json::array exclude;
  for (const auto& s : exclude_senders) exclude.emplace_back(s);
  std::string payload =
      json::serialize(json::object{{"handle", id.handle()}, {"exclude_senders", exclude}});
  auto http_timeout = std::chrono::seconds(timeout_s + 15);
  auto v = call(
      [&] {
        return HttpRequest{
            "POST",
            target,
            payload,
            {{"Authorization", authorization_header(id, "POST", target, now_ms(), random_nonce())}},
            http_timeout};
      },
      Retry::kNone, 0);
  if (!v) return v.error();
  auto c = parse_claim_result(v.value());
  if (!c) return bad_answer("the /claim answer");
  return std::move(*c);
}

core::Result<AckResult> RelayClient::ack(std::string_view room_id, const ClientIdentity& id,
                                         std::string_view claim_id, int64_t seq) {
  std::string target = endpoint().target("/api/rooms/" + std::string(room_id) + "/ack");
  std::string payload =
      json::serialize(json::object{{"handle", id.handle()}, {"claim_id", claim_id}, {"seq", seq}});
  auto v = call(
      [&] {
        return HttpRequest{
            "POST",
            target,
            payload,
            {{"Authorization", authorization_header(id, "POST", target, now_ms(), random_nonce())}},
            30s};
      },
      Retry::kNone, 0);
  if (!v) return v.error();
  auto a = parse_ack_result(v.value());
  if (!a) return bad_answer("the /ack answer");
  return *a;
}

}  // namespace b2b::client
