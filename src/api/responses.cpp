#include "api/responses.h"

#include <boost/json.hpp>

namespace b2b::api {

namespace http = boost::beast::http;

namespace {
struct HeaderLine {
  std::string_view name;
  std::string_view value;
};
constexpr HeaderLine kStaticSecurityHeaders[] = {
    {"X-Content-Type-Options", "nosniff"},
    {"Referrer-Policy", "no-referrer"},
    {"X-Frame-Options", "DENY"},
    {"Permissions-Policy", "clipboard-read=(self), clipboard-write=(self)"},
};
}  // namespace

void add_security_headers(net::Response& res, std::string_view csp) {
  for (const auto& h : kStaticSecurityHeaders) res.set(h.name, h.value);
  res.set("Content-Security-Policy", csp);
}

std::string security_header_lines() {
  std::string out;
  for (const auto& h : kStaticSecurityHeaders) {
    out.append(h.name).append(": ").append(h.value).append("\r\n");
  }
  out.append("Content-Security-Policy: ").append(kContentSecurityPolicy).append("\r\n");
  return out;
}

net::Response json_response(unsigned status, std::string body) {
  net::Response res{static_cast<http::status>(status), 11};
  res.set(http::field::content_type, "application/json; charset=utf-8");
  res.body() = std::move(body);
  return res;
}

net::Response error_response(unsigned status, std::string_view error, std::string_view detail,
                             int retry_after_s) {
  boost::json::object o;
  o.emplace("error", error);
  if (!detail.empty()) o.emplace("detail", detail);
  net::Response res = json_response(status, boost::json::serialize(o));
  if (retry_after_s > 0) res.set(http::field::retry_after, std::to_string(retry_after_s));
  return res;
}

net::Response unavailable_response(const core::Error& error) {
  const bool cap = error.error == "room cap reached";
  return error_response(503, error.error, error.detail, cap ? 60 : 1);
}

namespace {
std::string html_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}
}  // namespace

net::Response html_not_found(std::string_view method, std::string_view path) {
  net::Response res{http::status::not_found, 11};
  res.set(http::field::content_type, "text/html; charset=utf-8");
  res.body() =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta "
      "charset=\"utf-8\">\n<title>Error</title>\n"
      "</head>\n<body>\n<pre>Cannot " +
      html_escape(method) + " " + html_escape(path) + "</pre>\n</body>\n</html>\n";
  add_security_headers(res, "default-src 'none'");
  return res;
}

std::string json_quote(std::string_view s) {
  return boost::json::serialize(boost::json::string_view(s));
}

}  // namespace b2b::api
