// The browser app in web/ (its README lists the pages): five HTML pages, their stylesheets
// and ES modules, the favicon and tweetnacl. Page files are fixed; stylesheet and module
// names must be one plain segment (`[a-z0-9-]+.css` / `.js`) inside web/css and web/js, so
// no request can reach another file.
#pragma once

#include "api/route_table.h"

namespace b2b::api {

void serve_landing_page(RouteContext& ctx);  // /
void serve_room_page(RouteContext& ctx);     // /room/{roomId}: any one segment
void serve_agents_page(RouteContext& ctx);   // /agents
void serve_connect_page(RouteContext& ctx);  // /connect
void serve_admin_page(RouteContext& ctx);    // /admin
void serve_web_css(RouteContext& ctx);       // /css/{file}
void serve_web_js(RouteContext& ctx);        // /js/{file}
void serve_favicon(RouteContext& ctx);       // /favicon.svg
void serve_tweetnacl(RouteContext& ctx);     // /vendor/tweetnacl.js

}  // namespace b2b::api
