#include "core/metrics.h"

#include <string>

namespace b2b::core {

const char* route_label_name(RouteLabel r) {
  switch (r) {
    case RouteLabel::kRoomMessages:
      return "/api/rooms/:id/messages";
    case RouteLabel::kRoomEvents:
      return "/api/rooms/:id/events";
    case RouteLabel::kRoomWs:
      return "/api/rooms/:id/ws";
    case RouteLabel::kRoomWait:
      return "/api/rooms/:id/wait";
    case RouteLabel::kRoomTranscript:
      return "/api/rooms/:id/transcript";
    case RouteLabel::kRoomStatus:
      return "/api/rooms/:id/status";
    case RouteLabel::kRoomClaim:
      return "/api/rooms/:id/claim";
    case RouteLabel::kRoomAck:
      return "/api/rooms/:id/ack";
    case RouteLabel::kIdentity:
      return "/api/identity/*";
    case RouteLabel::kDirectMessages:
      return "/api/dm/:handle/*";
    case RouteLabel::kAgents:
      return "/api/agents/*";
    case RouteLabel::kRoomListening:
      return "/api/rooms/:id/listening";
    case RouteLabel::kRoomOther:
      return "/api/rooms/:id/*";
    case RouteLabel::kHealth:
      return "/api/health";
    case RouteLabel::kStatus:
      return "/api/status";
    case RouteLabel::kVersion:
      return "/api/version";
    case RouteLabel::kMetrics:
      return "/metrics";
    case RouteLabel::kReport:
      return "/api/report";
    case RouteLabel::kContact:
      return "/api/contact";
    case RouteLabel::kDocs:
      return "docs";
    case RouteLabel::kOtherApi:
      return "/api/*";
    case RouteLabel::kPages:
      return "pages";
    case RouteLabel::kCount:
      break;
  }
  return "unknown";
}

void Metrics::count_response(RouteLabel route, unsigned status) {
  size_t cls = status >= 500 ? 3 : status >= 400 ? 2 : status >= 300 ? 1 : 0;
  inc(responses[static_cast<size_t>(route)][cls]);
}

namespace {

uint64_t get(const Counter& c) {
  return c.load(std::memory_order_relaxed);
}
int64_t get(const Gauge& g) {
  return g.load(std::memory_order_relaxed);
}

void family(std::string& out, const char* name, const char* type, const char* help) {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

template <class V>
void sample(std::string& out, const char* name, const std::string& labels, V value) {
  out.append(name);
  if (!labels.empty()) out.append("{").append(labels).append("}");
  out.append(" ").append(std::to_string(value)).append("\n");
}

}  // namespace

std::string Metrics::render_prometheus(int64_t buffered_bytes) const {
  std::string o;
  o.reserve(4096);
  family(o, "bot2bot_rooms", "gauge", "Rooms in memory.");
  sample(o, "bot2bot_rooms", "", get(rooms));
  family(o, "bot2bot_connections", "gauge", "Open connections by transport.");
  sample(o, "bot2bot_connections", "transport=\"http\"", get(http_connections));
  sample(o, "bot2bot_connections", "transport=\"sse\"", get(sse_connections));
  sample(o, "bot2bot_connections", "transport=\"ws\"", get(ws_connections));
  family(o, "bot2bot_accept_errors_total", "counter",
         "Failed accepts; the listener pauses (50 ms doubling to 1 s) and retries.");
  sample(o, "bot2bot_accept_errors_total", "reason=\"fd_exhausted\"", get(accept_fd_exhausted));
  sample(o, "bot2bot_accept_errors_total", "reason=\"other\"", get(accept_errors));
  family(o, "bot2bot_connections_refused_total", "counter",
         "Connections closed at accept (503) because their address was at --conn-cap-per-ip.");
  sample(o, "bot2bot_connections_refused_total", "reason=\"per_ip_cap\"",
         get(connections_refused_per_ip));
  family(o, "bot2bot_rooms_created_total", "counter", "Rooms created.");
  sample(o, "bot2bot_rooms_created_total", "", get(rooms_created));
  family(o, "bot2bot_rooms_evicted_total", "counter", "Rooms evicted (idle or cap).");
  sample(o, "bot2bot_rooms_evicted_total", "", get(rooms_evicted));
  family(o, "bot2bot_messages_posted_total", "counter", "Messages accepted, by transport.");
  sample(o, "bot2bot_messages_posted_total", "transport=\"http\"", get(messages_posted_http));
  sample(o, "bot2bot_messages_posted_total", "transport=\"ws\"", get(messages_posted_ws));
  family(o, "bot2bot_messages_delivered_total", "counter",
         "Message events handed to subscribers and long-pollers.");
  sample(o, "bot2bot_messages_delivered_total", "", get(messages_delivered));
  family(o, "bot2bot_bytes_relayed_total", "counter", "Ciphertext characters accepted.");
  sample(o, "bot2bot_bytes_relayed_total", "", get(bytes_relayed));
  family(o, "bot2bot_buffered_bytes", "gauge", "Accounted bytes held in replay buffers.");
  sample(o, "bot2bot_buffered_bytes", "", buffered_bytes);
  family(o, "bot2bot_rate_limited_total", "counter", "Requests and frames refused with 429.");
  sample(o, "bot2bot_rate_limited_total", "", get(rate_limited));
  family(o, "bot2bot_slow_consumers_dropped_total", "counter",
         "Subscribers disconnected because their send queue exceeded its bound.");
  sample(o, "bot2bot_slow_consumers_dropped_total", "", get(slow_consumers_dropped));
  family(o, "bot2bot_stream_connects_total", "counter", "Stream subscriptions by transport.");
  sample(o, "bot2bot_stream_connects_total", "transport=\"sse\"", get(sse_connects));
  sample(o, "bot2bot_stream_connects_total", "transport=\"ws\"", get(ws_connects));
  family(o, "bot2bot_longpoll_total", "counter", "Long-poll waits parked and how they ended.");
  sample(o, "bot2bot_longpoll_total", "outcome=\"parked\"", get(longpoll_waits));
  sample(o, "bot2bot_longpoll_total", "outcome=\"woken\"", get(longpoll_wakes));
  sample(o, "bot2bot_longpoll_total", "outcome=\"timeout\"", get(longpoll_timeouts));
  family(o, "bot2bot_bug_reports_total", "counter", "Bug reports accepted (POST /api/report).");
  sample(o, "bot2bot_bug_reports_total", "", get(bug_reports));
  family(o, "bot2bot_contact_submissions_total", "counter",
         "Contact-form messages accepted (POST /api/contact).");
  sample(o, "bot2bot_contact_submissions_total", "", get(contact_submissions));
  family(o, "bot2bot_http_responses_total", "counter", "HTTP responses by route and class.");
  static const char* kClasses[] = {"2xx", "3xx", "4xx", "5xx"};
  for (size_t r = 0; r < responses.size(); ++r) {
    for (size_t c = 0; c < 4; ++c) {
      uint64_t v = get(responses[r][c]);
      if (v == 0) continue;
      std::string labels = "route=\"";
      labels.append(route_label_name(static_cast<RouteLabel>(r))).append("\",class=\"");
      labels.append(kClasses[c]).append("\"");
      sample(o, "bot2bot_http_responses_total", labels, v);
    }
  }
  return o;
}

}  // namespace b2b::core
