// The route table (ROOMS.md §0): turns a parsed request into a handler call. Paths match
// case-insensitively with an optional trailing slash (§13.5); room ids keep their case and
// are percent-decoded (§2.1). Every /api/* failure is JSON (§20.21).
#pragma once

#include "api/relay_state.h"
#include "net/http_types.h"

namespace b2b::api {

class Router final : public net::HttpHandler {
 public:
  explicit Router(RelayState& state) : state_(state) {}

  void handle(const std::shared_ptr<net::HttpSession>& session, net::Request&& request) override;
  net::Response parse_failure_response(net::ParseFailure failure,
                                       const std::string& target) override;

 private:
  RelayState& state_;
};

}  // namespace b2b::api
