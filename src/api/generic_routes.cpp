#include "api/generic_routes.h"

#include <sodium.h>

#include <boost/json.hpp>

#include <fstream>
#include <mutex>

#include "api/iso_time.h"
#include "api/responses.h"
#include "build_info.h"
#include "core/clock.h"
#include "net/net_stats.h"

namespace b2b::api {
namespace {

// §12.2 source_hashes: the running binary stands in for the reference's server file.
// Hashed on first request, not at start-up, so starting stays fast.
const std::string& binary_hash() {
  static std::once_flag once;
  static std::string hash;
  std::call_once(once, [] {
    std::ifstream in("/proc/self/exe", std::ios::binary);
    if (!in) return;
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    char buf[1 << 16];
    while (in.read(buf, sizeof buf) || in.gcount() > 0) {
      crypto_hash_sha256_update(&st, reinterpret_cast<unsigned char*>(buf),
                                static_cast<unsigned long long>(in.gcount()));
    }
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_final(&st, digest);
    char hex[crypto_hash_sha256_BYTES * 2 + 1];
    sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
    hash = std::string("sha256:") + hex;
  });
  return hash;
}

std::string runtime_id() {
  return std::string("bot2bot ") + BOT2BOT_VERSION + " (" + BOT2BOT_GIT_COMMIT + ", C++20, " +
         BOT2BOT_BUILD_TYPE + ")";
}

}  // namespace

void get_health(RelayState& state, const Reply& reply) {
  std::string body = R"({"ok":true,"rooms":)" + std::to_string(state.room_count.value.load()) +
                     R"(,"ts":)" + std::to_string(core::wall_clock_ms()) + "}";
  reply.send(json_response(200, std::move(body)));
}

void get_status(RelayState& state, const Reply& reply) {
  const int64_t now = core::wall_clock_ms();
  boost::json::object hashes;
  if (!binary_hash().empty()) hashes.emplace("bin/bot2bot", binary_hash());
  boost::json::object o{{"ok", true},
                        {"started_at", iso8601_utc(state.started_ms)},
                        {"uptime_seconds", (now - state.started_ms) / 1000},
                        {"rooms", state.room_count.value.load()},
                        {"node_version", runtime_id()},
                        {"runtime", runtime_id()},
                        {"source_hashes", std::move(hashes)},
                        {"source", "https://github.com/bot2bot/bot2bot"}};
  net::Response res = json_response(200, boost::json::serialize(o));
  res.set(net::http::field::cache_control, "public, max-age=30");
  reply.send(std::move(res));
}

void get_version(const Reply& reply) {
  boost::json::object o{{"version", BOT2BOT_VERSION},
                        {"commit", BOT2BOT_GIT_COMMIT},
                        {"build_type", BOT2BOT_BUILD_TYPE}};
  reply.send(json_response(200, boost::json::serialize(o)));
}

void get_metrics(RelayState& state, const Reply& reply, const net::Request& request,
                 const std::string& client_ip) {
  bool allowed = core::is_loopback_ip(client_ip);
  if (!allowed && state.config.metrics_token) {
    std::string_view auth = request[net::http::field::authorization];
    constexpr std::string_view kBearer = "Bearer ";
    const std::string& token = *state.config.metrics_token;
    if (auth.substr(0, kBearer.size()) == kBearer) {
      std::string_view given = auth.substr(kBearer.size());
      allowed = given.size() == token.size() &&
                sodium_memcmp(given.data(), token.data(), token.size()) == 0;
    }
  }
  if (!allowed) {
    return reply.send(error_response(401, "unauthorised",
                                     "metrics are served to loopback or with the metrics token"));
  }
  // The transport counts its own sessions; mirror the gauge before rendering.
  state.metrics.http_connections.store(net::NetStats::http_sessions.load());
  state.metrics.accept_fd_exhausted.store(net::NetStats::accept_fd_exhausted.load());
  state.metrics.accept_errors.store(net::NetStats::accept_errors.load());
  state.metrics.connections_refused_per_ip.store(net::NetStats::connections_refused_per_ip.load());
  std::string body = state.metrics.render_prometheus(state.budget.used());
  net::Response res{net::http::status::ok, 11};
  res.set(net::http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
  res.set(net::http::field::cache_control, "no-store");
  res.body() = std::move(body);
  reply.send(std::move(res));
}

}  // namespace b2b::api
