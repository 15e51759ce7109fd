// POST /api/report and POST /api/contact (ROOMS.md §12.4, §12.5) with the §20.10–§20.12
// fixes: a strict rate limit of their own per IP (namespaced keys), an ip_hash under a
// secret salt that rotates daily, records written off the event loops, no user text in
// the process log.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "api/alert_webhook.h"
#include "api/relay_state.h"
#include "api/reply.h"
#include "api/report_log.h"
#include "api/side_worker.h"
#include "core/limiters.h"
#include "net/http_types.h"

namespace b2b::api {

class ReportDesk {
 public:
  // `config.alert_webhook` must already be valid (checked at start-up).
  explicit ReportDesk(const RelayConfig& config);
  ~ReportDesk();  // drains pending writes and webhook calls

  void submit_report(RelayState& state, const Reply& reply, const net::Request& request,
                     const std::string& client_ip);
  void submit_contact(RelayState& state, const Reply& reply, const net::Request& request,
                      const std::string& client_ip);

  // First 12 hex chars of BLAKE2b(secret, day || "|" || purpose || "|" || ip): stable for a
  // day, unlinkable across days and processes, not reversible without the secret.
  std::string ip_hash(const std::string& ip, std::string_view purpose, int64_t now_ms) const;

  // Drops rate buckets idle for longer than `idle_ms` (called by the janitor).
  void sweep(int64_t now_ms, int64_t idle_ms) { limiter_.sweep(now_ms, idle_ms); }

 private:
  // §20.11: false = 429. Keys are namespaced so room ids never share these buckets (§20.10).
  bool allow(RelayState& state, const std::string& ip, std::string_view what, int64_t now_ms);
  int retry_after_s() const;

  const double refill_per_sec_;
  core::RateLimiter limiter_;
  unsigned char secret_[32];
  SideWorker worker_;
  ReportLog log_;
  std::optional<AlertWebhook> webhook_;
};

}  // namespace b2b::api
