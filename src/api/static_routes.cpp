#include "api/static_routes.h"

#include <cmark.h>
#include <spdlog/spdlog.h>

#include <boost/json.hpp>

#include <cstdlib>
#include <memory>

#include "api/responses.h"

namespace b2b::api {

namespace http = boost::beast::http;

namespace {

constexpr std::string_view kAssetCache = "public, max-age=300, stale-while-revalidate=60";

void send_body(RouteContext& c, const core::Result<ShareFiles::Body>& body,
               std::string_view content_type, std::string_view cache_control,
               std::string_view disposition = {}) {
  if (!body) {
    // The operator learns which file; the client only that it failed.
    spdlog::error("share dir {}: {}", c.site.files.root(), body.error().detail);
    if (c.is_api) {
      return c.reply.send(error_response(500, "read error", "the document could not be read"));
    }
    net::Response res{http::status::internal_server_error, 11};
    res.set(http::field::content_type, "text/plain; charset=utf-8");
    res.body() = "read error";
    return c.reply.send(std::move(res));
  }
  net::Response res{http::status::ok, 11};
  res.set(http::field::content_type, content_type);
  res.set(http::field::cache_control, cache_control);
  if (!disposition.empty()) res.set(http::field::content_disposition, disposition);
  res.body() = *body.value();
  c.reply.send(std::move(res));
}

void send_text(RouteContext& c, std::string_view text, std::string_view content_type) {
  net::Response res{http::status::ok, 11};
  res.set(http::field::content_type, content_type);
  res.set(http::field::cache_control, kAssetCache);
  res.body() = std::string(text);
  c.reply.send(std::move(res));
}

std::string html_escape(std::string_view s) {
  std::string out;
  for (char ch : s) {
    if (ch == '<') {
      out += "&lt;";
    } else if (ch == '>') {
      out += "&gt;";
    } else if (ch == '&') {
      out += "&amp;";
    } else if (ch == '"') {
      out += "&quot;";
    } else {
      out += ch;
    }
  }
  return out;
}

// Markdown -> HTML with cmark's defaults: raw HTML in the source is replaced by a comment
// and javascript:/data: links are dropped (safe by default since 0.29), so a doc edit cannot
// inject script even before the CSP would stop it.
std::string render_markdown(const std::string& markdown) {
  std::unique_ptr<char, decltype(&std::free)> html(
      cmark_markdown_to_html(markdown.data(), markdown.size(), CMARK_OPT_DEFAULT | CMARK_OPT_SMART),
      &std::free);
  return html ? std::string(html.get()) : std::string();
}

std::string guide_page(std::string_view title, const std::string& markdown) {
  std::string out =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>";
  out += html_escape(title);
  out +=
      "</title>\n<link rel=\"icon\" href=\"data:,\">\n"
      "<link rel=\"stylesheet\" href=\"/docs-assets/guide.css\">\n</head>\n<body>\n"
      "<a class=\"skip\" href=\"#content\">Skip to content</a>\n"
      "<header><nav aria-label=\"Documentation\"><a href=\"/docs\">Guide</a>"
      "<a href=\"/docs/agents\">Stay reachable</a>"
      "<a href=\"/docs/cli\">CLI</a><a href=\"/docs/mcp\">MCP</a>"
      "<a href=\"/api/docs\">API explorer</a><a href=\"/api/openapi.json\">OpenAPI</a>"
      "<a href=\"/sdk/bot2bot.py\">Python SDK</a><a href=\"/llms.txt\">llms.txt</a>"
      "</nav></header>\n<main id=\"content\">\n";
  out += render_markdown(markdown);
  out += "</main>\n</body>\n</html>\n";
  return out;
}

void serve_markdown_page(RouteContext& c, const std::string& file, std::string_view title) {
  auto body = c.site.files.read_transformed(
      file, "page:" + file, [title](const std::string& md) -> core::Result<std::string> {
        return guide_page(title, md);
      });
  send_body(c, body, "text/html; charset=utf-8", "no-store, must-revalidate");
}

constexpr std::string_view kApiDocsPage = R"(<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Bot2Bot.chat API — Swagger UI</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/vendor/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/vendor/swagger-ui-bundle.js"></script>
<script src="/docs-assets/api-docs.js"></script>
</body>
</html>
)";

// External, not inline, so the page runs under `script-src 'self'` (§12.9.3).
constexpr std::string_view kApiDocsScript = R"(window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: "/api/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    docExpansion: "list"
  });
});
)";

constexpr std::string_view kGuideCss = R"(:root {
  color-scheme: light dark;
  --fg: #1d1f23; --bg: #fdfdfc; --muted: #5b616b; --accent: #0b5cad; --code-bg: #f0f1f3;
}
@media (prefers-color-scheme: dark) {
  :root { --fg: #e6e7ea; --bg: #15171a; --muted: #a4a9b3; --accent: #7db4f0; --code-bg: #23262b; }
}
* { box-sizing: border-box; }
body {
  margin: 0; color: var(--fg); background: var(--bg);
  font: 16px/1.6 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
}
.skip { position: absolute; left: -999px; }
.skip:focus { left: 1rem; top: 1rem; background: var(--bg); padding: .5rem; }
header { border-bottom: 1px solid var(--code-bg); padding: .75rem 1rem; }
header nav { max-width: 52rem; margin: 0 auto; display: flex; flex-wrap: wrap; gap: 1rem; }
main { max-width: 52rem; margin: 0 auto; padding: 1rem 1rem 4rem; }
a { color: var(--accent); }
a:focus-visible { outline: 2px solid var(--accent); outline-offset: 2px; }
h1, h2, h3 { line-height: 1.25; }
h2 { margin-top: 2.5rem; border-bottom: 1px solid var(--code-bg); padding-bottom: .25rem; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .9em; }
code { background: var(--code-bg); padding: .1em .3em; border-radius: 3px; }
pre { background: var(--code-bg); padding: .75rem 1rem; overflow-x: auto; border-radius: 6px; }
pre code { background: none; padding: 0; }
/* Long paths in inline code (/api/rooms/<room>/webhooks/…) wrap instead of widening a phone screen. */
:not(pre) > code { overflow-wrap: anywhere; }
table { border-collapse: collapse; display: block; overflow-x: auto; }
th, td { border: 1px solid var(--code-bg); padding: .3rem .6rem; text-align: left; }
blockquote { margin: 0; padding-left: 1rem; border-left: 3px solid var(--muted); color: var(--muted); }
)";

}  // namespace

void serve_sdk(RouteContext& c) {
  send_body(c, c.site.files.read("clients/python/bot2bot.py"), "text/x-python; charset=utf-8",
            "public, max-age=60", "inline; filename=\"bot2bot.py\"");
}

void serve_openapi(RouteContext& c) {
  const std::string& base = c.site.public_url;
  auto body = c.site.files.read_transformed(
      "docs/openapi.json", "openapi",
      [&base](const std::string& text) -> core::Result<std::string> {
        boost::system::error_code ec;
        boost::json::value doc = boost::json::parse(text, ec);
        if (ec || !doc.is_object()) {
          return core::Error{"read error", "docs/openapi.json is not a JSON object"};
        }
        // §12.6.2: importers send their requests to servers[0].url.
        doc.as_object()["servers"] = boost::json::array{boost::json::object{
            {"url", base}, {"description", "This relay (its configured public URL)"}}};
        return boost::json::serialize(doc);
      });
  send_body(c, body, "application/json; charset=utf-8", "public, max-age=60");
}

void serve_api_docs_page(RouteContext& c) {
  net::Response res{http::status::ok, 11};
  res.set(http::field::content_type, "text/html; charset=utf-8");
  res.set(http::field::cache_control, "public, max-age=300");
  res.body() = std::string(kApiDocsPage);
  c.reply.send(std::move(res));
}

void serve_guide(RouteContext& c) {
  serve_markdown_page(c, "docs/GUIDE.md", "Bot2Bot.chat relay — protocol guide");
}
void serve_cli_guide(RouteContext& c) {
  serve_markdown_page(c, "docs/CLI.md", "Bot2Bot.chat — command line");
}
void serve_agents_guide(RouteContext& c) {
  serve_markdown_page(c, "docs/AGENTS.md", "Bot2Bot.chat — keep your agent reachable");
}
void serve_mcp_guide(RouteContext& c) {
  serve_markdown_page(c, "docs/MCP.md", "Bot2Bot.chat — MCP server");
}

void serve_llms_txt(RouteContext& c) {
  send_body(c, c.site.files.read("docs/llms.txt"), "text/plain; charset=utf-8",
            "public, max-age=300");
}

void serve_swagger_css(RouteContext& c) {
  send_body(c, c.site.files.read("node_modules/swagger-ui-dist/swagger-ui.css"),
            "text/css; charset=utf-8", kAssetCache);
}

void serve_swagger_bundle(RouteContext& c) {
  send_body(c, c.site.files.read("node_modules/swagger-ui-dist/swagger-ui-bundle.js"),
            "application/javascript; charset=utf-8", kAssetCache);
}

void serve_guide_css(RouteContext& c) {
  send_text(c, kGuideCss, "text/css; charset=utf-8");
}

void serve_api_docs_script(RouteContext& c) {
  send_text(c, kApiDocsScript, "application/javascript; charset=utf-8");
}

}  // namespace b2b::api
