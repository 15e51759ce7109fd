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
  }
  // Detached: wait_idle() is the join point, and the process may have to exit while a
  // long-poll is still parked at the relay (its HTTP request cannot be interrupted).
  std::thread([this, message = std::move(message)] {
    if (std::optional<std::string> reply = dispatcher_.handle(message)) write_line(*reply);
    std::lock_guard lock(calls_mutex_);
    --running_calls_;
    calls_done_.notify_all();
  }).detach();
}

bool StdioTransport::wait_idle(std::chrono::milliseconds grace) {
  std::unique_lock lock(calls_mutex_);
  return calls_done_.wait_for(lock, grace, [this] { return running_calls_ == 0; });
}

}  // namespace b2b::mcp
