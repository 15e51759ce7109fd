// `bot2bot serve`: every option is a flag and an environment variable, documented in
// --help with its default (ROOMS.md §10, §17). Flags win over the environment.
#include <CLI/CLI.hpp>

#include <cstdlib>
#include <iostream>
#include <string>

#include "api/route_table.h"
#include "api/server.h"
#include "cli/commands.h"

namespace b2b::cli {
namespace {

// "HOST:PORT", "[v6]:PORT" or ":PORT".
bool parse_listen(const std::string& s, api::RelayConfig& cfg, std::string& err) {
  std::string host, port;
  if (!s.empty() && s.front() == '[') {
    auto close = s.find(']');
    if (close == std::string::npos || close + 1 >= s.size() || s[close + 1] != ':') {
      err = "expected [IPv6]:PORT";
      return false;
    }
    host = s.substr(1, close - 1);
    port = s.substr(close + 2);
  } else {
    auto colon = s.rfind(':');
    if (colon == std::string::npos) {
      err = "expected HOST:PORT";
      return false;
    }
    host = s.substr(0, colon);
    port = s.substr(colon + 1);
  }
  if (!host.empty()) cfg.host = host;
  if (port.empty() || port.find_first_not_of("0123456789") != std::string::npos ||
      port.size() > 5 || std::stoul(port) > 65535) {
    err = "bad port '" + port + "'";
    return false;
  }
  cfg.port = static_cast<unsigned short>(std::stoul(port));
  return true;
}

}  // namespace

int serve_command(int argc, char** argv) {
  api::RelayConfig cfg;
  core::RelayLimits& l = cfg.limits;
  CLI::App app{"Run the bot2bot relay.", "bot2bot serve"};
  app.get_formatter()->column_width(42);

  std::string listen;
  app.add_option("--listen", listen,
                 "HOST:PORT to listen on (default 127.0.0.1:3000; port 0 picks a free port). "
                 "Env BOT2BOT_LISTEN, or HOST and PORT")
      ->envname("BOT2BOT_LISTEN");
  app.add_option("--threads", cfg.threads, "Event-loop threads (default: all cores)")
      ->envname("BOT2BOT_THREADS");
  app.add_option("--data-dir", cfg.data_dir, "Directory for the embedded store")
      ->envname("BOT2BOT_DATA_DIR")
      ->capture_default_str();
  app.add_option("--store-max-bytes", cfg.store_max_bytes,
                 "Cap of the database file in <data-dir> (0: unlimited). At the cap, writes "
                 "(registrations, DMs, profiles, claims, webhooks) answer 503 \"storage full\" "
                 "with Retry-After; rooms keep working")
      ->envname("BOT2BOT_STORE_MAX_BYTES")
      ->capture_default_str();
  app.add_option("--trust-proxy", cfg.trust_proxy,
                 "Proxies whose X-Forwarded-For is believed: loopback, linklocal, uniquelocal, "
                 "CIDRs, or none")
      ->envname("TRUST_PROXY")
      ->capture_default_str();
  app.add_option("--log-level", cfg.log_level, "trace, debug, info, warn, error or off")
      ->envname("BOT2BOT_LOG_LEVEL")
      ->capture_default_str()
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}));
  std::string metrics_token;
  app.add_option("--metrics-token", metrics_token,
                 "Bearer token for /metrics from non-loopback clients (default: loopback only)")
      ->envname("METRICS_TOKEN");

  std::string admin_token;
  app.add_option("--admin-token", admin_token,
                 "Operator token that may register reserved handles (IDENTITY.md §2.4)")
      ->envname("IDENTITY_ADMIN_TOKEN");

  app.add_option("--share-dir", cfg.share_dir,
                 std::string("Directory the SDK, docs and Swagger UI assets are served from "
                             "(default: ../share/bot2bot beside an installed binary, else "
                             "the source tree; here ") +
                     api::default_share_dir() + ")")
      ->envname("BOT2BOT_SHARE_DIR");
  app.add_option("--public-url", cfg.public_url,
                 "Absolute base URL clients reach this relay at, published as the OpenAPI "
                 "servers[0].url (default: http://<listen host:port>, https:// with --tls-cert)")
      ->envname("PUBLIC_BASE_URL");
  app.add_option("--reports-file", cfg.reports_file,
                 "Bug reports are appended here as JSON lines (default: "
                 "<data-dir>/reports/bugs.jsonl)")
      ->envname("BUGS_LOG")
      ->group("Reports");
  app.add_option("--reports-max-bytes", cfg.reports_max_bytes,
                 "Size beyond which the bug-report file is rotated to <file>.1")
      ->envname("BUGS_LOG_MAX_BYTES")
      ->capture_default_str()
      ->group("Reports");
  app.add_option("--alert-webhook", cfg.alert_webhook,
                 "http:// URL that receives {text, severity, id} for every bug report and "
                 "contact message (5 s timeout, failures only logged)")
      ->envname("ALERT_WEBHOOK_URL")
      ->group("Reports");
  app.add_flag("--webhook-allow-private", cfg.webhooks.allow_private,
               "Let webhooks reach loopback and private addresses and use plain http:// "
               "(tests, on-premise); link-local and metadata addresses stay refused")
      ->envname("WEBHOOK_ALLOW_PRIVATE")
      ->group("Webhooks");
  app.add_option("--webhook-rate", cfg.webhooks.deliveries_per_sec,
                 "Webhook delivery attempts per second, all hooks together")
      ->envname("WEBHOOK_RATE")
      ->capture_default_str()
      ->check(CLI::Range(1.0, 1e6))
      ->group("Webhooks");
  app.add_option("--webhook-max-in-flight", cfg.webhooks.max_in_flight,
                 "Webhook requests open at once")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000))
      ->group("Webhooks");
  app.add_option("--webhook-room-hooks-per-handle", cfg.webhooks.room_hooks_per_handle,
                 "Room webhooks one handle may hold")
      ->capture_default_str()
      ->group("Webhooks");
  app.add_option("--webhook-hooks-per-room", cfg.webhooks.hooks_per_room,
                 "Webhooks one room may have")
      ->capture_default_str()
      ->group("Webhooks");
  app.add_option("--webhook-lease-ms", cfg.webhooks.cluster_lease_ms,
                 "Cluster mode: a node's lease on the webhook deliveries it owns; after it "
                 "stops renewing (killed), another node sends them once this has passed")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{300}, int64_t{3'600'000}))
      ->group("Webhooks");
  app.add_option("--report-rate-burst", cfg.report_rate_burst,
                 "Bug reports (and, separately, contact messages) one IP may send at once")
      ->envname("REPORT_RL_CAP")
      ->capture_default_str()
      ->check(CLI::Range(1.0, 1e9))
      ->group("Reports");
  app.add_option("--report-rate-per-min", cfg.report_rate_per_min,
                 "Refill of that allowance per minute")
      ->envname("REPORT_RL_REFILL_PER_MIN")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1e9))
      ->group("Reports");
  bool print_routes = false;
  app.add_flag("--print-routes", print_routes,
               "Print the HTTP route table as JSON and exit (used by the OpenAPI coverage test)");

  auto limit = [&](const char* flag, auto& value, const char* env, const char* help) {
    app.add_option(flag, value, help)->envname(env)->capture_default_str()->group("Limits");
  };
  limit("--room-rate-burst", l.keyed_rate_burst, "ROOM_RL_CAP",
        "Keyed token bucket per (IP, room or route): capacity");
  limit("--room-rate-per-sec", l.keyed_rate_per_sec, "ROOM_RL_REFILL_PER_SEC",
        "Keyed token bucket: refill per second");
  limit("--global-rate-burst", l.global_rate_burst, "GLOBAL_RL_CAP",
        "Per-IP global token bucket: capacity");
  limit("--global-rate-per-sec", l.global_rate_per_sec, "GLOBAL_RL_REFILL_PER_SEC",
        "Per-IP global token bucket: refill per second");
  limit("--stream-cap-per-ip", l.stream_cap_per_ip, "STREAM_CAP_PER_IP",
        "Concurrent SSE + WebSocket streams per IP");
  limit("--waiter-cap-per-ip", l.waiter_cap_per_ip, "WAITER_CAP_PER_IP",
        "Concurrent parked long-polls per IP");
  limit("--room-waiters-max", l.room_waiters_max, "ROOM_WAITERS_MAX",
        "Concurrent parked long-polls per room");
  limit("--rooms-max", l.rooms_max, "ROOMS_MAX", "Rooms in memory");
  limit("--room-buffer-max", l.room_buffer_max, "ROOM_BUFFER_MAX",
        "Messages kept per room for replay");
  limit("--room-buffer-max-age-ms", l.room_buffer_max_age_ms, "ROOM_BUFFER_MAX_AGE_MS",
        "Age after which buffered messages are dropped");
  limit("--global-max-bytes", l.global_max_bytes, "ROOM_GLOBAL_MAX_BYTES",
        "Buffered bytes over all rooms (ciphertext + 512 per message)");
  limit("--room-max-bytes", l.room_max_bytes, "ROOM_MAX_BYTES", "Buffered bytes per room");
  limit("--send-queue-max-bytes", l.send_queue_max_bytes, "SEND_QUEUE_MAX_BYTES",
        "Live bytes queued for one subscriber before it is dropped as a slow consumer");
  limit("--body-limit", l.body_limit_bytes, "BODY_LIMIT_BYTES", "Request body limit (413 above)");
  limit("--ws-message-max", l.ws_message_max_bytes, "WS_MESSAGE_MAX_BYTES",
        "WebSocket message limit (close 1009 above)");
  limit("--keepalive-ms", l.sse_keepalive_ms, "SSE_KEEPALIVE_MS", "SSE keepalive comment interval");
  limit("--ws-ping-ms", l.ws_ping_ms, "WS_PING_MS", "WebSocket ping interval for idle connections");
  limit("--janitor-ms", l.janitor_interval_ms, "JANITOR_INTERVAL_MS",
        "How often idle rooms are evicted and buffers pruned");
  limit("--room-grace-ms", l.room_idle_grace_ms, "ROOM_IDLE_GRACE_MS",
        "Idle time before an empty room may be evicted");
  limit("--room-retain-ms", l.room_retain_ms, "ROOM_RETAIN_MS",
        "Idle time before a room that still holds messages is evicted (so a late wait gets "
        "them; at --rooms-max the oldest idle room past the grace is evicted anyway)");
  limit("--identities-max", cfg.identity.identities_max, "IDENTITIES_MAX",
        "Registered identities (inactive ones are collected at the cap)");
  limit("--identity-gc-inactive-ms", cfg.identity.identity_gc_inactive_ms,
        "IDENTITY_GC_INACTIVE_MS",
        "Inactivity after which an identity may be collected at the cap (min 7 days)");
  limit("--dm-pool-max-bytes", cfg.identity.dm_pool_max_bytes, "INBOX_GLOBAL_MAX_BYTES",
        "Bytes held by all DM inboxes together (ciphertext + 512 per envelope)");
  limit("--nonces-per-handle-max", cfg.identity.nonces_per_handle_max, "NONCES_PER_HANDLE_MAX",
        "Live signature nonces one handle may hold per replay cache (429 beyond)");
  limit("--nonces-total-max", cfg.identity.nonces_total_max, "NONCES_TOTAL_MAX",
        "Live signature nonces in each replay cache (429 beyond)");
  limit("--claim-ttl-ms", l.claim_ttl_ms, "CLAIM_TTL_MS", "Default claim lease (60000-300000)");
  limit("--header-limit", cfg.header_limit_bytes, "HEADER_LIMIT_BYTES",
        "Request line + headers limit (431 above)");
  limit("--request-line-limit", cfg.request_line_limit_bytes, "REQUEST_LINE_LIMIT_BYTES",
        "Request line limit in bytes (414 above)");
  limit("--header-count-limit", cfg.header_count_limit, "HEADER_COUNT_LIMIT",
        "Header fields per request (431 above)");
  limit("--keepalive-timeout-s", cfg.keepalive_timeout_s, "KEEPALIVE_TIMEOUT_S",
        "Idle HTTP keep-alive timeout");
  limit("--header-timeout-s", cfg.header_timeout_s, "HEADER_TIMEOUT_S",
        "Time a client has from connecting, or from a request's first byte, to send the "
        "request head, and again for its body (the connection is closed after it)");
  limit("--shutdown-grace-ms", cfg.shutdown_grace_ms, "SHUTDOWN_GRACE_MS",
        "How long SIGTERM waits for streams to drain");
  app.add_option("--conn-cap-per-ip", cfg.conn_cap_per_ip,
                 "Open HTTP connections per peer address (the socket's, not X-Forwarded-For); "
                 "more get a 503 and are closed at accept. Streams count against "
                 "--stream-cap-per-ip instead. Peers in --trust-proxy are not capped: their "
                 "clients are limited per forwarded address")
      ->envname("CONN_CAP_PER_IP")
      ->capture_default_str()
      ->check(CLI::Range(1, 1 << 30))
      ->group("Limits");

  app.add_option(
         "--redis", cfg.redis_url,
         "Cluster mode: redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]. Nodes sharing one Redis "
         "share rooms, identities, DMs and profiles (docs/SCALING.md); without it, one "
         "node with SQLite under --data-dir")
      ->envname("BOT2BOT_REDIS")
      ->group("Cluster");
  app.add_option("--redis-password", cfg.redis_password,
                 "Password for --redis (instead of one in the URL)")
      ->envname("BOT2BOT_REDIS_PASSWORD")
      ->group("Cluster");
  app.add_flag("--global-rate-limits", cfg.global_rate_limits,
               "Cluster mode: the --room-rate-* and --global-rate-* buckets are shared by every "
               "node through Redis (synced every 100 ms), so a client spread over the nodes gets "
               "one budget; without it each node limits on its own")
      ->envname("BOT2BOT_GLOBAL_RATE_LIMITS")
      ->group("Cluster");
  app.add_option("--tls-cert", cfg.tls_cert,
                 "Serve HTTPS/WSS on --listen with this PEM certificate chain (needs --tls-key; "
                 "both re-read on SIGHUP)")
      ->envname("BOT2BOT_TLS_CERT")
      ->group("TLS");
  app.add_option("--tls-key", cfg.tls_key, "PEM private key of --tls-cert (unencrypted)")
      ->envname("BOT2BOT_TLS_KEY")
      ->group("TLS");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }

  if (print_routes) {
    std::cout << api::route_table_json() << std::endl;
    return 0;
  }

  std::string err;
  if (listen.empty()) {
    // The old deployment's variables (§17), for harnesses that set them.
    if (const char* h = std::getenv("HOST"); h && *h) cfg.host = h;
    if (const char* p = std::getenv("PORT"); p && *p) listen = cfg.host + ":" + p;
  }
  if (!listen.empty() && !parse_listen(listen, cfg, err)) {
    std::cerr << "bot2bot serve: --listen " << listen << ": " << err << "\n";
    return 2;
  }
  if (cfg.global_rate_limits && cfg.redis_url.empty()) {
    std::cerr << "bot2bot serve: --global-rate-limits shares rate limits between the nodes of a "
                 "cluster: it needs --redis\n";
    return 2;
  }
  if (cfg.tls_cert.empty() != cfg.tls_key.empty()) {
    std::cerr << "bot2bot serve: --tls-cert and --tls-key go together: give both, or neither "
                 "for plain HTTP\n";
    return 2;
  }
  if (!metrics_token.empty()) cfg.metrics_token = metrics_token;
  if (!admin_token.empty()) cfg.identity.admin_token = admin_token;
  // §2.5: values below 7 days are raised to 7 days.
  cfg.identity.identity_gc_inactive_ms =
      std::max<int64_t>(cfg.identity.identity_gc_inactive_ms, 7LL * 24 * 3600 * 1000);
  return api::run_server(cfg);
}

}  // namespace b2b::cli
