// Building HTTP answers: JSON bodies, the spec's error shape, the site-wide headers.
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"
#include "net/http_types.h"

namespace b2b::api {

// §13.3 with our stricter page policy (§12.9.3): no inline scripts or styles, no
// external hosts.
inline constexpr std::string_view kContentSecurityPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self'; font-src 'self'; "
    "img-src 'self' data: blob:; connect-src 'self' ws: wss:; frame-ancestors 'none'";

// Sets the §13.3 headers. `csp` overrides the site policy (404 pages use default-src 'none').
void add_security_headers(net::Response& res, std::string_view csp = kContentSecurityPolicy);
// The same headers as raw "Name: value\r\n" lines, for hand-written stream heads.
std::string security_header_lines();

net::Response json_response(unsigned status, std::string body);
// {"error": error, "detail": detail}; `retry_after_s` > 0 adds Retry-After.
net::Response error_response(unsigned status, std::string_view error, std::string_view detail = {},
                             int retry_after_s = 0);
// 503 for a room the relay cannot reach now: the room cap ("room cap reached", retry in 60 s) or,
// in cluster mode, Redis ("redis unavailable", retry in 1 s).
net::Response unavailable_response(const core::Error& error);
// §12.9.4: unknown page paths get the framework-style HTML 404.
net::Response html_not_found(std::string_view method, std::string_view path);

// JSON string literal for `s` (quotes included), for hand-assembled bodies.
std::string json_quote(std::string_view s);

}  // namespace b2b::api
