#include "api/report_routes.h"

#include <sodium.h>
#include <spdlog/spdlog.h>

#include <boost/json.hpp>

#include <array>
#include <cmath>
#include <regex>

#include "api/iso_time.h"
#include "api/json_body.h"
#include "api/responses.h"
#include "core/clock.h"
#include "core/text_rules.h"
#include "core/uuid.h"

namespace b2b::api {

namespace json = boost::json;

namespace {

constexpr int64_t kDayMs = 24LL * 3600 * 1000;

// §12.4: a non-string field counts as empty; strings are truncated (UTF-16 units, as the
// reference's JavaScript did), never trimmed.
std::string field(const json::value& body, std::string_view name, std::size_t max_units) {
  const json::object* o = body.if_object();
  if (!o) return {};
  const json::value* v = o->if_contains(name);
  if (!v || !v->is_string()) return {};
  return std::string(core::truncate_utf16(std::string_view(v->get_string()), max_units));
}

std::string severity_of(const json::value& body) {
  std::string s = field(body, "severity", 16);
  for (std::string_view ok : {"low", "medium", "high", "critical"}) {
    if (s == ok) return s;
  }
  return "medium";
}

// The first `n` UTF-16 units of `s`, for the alert text's per-field bounds.
std::string clip(const std::string& s, std::size_t n) {
  return std::string(core::truncate_utf16(s, n));
}

// §12.5: `^[^\s@]+@[^\s@]+\.[^\s@]+$`, with JavaScript's \s reduced to ASCII whitespace
// (other Unicode spaces in an address are the submitter's problem, not a security one).
bool email_looks_valid(const std::string& email) {
  static const std::regex kShape(R"(^[^\s@]+@[^\s@]+\.[^\s@]+$)");
  return std::regex_match(email, kShape);
}

}  // namespace

ReportDesk::ReportDesk(const RelayConfig& config)
    : refill_per_sec_(config.report_rate_per_min / 60.0),
      limiter_(config.report_rate_burst, config.report_rate_per_min / 60.0),
      log_(worker_,
           config.reports_file.empty() ? config.data_dir + "/reports/bugs.jsonl"
                                       : config.reports_file,
           config.reports_max_bytes) {
  randombytes_buf(secret_, sizeof secret_);
  if (!config.alert_webhook.empty()) {
    auto target = parse_webhook_url(config.alert_webhook);
    if (target) webhook_.emplace(worker_, std::move(target.value()));
  }
}

ReportDesk::~ReportDesk() {
  worker_.stop();  // before log_ and webhook_ go: queued work refers to them
  sodium_memzero(secret_, sizeof secret_);
}

std::string ReportDesk::ip_hash(const std::string& ip, std::string_view purpose,
                                int64_t now_ms) const {
  const std::string input = std::to_string(now_ms / kDayMs) + "|" + std::string(purpose) + "|" + ip;
  std::array<unsigned char, 16> digest{};
  crypto_generichash(digest.data(), digest.size(),
                     reinterpret_cast<const unsigned char*>(input.data()), input.size(), secret_,
                     sizeof secret_);
  char hex[digest.size() * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, digest.data(), digest.size());
  return std::string(hex, 12);
}

bool ReportDesk::allow(RelayState& state, const std::string& ip, std::string_view what,
                       int64_t now_ms) {
  if (!limiter_.allow(std::string(what) + "|" + ip, now_ms)) return false;
  // The per-IP global bucket too (§12.5), so these routes cannot be an unmetered side door.
  return ip.empty() || state.global_rate.allow(ip, now_ms);
}

int ReportDesk::retry_after_s() const {
  if (refill_per_sec_ <= 0) return 60;
  return static_cast<int>(std::ceil(1.0 / refill_per_sec_));
}

void ReportDesk::submit_report(RelayState& state, const Reply& reply, const net::Request& request,
                               const std::string& client_ip) {
  const int64_t now = core::wall_clock_ms();
  if (!allow(state, client_ip, "report", now)) {
    core::inc(state.metrics.rate_limited);
    return reply.send(error_response(
        429, "rate limited", "bug reports are limited per client address", retry_after_s()));
  }
  auto body = parse_json_body(request);
  if (!body) return reply.send(error_response(400, body.error().error, body.error().detail));
  const json::value& b = body.value();
  std::string what = field(b, "what", 4000);
  if (core::utf16_length(what) < 5) {
    return reply.send(error_response(400, "field \"what\" required (5\u20134000 chars)"));
  }
  const std::string id = core::random_uuid_v4();
  json::object record{
      {"id", id},
      {"ts", iso8601_utc(now)},
      {"what", what},
      {"where", field(b, "where", 500)},
      {"repro", field(b, "repro", 4000)},
      {"context", field(b, "context", 2000)},
      {"contact", field(b, "contact", 200)},
      {"severity", severity_of(b)},
      {"ua", std::string(core::truncate_utf16(request[net::http::field::user_agent], 200))},
      {"ip_hash", ip_hash(client_ip, "report", now)}};
  log_.append(json::serialize(record));
  core::inc(state.metrics.bug_reports);
  spdlog::info("bug report {} accepted (severity {})", id, record.at("severity").as_string());

  if (webhook_) {
    auto text_of = [&](std::string_view key) { return std::string(record.at(key).as_string()); };
    std::string text = "Bug report (" + text_of("severity") + ")\nWhat: " + clip(what, 900);
    if (!text_of("where").empty()) text += "\nWhere: " + clip(text_of("where"), 200);
    if (!text_of("repro").empty()) text += "\nRepro: " + clip(text_of("repro"), 800);
    if (!text_of("context").empty()) text += "\nContext: " + clip(text_of("context"), 400);
    text += "\nContact: " + (text_of("contact").empty() ? "(anonymous)" : text_of("contact"));
    text += "\nUA: " + text_of("ua") + "\nid: " + id;
    webhook_->send(std::move(text), text_of("severity"), id);
  }
  reply.send(json_response(200, R"({"ok":true,"id":")" + id + "\"}"));
}

void ReportDesk::submit_contact(RelayState& state, const Reply& reply, const net::Request& request,
                                const std::string& client_ip) {
  const int64_t now = core::wall_clock_ms();
  if (!allow(state, client_ip, "contact", now)) {
    core::inc(state.metrics.rate_limited);
    return reply.send(error_response(
        429, "rate limited", "contact messages are limited per client address", retry_after_s()));
  }
  auto body = parse_json_body(request);
  if (!body) return reply.send(error_response(400, body.error().error, body.error().detail));
  const json::value& b = body.value();
  const std::string name = field(b, "name", 200);
  const std::string email = field(b, "email", 200);
  const std::string message = field(b, "message", 4000);
  if (core::utf16_length(message) < 3) {
    return reply.send(error_response(400, "field \"message\" required (3\u20134000 chars)"));
  }
  if (!email.empty() && !email_looks_valid(email)) {
    return reply.send(error_response(400, "email looks malformed"));
  }
  const std::string id = core::random_uuid_v4();
  core::inc(state.metrics.contact_submissions);
  if (webhook_) {
    std::string text = "Contact message\n" + message;
    if (!name.empty()) text += "\nName: " + name;
    if (!email.empty()) text += "\nEmail: " + email;
    text +=
        "\nUA: " + std::string(core::truncate_utf16(request[net::http::field::user_agent], 200));
    text += "\nip_hash: " + ip_hash(client_ip, "contact", now) + "\nid: " + id;
    webhook_->send(std::move(text), "contact", id);
  } else {
    // §20.12(b): never the message itself.
    spdlog::info("contact message {} received; no --alert-webhook configured, not kept", id);
  }
  reply.send(json_response(200, R"({"ok":true,"id":")" + id + "\"}"));
}

}  // namespace b2b::api
