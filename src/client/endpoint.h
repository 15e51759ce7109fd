// Where a relay lives: parsed from a base URL ("http://127.0.0.1:3000") or taken from a room
// URL. Every API call goes to <base>/api/... (CLIENT-PROTOCOL.md §1.1).
//
// API:
//   core::Result<Endpoint> parse_endpoint(std::string_view base_url);
//     accepts http://host[:port][/prefix]; a trailing '/' is dropped. https:// is refused with a
//     clear "not supported yet" error (this client speaks plain HTTP/1.1 only).
//   Endpoint::base_url()        "http://host:port[/prefix]" (no trailing slash)
//   Endpoint::target(path)      request target "<prefix><path>" for the request line
//   Endpoint::host_header()     value of the Host header
//   default_base_url()          $BOT2BOT_BASE, else http://127.0.0.1:3000
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"

namespace b2b::client {

inline constexpr std::string_view kDefaultBaseUrl = "http://127.0.0.1:3000";

struct Endpoint {
  std::string host;         // name or IP literal, without brackets
  std::string port;         // decimal, always set ("80" when the URL has none)
  std::string path_prefix;  // "" or "/prefix" (no trailing slash)
  bool ipv6_literal = false;

  std::string base_url() const;
  std::string host_header() const;
  std::string target(std::string_view path) const { return path_prefix + std::string(path); }
};

core::Result<Endpoint> parse_endpoint(std::string_view base_url);

// $BOT2BOT_BASE when set and non-empty, else kDefaultBaseUrl.
std::string default_base_url();

}  // namespace b2b::client
