// GET /metrics rendering (ROOMS.md §12.8): Prometheus text with fixed families and
// content-free labels.
#include "core/metrics.h"

#include <gtest/gtest.h>

#include <sstream>
#include <string>

namespace b2b::core {
namespace {

bool has_line(const std::string& text, const std::string& line) {
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) {
    if (l == line) return true;
  }
  return false;
}

TEST(Metrics, EveryFamilyHasHelpAndType) {
  Metrics m;
  const std::string out = m.render_prometheus(0);
  for (const char* fam : {"bot2bot_rooms", "bot2bot_connections", "bot2bot_rooms_created_total",
                          "bot2bot_rooms_evicted_total", "bot2bot_messages_posted_total",
                          "bot2bot_messages_delivered_total", "bot2bot_bytes_relayed_total",
                          "bot2bot_buffered_bytes", "bot2bot_rate_limited_total",
                          "bot2bot_slow_consumers_dropped_total", "bot2bot_stream_connects_total",
                          "bot2bot_longpoll_total", "bot2bot_http_responses_total"}) {
    EXPECT_NE(out.find(std::string("# HELP ") + fam + " "), std::string::npos) << fam;
    EXPECT_NE(out.find(std::string("# TYPE ") + fam + " "), std::string::npos) << fam;
  }
  EXPECT_TRUE(has_line(out, "# TYPE bot2bot_rooms gauge"));
  EXPECT_TRUE(has_line(out, "# TYPE bot2bot_rooms_created_total counter"));
  EXPECT_EQ(out.back(), '\n');
}

TEST(Metrics, SamplesCarryTheCounts) {
  Metrics m;
  add(m.rooms, 3);
  add(m.rooms, -1);
  add(m.sse_connections, 4);
  add(m.ws_connections, 5);
  add(m.http_connections, 6);
  inc(m.rooms_created, 7);
  inc(m.rooms_evicted);
  inc(m.messages_posted_http, 8);
  inc(m.messages_posted_ws, 9);
  inc(m.messages_delivered, 10);
  inc(m.bytes_relayed, 11);
  inc(m.rate_limited, 12);
  inc(m.slow_consumers_dropped, 13);
  inc(m.sse_connects, 14);
  inc(m.ws_connects, 15);
  inc(m.longpoll_waits, 16);
  inc(m.longpoll_wakes, 17);
  inc(m.longpoll_timeouts, 18);
  const std::string out = m.render_prometheus(123456);
  for (const char* line : {
           "bot2bot_rooms 2",
           "bot2bot_connections{transport=\"http\"} 6",
           "bot2bot_connections{transport=\"sse\"} 4",
           "bot2bot_connections{transport=\"ws\"} 5",
           "bot2bot_rooms_created_total 7",
           "bot2bot_rooms_evicted_total 1",
           "bot2bot_messages_posted_total{transport=\"http\"} 8",
           "bot2bot_messages_posted_total{transport=\"ws\"} 9",
           "bot2bot_messages_delivered_total 10",
           "bot2bot_bytes_relayed_total 11",
           "bot2bot_buffered_bytes 123456",
           "bot2bot_rate_limited_total 12",
           "bot2bot_slow_consumers_dropped_total 13",
           "bot2bot_stream_connects_total{transport=\"sse\"} 14",
           "bot2bot_stream_connects_total{transport=\"ws\"} 15",
           "bot2bot_longpoll_total{outcome=\"parked\"} 16",
           "bot2bot_longpoll_total{outcome=\"woken\"} 17",
           "bot2bot_longpoll_total{outcome=\"timeout\"} 18",
       }) {
    EXPECT_TRUE(has_line(out, line)) << line << "\n" << out;
  }
}

TEST(Metrics, ResponsesAreCountedByRouteAndClass) {
  Metrics m;
  m.count_response(RouteLabel::kRoomMessages, 200);
  m.count_response(RouteLabel::kRoomMessages, 204);
  m.count_response(RouteLabel::kRoomMessages, 429);
  m.count_response(RouteLabel::kRoomMessages, 503);
  m.count_response(RouteLabel::kHealth, 301);
  m.count_response(RouteLabel::kPages, 404);
  const std::string out = m.render_prometheus(0);
  EXPECT_TRUE(has_line(
      out, "bot2bot_http_responses_total{route=\"/api/rooms/:id/messages\",class=\"2xx\"} 2"));
  EXPECT_TRUE(has_line(
      out, "bot2bot_http_responses_total{route=\"/api/rooms/:id/messages\",class=\"4xx\"} 1"));
  EXPECT_TRUE(has_line(
      out, "bot2bot_http_responses_total{route=\"/api/rooms/:id/messages\",class=\"5xx\"} 1"));
  EXPECT_TRUE(has_line(out, "bot2bot_http_responses_total{route=\"/api/health\",class=\"3xx\"} 1"));
  EXPECT_TRUE(has_line(out, "bot2bot_http_responses_total{route=\"pages\",class=\"4xx\"} 1"));
  // Zero rows are omitted.
  EXPECT_EQ(out.find("class=\"3xx\"} 0"), std::string::npos);
  EXPECT_EQ(out.find("route=\"/api/rooms/:id/messages\",class=\"3xx\""), std::string::npos);
}

TEST(Metrics, RouteLabelsAreFixedTemplates) {
  EXPECT_STREQ(route_label_name(RouteLabel::kRoomEvents), "/api/rooms/:id/events");
  EXPECT_STREQ(route_label_name(RouteLabel::kRoomWs), "/api/rooms/:id/ws");
  EXPECT_STREQ(route_label_name(RouteLabel::kRoomWait), "/api/rooms/:id/wait");
  EXPECT_STREQ(route_label_name(RouteLabel::kMetrics), "/metrics");
  EXPECT_STREQ(route_label_name(RouteLabel::kCount), "unknown");
  for (int r = 0; r < static_cast<int>(RouteLabel::kCount); ++r) {
    EXPECT_STRNE(route_label_name(static_cast<RouteLabel>(r)), "unknown") << r;
  }
}

}  // namespace
}  // namespace b2b::core
