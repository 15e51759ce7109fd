// Turns a parsed request into a handler call through the route table (route_table.h).
// Paths match case-insensitively with an optional trailing slash (ROOMS.md §13.5); path
// parameters keep their case and are percent-decoded (§2.1). Every /api/* failure is JSON
// (§20.21); other unknown paths get the HTML 404 (§12.9.4).
#pragma once

#include "api/relay_state.h"
#include "api/site_services.h"
#include "net/http_types.h"

namespace b2b::api {

class Router final : public net::HttpHandler {
 public:
  Router(RelayState& state, SiteServices& site) : state_(state), site_(site) {}

  void handle(const std::shared_ptr<net::HttpSession>& session, net::Request&& request) override;
  net::Response parse_failure_response(net::ParseFailure failure,
                                       const std::string& target) override;

 private:
  RelayState& state_;
  SiteServices& site_;
};

}  // namespace b2b::api
