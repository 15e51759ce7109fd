// One outgoing webhook request (issue 10): the verification GET or a delivery POST. Every
// address the host resolves to is checked against core::webhook_address_allowed, and the
// connection goes only to the addresses that pass, so a name cannot point the relay at
// loopback, a private network or the cloud metadata service (no SSRF, no DNS rebinding
// between check and connect). Redirects are never followed: a 3xx is an answer like any
// other non-2xx. https:// uses OpenSSL with the system CA store and host-name verification.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>

#include <chrono>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "core/result.h"

namespace b2b::api {

struct HookUrl {
  bool tls = false;
  std::string host;  // as written, without brackets for IPv6 literals
  std::string port;
  std::string target;  // origin-form path and query
  std::string host_header;
};

// `https://` always; `http://` only when private addresses are allowed (tests, on-premise).
// Errors: "bad webhook URL" with a detail naming the problem.
core::Result<HookUrl> parse_hook_url(const std::string& url, bool allow_private);

struct HookRequest {
  bool post = false;  // false: GET
  std::string target;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

struct HookResponse {
  unsigned status = 0;
  std::string body;  // at most 64 KiB are read
};

// Error texts: "webhook address refused" (the host resolves only to refused addresses) or
// "webhook unreachable" (resolve, connect, TLS, write, read or the deadline failed).
using HookDone = std::function<void(core::Result<HookResponse>)>;

struct HookClient {
  boost::asio::io_context& io;
  boost::asio::ssl::context& tls;
  bool allow_private = false;
};

// Runs on `client.io`'s thread; `done` is called there exactly once.
void send_hook_request(const HookClient& client, const HookUrl& url, HookRequest request,
                       std::chrono::milliseconds timeout, HookDone done);

}  // namespace b2b::api
