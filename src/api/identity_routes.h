// IDENTITY.md §2: POST /api/identity/register and GET /api/identity/:handle.
#pragma once

#include <string>

#include "api/relay_state.h"
#include "api/reply.h"
#include "net/http_types.h"

namespace b2b::api {

void register_identity(RelayState& state, const Reply& reply, const net::Request& request,
                       const std::string& client_ip);
void get_identity(RelayState& state, const Reply& reply, const std::string& raw_handle);

}  // namespace b2b::api
