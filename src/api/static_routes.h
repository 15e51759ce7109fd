// Pages and files served from the share directory (ROOMS.md §12.6, §12.9): the SDK, the
// OpenAPI document with our public URL, Swagger UI, the protocol guide rendered from
// Markdown, llms.txt. Every file comes from a fixed allowlist in these handlers.
#pragma once

#include "api/route_table.h"

namespace b2b::api {

void serve_sdk(RouteContext& ctx);
void serve_openapi(RouteContext& ctx);
void serve_api_docs_page(RouteContext& ctx);
void serve_guide(RouteContext& ctx);      // /docs     <- docs/GUIDE.md
void serve_cli_guide(RouteContext& ctx);  // /docs/cli <- docs/CLI.md
void serve_mcp_guide(RouteContext& ctx);  // /docs/mcp <- docs/MCP.md
void serve_agents_guide(RouteContext& ctx);  // /docs/agents <- docs/AGENTS.md
void serve_llms_txt(RouteContext& ctx);
void serve_swagger_css(RouteContext& ctx);
void serve_swagger_bundle(RouteContext& ctx);
void serve_guide_css(RouteContext& ctx);
void serve_api_docs_script(RouteContext& ctx);

}  // namespace b2b::api
