#include "api/request_auth.h"

#include "api/identity_services.h"
#include "api/responses.h"
#include "api/shared_nonces.h"
#include "core/clock.h"
#include "identity/auth_header.h"
#include "identity/request_signature.h"

namespace b2b::api {

void authenticate_handle(RelayState& state, const Reply& reply, const net::Request& req,
                         const std::string& handle, const std::string& client_ip,
                         UnknownHandle unknown, std::function<void()> proceed) {
  IdentityServices& ids = *state.ids;
  auto identity = ids.registry.find(handle);
  if (!identity && unknown == UnknownHandle::kNotFound404) {
    return reply.send(error_response(404, "no such handle", "register the handle first"));
  }
  const int64_t now = core::wall_clock_ms();
  if (!state.allow_rate(client_ip, "auth:" + handle, now)) {
    core::inc(state.metrics.rate_limited);
    return reply.send(
        error_response(429, "rate limited", "too many signed requests for this handle", 5));
  }
  auto auth = identity::authenticate_request(
      req[net::http::field::authorization], std::string(net::http::to_string(req.method())),
      req.target(), handle, identity ? &identity->sign_pub : nullptr, now, ids.request_nonces);
  if (!auth) {
    if (auth.error().error == identity::kReplayCacheFull) {
      return reply.send(error_response(429, auth.error().error, auth.error().detail, 5));
    }
    return reply.send(error_response(401, identity::kBadSignature, auth.error().detail));
  }
  ids.registry.touch(handle, now);
  claim_nonce_then(state, reply, NonceKind::kRequest, handle, auth.value().nonce, auth.value().ts,
                   error_response(401, identity::kBadSignature, "nonce already used"),
                   std::move(proceed));
}

}  // namespace b2b::api
