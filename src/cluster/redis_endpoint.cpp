#include "cluster/redis_endpoint.h"

#include <boost/url/parse.hpp>

#include <charconv>

namespace b2b::cluster {

namespace {

core::Error bad(std::string what) {
  return core::Error{"bad redis url", std::move(what)};
}

}  // namespace

core::Result<RedisEndpoint> parse_redis_url(std::string_view text) {
  auto parsed = boost::urls::parse_uri(text);
  if (!parsed) return bad("not a URL: expected redis://HOST[:PORT][/DB]");
  const boost::urls::url_view& url = *parsed;
  if (url.scheme() != "redis") return bad("the scheme must be redis:// (TLS is not supported)");
  if (url.encoded_host().empty()) return bad("the host is missing");
  if (url.has_query() || url.has_fragment()) return bad("a query or fragment is not allowed");

  RedisEndpoint ep;
  ep.host = url.host_address();  // an IPv6 literal comes without its brackets
  if (url.has_port()) {
    const auto port = url.port_number();
    if (port == 0) return bad("the port must be 1-65535");
    ep.port = port;
  }
  if (url.has_userinfo()) {
    ep.user = url.user();
    if (url.has_password()) ep.password = url.password();
    // redis://secret@host is how many tools write a password without a user.
    if (!url.has_password()) std::swap(ep.user, ep.password);
  }
  std::string_view path = url.encoded_path();
  if (!path.empty() && path != "/") {
    path.remove_prefix(1);
    const auto [end, ec] = std::from_chars(path.data(), path.data() + path.size(), ep.db);
    if (ec != std::errc{} || end != path.data() + path.size() || ep.db < 0) {
      return bad("the path must be a database number, e.g. /0");
    }
  }
  return ep;
}

}  // namespace b2b::cluster
