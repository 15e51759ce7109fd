#include "api/request_auth.h"

#include "api/identity_services.h"
#include "api/responses.h"
#include "core/clock.h"
#include "identity/auth_header.h"
#include "identity/request_signature.h"

namespace b2b::api {

std::optional<net::Response> authenticate_handle(RelayState& state, const net::Request& req,
                                                 const std::string& handle,
                                                 const std::string& client_ip,
                                                 UnknownHandle unknown) {
  IdentityServices& ids = *state.ids;
  auto identity = ids.registry.find(handle);
  if (!identity && unknown == UnknownHandle::kNotFound404) {
    return error_response(404, "no such handle", "register the handle first");
  }
  const int64_t now = core::wall_clock_ms();
  if (!state.allow_rate(client_ip, "auth:" + handle, now)) {
    core::inc(state.metrics.rate_limited);
    return error_response(429, "rate limited", "too many signed requests for this handle", 5);
  }
  auto auth = identity::authenticate_request(
      req[net::http::field::authorization], std::string(net::http::to_string(req.method())),
      req.target(), handle, identity ? &identity->sign_pub : nullptr, now, ids.request_nonces);
  if (!auth) {
    if (auth.error().error == identity::kReplayCacheFull) {
      return error_response(429, auth.error().error, auth.error().detail, 5);
    }
    return error_response(401, identity::kBadSignature, auth.error().detail);
  }
  ids.registry.touch(handle, now);
  return std::nullopt;
}

}  // namespace b2b::api
