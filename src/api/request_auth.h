// The shared front of every Hdr-auth endpoint (IDENTITY.md §1.10, §0): registered check,
// the `auth:<handle>` rate bucket, then the request signature over the raw target.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "api/relay_state.h"
#include "net/http_types.h"

namespace b2b::api {

enum class UnknownHandle { kNotFound404, kUnauthorized401 };

// nullopt when the request may proceed; otherwise the response to send (404, 429 or 401).
std::optional<net::Response> authenticate_handle(RelayState& state, const net::Request& request,
                                                 const std::string& handle,
                                                 const std::string& client_ip,
                                                 UnknownHandle unknown);

}  // namespace b2b::api
