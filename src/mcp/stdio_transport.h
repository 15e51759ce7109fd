// MCP stdio transport: newline-delimited JSON-RPC on stdin/stdout. stdout carries only
// protocol messages (logs go to stderr). Slow requests (tools/call) run on their own threads so
// a host can ping, list tools or run calls in parallel while a long-poll is parked.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <istream>
#include <mutex>
#include <ostream>
#include <set>
#include <string>

#include "mcp/mcp_dispatcher.h"

namespace b2b::mcp {

class StdioTransport {
 public:
  StdioTransport(McpDispatcher& dispatcher, std::ostream& out);

  // Reads messages until end of input. Returns with slow calls possibly still running.
  void serve(std::istream& in);

  // Waits up to `grace` for running calls to finish; true when none is left.
  bool wait_idle(std::chrono::milliseconds grace);

 private:
  void write_line(const std::string& line);
  void run_slow(IncomingMessage message);
  void note_cancelled(const boost::json::object& params);

  McpDispatcher& dispatcher_;
  std::ostream& out_;
  std::mutex write_mutex_;
  std::mutex calls_mutex_;
  std::condition_variable calls_done_;
  std::size_t running_calls_ = 0;
  // Serialised ids of calls still running, and those the host cancelled (answers dropped).
  std::multiset<std::string> in_flight_;
  std::set<std::string> cancelled_;
};

}  // namespace b2b::mcp
