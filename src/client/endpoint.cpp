#include "client/endpoint.h"

#include <boost/url/parse.hpp>

#include <cstdlib>

namespace b2b::client {

std::string Endpoint::host_header() const {
  std::string h = ipv6_literal ? "[" + host + "]" : host;
  if (port != "80") h += ":" + port;
  return h;
}

std::string Endpoint::base_url() const {
  return "http://" + host_header() + path_prefix;
}

core::Result<Endpoint> parse_endpoint(std::string_view base_url) {
  auto parsed = boost::urls::parse_uri(base_url);
  if (!parsed) {
    return core::Error{"bad base URL", "'" + std::string(base_url) + "' is not an absolute URL"};
  }
  const auto& u = *parsed;
  std::string scheme(u.scheme());
  if (scheme == "https") {
    return core::Error{"https is not supported yet",
                       "this client speaks plain http:// only; use an http:// base URL (for "
                       "example a local relay or a local TLS-terminating proxy)"};
  }
  if (scheme != "http") {
    return core::Error{"bad base URL", "scheme must be http://, got '" + scheme + "'"};
  }
  if (!u.has_authority() || u.host().empty()) {
    return core::Error{"bad base URL", "'" + std::string(base_url) + "' has no host"};
  }
  Endpoint ep;
  ep.ipv6_literal = u.host_type() == boost::urls::host_type::ipv6;
  ep.host = ep.ipv6_literal ? std::string(u.encoded_host_address()) : std::string(u.host());
  if (ep.ipv6_literal && ep.host.size() >= 2 && ep.host.front() == '[') {
    ep.host = ep.host.substr(1, ep.host.size() - 2);
  }
  ep.port = u.has_port() && !u.port().empty() ? std::string(u.port()) : "80";
  std::string path(u.encoded_path());
  while (!path.empty() && path.back() == '/') path.pop_back();
  ep.path_prefix = path;
  if (u.has_query() || u.has_fragment()) {
    return core::Error{"bad base URL", "a base URL has no query or fragment"};
  }
  return ep;
}

std::string default_base_url() {
  const char* env = std::getenv("BOT2BOT_BASE");
  if (env != nullptr && *env != '\0') return env;
  return std::string(kDefaultBaseUrl);
}

}  // namespace b2b::client
