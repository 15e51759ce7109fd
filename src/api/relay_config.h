// Everything `bot2bot serve` is configured with (flags and environment, see src/cli).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "api/identity_services.h"
#include "api/webhook_settings.h"
#include "core/relay_limits.h"

namespace b2b::api {

struct RelayConfig {
  std::string host = "127.0.0.1";
  unsigned short port = 3000;
  std::size_t threads = 0;  // 0: hardware concurrency
  std::string data_dir = "./data";
  uint64_t store_max_bytes = 0;  // cap of the database file (--store-max-bytes); 0: none
  std::string trust_proxy = "loopback";
  std::string log_level = "info";
  std::optional<std::string> metrics_token;
  core::RelayLimits limits;
  IdentityConfig identity;
  std::size_t header_limit_bytes = 16 * 1024;
  std::size_t request_line_limit_bytes = 8 * 1024;
  std::size_t header_count_limit = 100;
  int keepalive_timeout_s = 120;
  int header_timeout_s = 20;
  // TCP connections one peer address may hold as HTTP sessions (SSE/WS streams count
  // against limits.stream_cap_per_ip instead). High enough for a busy NAT or proxy.
  int conn_cap_per_ip = 256;
  int shutdown_grace_ms = 3000;  // how long SIGTERM waits for streams to drain

  // Files the relay serves (SDK, docs, Swagger UI assets): the source tree by default.
  std::string share_dir;
  // Absolute base URL clients reach us at (OpenAPI servers[0].url); empty: http(s)://<listen>.
  std::string public_url;

  // TLS on the listening port (both or neither): PEM certificate chain and private key,
  // re-read on SIGHUP. Empty: plain HTTP.
  std::string tls_cert;
  std::string tls_key;

  // Bug reports and the contact form (ROOMS.md §12.4, §12.5, §20.11).
  std::string reports_file;  // empty: <data_dir>/reports/bugs.jsonl
  std::size_t reports_max_bytes = 5 * 1024 * 1024;
  std::string alert_webhook;  // http:// URL, or empty for none
  double report_rate_burst = 5;
  double report_rate_per_min = 3;

  WebhookSettings webhooks;  // issue 10

  // Cluster mode (docs/SCALING.md): redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]; empty: one node
  // with SQLite under data_dir. `redis_password` overrides a password in the URL.
  std::string redis_url;
  std::string redis_password;
  bool global_rate_limits = false;  // cluster mode: rate buckets shared through Redis
};

}  // namespace b2b::api
