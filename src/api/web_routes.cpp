#include "api/web_routes.h"

#include <sodium.h>
#include <spdlog/spdlog.h>

#include <array>
#include <regex>

#include "api/responses.h"

namespace b2b::api {

namespace http = boost::beast::http;

namespace {

// The app's URLs are not build-stamped, so assets revalidate instead of living in caches
// across upgrades (a page and its modules must come from the same release).
constexpr std::string_view kPageCache = "no-store, must-revalidate";
constexpr std::string_view kAssetCache = "no-cache";

// A strong validator from the bytes themselves: with `no-cache` every load asks again, and
// an unchanged asset then costs a 304 instead of its body.
std::string entity_tag(const std::string& body) {
  std::array<unsigned char, 16> digest{};
  crypto_generichash(digest.data(), digest.size(),
                     reinterpret_cast<const unsigned char*>(body.data()), body.size(), nullptr, 0);
  std::array<char, 33> hex{};
  sodium_bin2hex(hex.data(), hex.size(), digest.data(), digest.size());
  return "\"" + std::string(hex.data()) + "\"";
}

// If-None-Match holds one tag, a list, or weak forms; our tags are quoted 32-hex strings,
// so finding one inside the header value is exact enough.
bool client_has(const net::Request& request, const std::string& tag) {
  const std::string_view given = request[http::field::if_none_match];
  return !given.empty() && given.find(tag) != std::string_view::npos;
}

void send_file(RouteContext& c, const std::string& relative, std::string_view content_type,
               std::string_view cache_control) {
  auto body = c.site.files.read(relative);
  if (!body) {
    spdlog::error("share dir {}: {}", c.site.files.root(), body.error().detail);
    net::Response res{http::status::internal_server_error, 11};
    res.set(http::field::content_type, "text/plain; charset=utf-8");
    res.body() = "read error";
    return c.reply.send(std::move(res));
  }
  const std::string tag = entity_tag(*body.value());
  if (client_has(c.request, tag)) {
    net::Response res{http::status::not_modified, 11};
    res.set(http::field::etag, tag);
    res.set(http::field::cache_control, cache_control);
    return c.reply.send(std::move(res));
  }
  net::Response res{http::status::ok, 11};
  res.set(http::field::content_type, content_type);
  res.set(http::field::cache_control, cache_control);
  res.set(http::field::etag, tag);
  res.body() = *body.value();
  c.reply.send(std::move(res));
}

void send_page(RouteContext& c, const char* file) {
  send_file(c, std::string("web/") + file, "text/html; charset=utf-8", kPageCache);
}

// A requested asset name: one segment, lower-case letters, digits and dashes, one extension.
// Missing files are 404 (the name came from the request), not 500.
void send_asset(RouteContext& c, const char* dir, const std::regex& name_rule,
                std::string_view content_type) {
  const std::string& name = c.params[0];
  const std::string relative = std::string("web/") + dir + "/" + name;
  if (!std::regex_match(name, name_rule) || !c.site.files.exists(relative)) {
    return c.reply.send(
        html_not_found(http::to_string(c.request.method()), std::string("/") + dir + "/" + name));
  }
  send_file(c, relative, content_type, kAssetCache);
}

}  // namespace

void serve_landing_page(RouteContext& c) {
  send_page(c, "index.html");
}
void serve_room_page(RouteContext& c) {
  send_page(c, "room.html");
}
void serve_agents_page(RouteContext& c) {
  send_page(c, "agents.html");
}
void serve_connect_page(RouteContext& c) {
  send_page(c, "connect.html");
}
void serve_admin_page(RouteContext& c) {
  send_page(c, "admin.html");
}

void serve_web_css(RouteContext& c) {
  static const std::regex kName(R"(^[a-z0-9][a-z0-9-]*\.css$)");
  send_asset(c, "css", kName, "text/css; charset=utf-8");
}

void serve_web_js(RouteContext& c) {
  static const std::regex kName(R"(^[a-z0-9][a-z0-9-]*\.js$)");
  send_asset(c, "js", kName, "application/javascript; charset=utf-8");
}

void serve_favicon(RouteContext& c) {
  send_file(c, "web/favicon.svg", "image/svg+xml", "public, max-age=300");
}

void serve_tweetnacl(RouteContext& c) {
  send_file(c, "node_modules/tweetnacl/nacl-fast.min.js", "application/javascript; charset=utf-8",
            kAssetCache);
}

}  // namespace b2b::api
