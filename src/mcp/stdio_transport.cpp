#include "mcp/stdio_transport.h"

#include <thread>

namespace b2b::mcp {

namespace {

// Parked long-polls each hold a thread and a relay connection; the relay caps parked waits
// per IP at 16 anyway (ROOMS.md §6.4), so more concurrent calls could only fail there.
constexpr std::size_t kMaxConcurrentCalls = 16;

}  // namespace

StdioTransport::StdioTransport(McpDispatcher& dispatcher, std::ostream& out)
    : dispatcher_(dispatcher), out_(out) {}

void StdioTransport::write_line(const std::string& line) {
  std::lock_guard lock(write_mutex_);
  out_ << line << '\n';
  out_.flush();
}

void StdioTransport::serve(std::istream& in) {
  // std::cin is tied to std::cout: every read would flush the output stream from this thread,
  // outside write_mutex_, racing a worker's write (seen as a reply written twice).
  in.tie(nullptr);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    IncomingMessage message = parse_message(line);
    if (message.kind == IncomingMessage::Kind::notification &&
        message.method == "notifications/cancelled") {
      note_cancelled(message.params);
      continue;
    }
    if (McpDispatcher::is_slow(message)) {
      run_slow(std::move(message));
      continue;
    }
    if (std::optional<std::string> reply = dispatcher_.handle(message)) write_line(*reply);
  }
}

void StdioTransport::run_slow(IncomingMessage message) {
  {
    std::lock_guard lock(calls_mutex_);
    if (running_calls_ >= kMaxConcurrentCalls) {
      write_line(error_response(
          message.id, {rpc_code::kInternalError, "server busy: too many tool calls running"}));
      return;
    }
    ++running_calls_;
    in_flight_.insert(boost::json::serialize(message.id));
  }
  // Detached: wait_idle() is the join point, and the process may have to exit while a
  // long-poll is still parked at the relay (its HTTP request cannot be interrupted).
  std::thread([this, message = std::move(message)] {
    std::optional<std::string> reply = dispatcher_.handle(message);
    const std::string id = boost::json::serialize(message.id);
    bool cancelled = false;
    {
      std::lock_guard lock(calls_mutex_);
      cancelled = cancelled_.erase(id) > 0;
      if (auto it = in_flight_.find(id); it != in_flight_.end()) in_flight_.erase(it);
    }
    if (reply && !cancelled) write_line(*reply);
    std::lock_guard lock(calls_mutex_);
    --running_calls_;
    calls_done_.notify_all();
  }).detach();
}

// MCP cancellation: the host gave up on a request (often its own timeout). The call cannot be
// interrupted, but its late answer is dropped, as the spec asks of receivers.
void StdioTransport::note_cancelled(const boost::json::object& params) {
  const boost::json::value* id = params.if_contains("requestId");
  if (id == nullptr) return;
  const std::string key = boost::json::serialize(*id);
  std::lock_guard lock(calls_mutex_);
  if (in_flight_.count(key) != 0) cancelled_.insert(key);
}

bool StdioTransport::wait_idle(std::chrono::milliseconds grace) {
  std::unique_lock lock(calls_mutex_);
  return calls_done_.wait_for(lock, grace, [this] { return running_calls_ == 0; });
}

}  // namespace b2b::mcp
