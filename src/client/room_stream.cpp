#include "client/room_stream.h"

#include <boost/json/parse.hpp>

#include <algorithm>
#include <cmath>

#include "client/relay_client.h"
#include "client/sse_parser.h"

namespace b2b::client {
namespace json = boost::json;

RoomStream::RoomStream(Endpoint endpoint, std::string room_id, StreamOptions options)
    : endpoint_(std::move(endpoint)),
      room_id_(std::move(room_id)),
      options_(std::move(options)),
      last_seq_(options_.after) {}

void RoomStream::stop() {
  std::lock_guard lock(mu_);
  stopped_.store(true);
  if (current_ != nullptr) current_->stop();
  cv_.notify_all();
}

std::string RoomStream::target() const {
  std::string qs;
  auto add = [&](const std::string& kv) { qs += (qs.empty() ? "?" : "&") + kv; };
  if (!options_.name.empty()) add("name=" + url_encode(options_.name));
  if (!options_.box_pub.empty()) add("box_pub=" + url_encode(options_.box_pub));
  if (last_seq_.load() > 0) add("after=" + std::to_string(last_seq_.load()));
  return endpoint_.target("/api/rooms/" + room_id_ + "/events" + qs);
}

void RoomStream::sleep_backoff(int attempt) {
  // The reference SDK's curve: min(15, 0.5·2^min(n,5) + 0.1·n) seconds.
  double s = std::min(15.0, 0.5 * std::pow(2.0, std::min(attempt, 5)) + 0.1 * attempt);
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, std::chrono::milliseconds(static_cast<int64_t>(s * 1000)),
               [&] { return stopped_.load(); });
}

core::Result<std::monostate> RoomStream::run(
    const std::function<bool(const StreamEvent&)>& on_event) {
  int failures = 0;
  while (!stopped_.load()) {
    SseConnection conn(endpoint_);
    {
      std::lock_guard lock(mu_);
      if (stopped_.load()) break;
      current_ = &conn;
    }
    std::string why;
    bool saw_ready = false;
    bool keep_going = true;
    if (auto err = conn.open(target(), {}, options_.connect_timeout)) {
      why = err->error + (err->detail.empty() ? "" : ": " + err->detail);
      if (err->error == "relay answered 400") {
        std::lock_guard lock(mu_);
        current_ = nullptr;
        return core::Error{"bad roomId", why};
      }
    } else {
      StreamEvent connected;
      connected.kind = StreamEvent::Kind::kConnected;
      keep_going = on_event(connected);
      if (keep_going) keep_going = follow(conn, on_event, why, saw_ready);
    }
    {
      std::lock_guard lock(mu_);
      current_ = nullptr;
    }
    if (!keep_going || stopped_.load()) break;
    StreamEvent gone;
    gone.kind = StreamEvent::Kind::kDisconnected;
    gone.error = why;
    if (!on_event(gone)) break;
    failures = saw_ready ? 0 : failures + 1;
    sleep_backoff(failures);
  }
  return std::monostate{};
}

bool RoomStream::follow(SseConnection& conn,
                        const std::function<bool(const StreamEvent&)>& on_event, std::string& why,
                        bool& saw_ready) {
  SseParser parser;
  for (;;) {
    auto chunk = conn.read_some(options_.idle_timeout);
    if (!chunk) {
      why = chunk.error().error + ": " + chunk.error().detail;
      return true;
    }
    for (auto& ev : parser.feed(chunk.value())) {
      boost::system::error_code ec;
      auto v = json::parse(ev.data, ec);
      if (ec || !v.is_object()) continue;
      auto& obj = v.get_object();
      const auto* type = obj.if_contains("type");
      // Both arms as string_view: a `json::string : ""` conditional would build a temporary
      // json::string and leave `t` dangling.
      std::string_view t = type != nullptr && type->is_string()
                               ? std::string_view(type->get_string())
                               : std::string_view();
      StreamEvent out;
      if (t == "message") {
        auto m = parse_room_message(v);
        if (!m || m->seq <= last_seq_.load()) continue;  // dedup by seq across reconnects
        last_seq_.store(m->seq);
        out.kind = StreamEvent::Kind::kMessage;
        out.message = std::move(*m);
      } else if (t == "ready") {
        out.kind = StreamEvent::Kind::kReady;
        out.last_seq = json_int(obj, "last_seq").value_or(0);
        last_seq_.store(std::max(last_seq_.load(), out.last_seq));
        saw_ready = true;
      } else if (t == "error") {
        const auto* e = obj.if_contains("error");
        why = e != nullptr && e->is_string() ? std::string(e->get_string()) : "error event";
        return true;
      } else {
        out.kind = StreamEvent::Kind::kOther;
      }
      out.raw = std::move(obj);
      if (!on_event(out)) return false;
    }
  }
}

}  // namespace b2b::client
