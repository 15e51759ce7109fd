// Handlers of the generic surface (ROOMS.md §12.1–§12.3) and operator metrics.
#pragma once

#include "api/relay_state.h"
#include "api/reply.h"
#include "net/http_types.h"

namespace b2b::api {

void get_health(RelayState& state, const Reply& reply);
void get_status(RelayState& state, const Reply& reply);
void get_version(const Reply& reply);
// Prometheus text, to loopback clients or with `Authorization: Bearer <metrics token>`.
void get_metrics(RelayState& state, const Reply& reply, const net::Request& request,
                 const std::string& client_ip);

}  // namespace b2b::api
