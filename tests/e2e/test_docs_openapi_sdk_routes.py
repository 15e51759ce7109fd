"""Pages and files served from the share directory (ROOMS.md §12.6, §12.9): the SDK, the
OpenAPI document with the configured public URL, Swagger UI with its vendor assets, the
protocol guide rendered from Markdown, llms.txt, and the browser app in web/; their content types, caching and CSP, read
failures, and that no request can name a file outside the allowlist.
"""

import json
import os
import re
import time

import pytest
import requests

from relay_client import raw_get

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PUBLIC_URL = "https://relay.example.test"
RELAY_FLAGS = ["--public-url", PUBLIC_URL + "/"]
STRICT_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; font-src 'self'; "
              "img-src 'self' data: blob:; connect-src 'self' ws: wss:; frame-ancestors 'none'")
ASSET_CACHE = "public, max-age=300, stale-while-revalidate=60"


def repo_bytes(*parts):
    with open(os.path.join(REPO, *parts), "rb") as f:
        return f.read()


def get(relay, path, **kw):
    return requests.get(relay.url(path), timeout=10, **kw)


def test_sdk_is_served_verbatim(relay):
    r = get(relay, "/sdk/bot2bot.py")
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "text/x-python; charset=utf-8"
    assert r.headers["Cache-Control"] == "public, max-age=60"
    assert r.headers["Content-Disposition"] == 'inline; filename="bot2bot.py"'
    assert r.content == repo_bytes("clients", "python", "bot2bot.py")
    assert b"class Room" in r.content and len(r.content) >= 1000
    h = requests.head(relay.url("/sdk/bot2bot.py"), timeout=5)
    assert h.status_code == 200 and h.content == b""
    assert int(h.headers["Content-Length"]) == len(r.content)


def test_openapi_document_names_the_public_url(relay):
    r = get(relay, "/api/openapi.json")
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "application/json; charset=utf-8"
    assert r.headers["Cache-Control"] == "public, max-age=60"
    doc = r.json()
    assert doc["openapi"] == "3.1.0"
    assert doc["servers"][0]["url"] == PUBLIC_URL
    assert "/api/rooms/{roomId}/wait" in doc["paths"]
    assert "/api/rooms/{roomId}/transcript" in doc["paths"]
    on_disk = json.loads(repo_bytes("docs", "openapi.json"))
    assert doc["paths"] == on_disk["paths"]
    # case-insensitive path and trailing slash like every route (§13.5)
    assert get(relay, "/API/OpenAPI.json/").json()["openapi"] == "3.1.0"


def test_default_public_url_is_the_listen_address(relay_factory):
    relay = relay_factory()
    doc = get(relay, "/api/openapi.json").json()
    assert doc["servers"][0]["url"] == relay.base


def test_public_url_from_environment(relay_factory):
    relay = relay_factory(env={"PUBLIC_BASE_URL": "https://env.example.test"})
    assert get(relay, "/api/openapi.json").json()["servers"][0]["url"] == "https://env.example.test"


def test_swagger_page_and_its_assets(relay):
    r = get(relay, "/api/docs")
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "text/html; charset=utf-8"
    assert r.headers["Cache-Control"] == "public, max-age=300"
    assert r.headers["Content-Security-Policy"] == STRICT_CSP
    assert "swagger-ui" in r.text
    # no inline script or style: every <script> has a src, no style attributes
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", r.text), r.text
    assert "style=" not in r.text and "<style" not in r.text
    assets = re.findall(r'(?:href|src)="(/[^"]+)"', r.text)
    assert set(assets) == {"/vendor/swagger-ui.css", "/vendor/swagger-ui-bundle.js",
                           "/docs-assets/api-docs.js"}
    css = get(relay, "/vendor/swagger-ui.css")
    assert css.status_code == 200 and css.headers["Content-Type"] == "text/css; charset=utf-8"
    assert css.headers["Cache-Control"] == ASSET_CACHE
    assert css.content == repo_bytes("node_modules", "swagger-ui-dist", "swagger-ui.css")
    js = get(relay, "/vendor/swagger-ui-bundle.js")
    assert js.status_code == 200
    assert js.headers["Content-Type"] == "application/javascript; charset=utf-8"
    assert js.content == repo_bytes("node_modules", "swagger-ui-dist", "swagger-ui-bundle.js")
    init = get(relay, "/docs-assets/api-docs.js")
    assert init.status_code == 200
    assert init.headers["Content-Type"] == "application/javascript; charset=utf-8"
    assert '"/api/openapi.json"' in init.text and "SwaggerUIBundle" in init.text


def test_guide_is_rendered_html_with_its_headings(relay):
    r = get(relay, "/docs")
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "text/html; charset=utf-8"
    assert r.headers["Cache-Control"] == "no-store, must-revalidate"
    assert r.headers["Content-Security-Policy"] == STRICT_CSP
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.text.startswith("<!DOCTYPE html>") and '<html lang="en">' in r.text
    guide = repo_bytes("docs", "GUIDE.md").decode()
    headings = re.findall(r"^## (.+)$", guide, re.M)
    assert len(headings) >= 8
    for h in headings:
        assert f"<h2>{h}</h2>" in r.text.replace("&quot;", '"'), h
    for needed in ("The end-to-end model", "Push-style triggers", "Reporting a bug",
                   "The Python SDK", "MCP server", "The bot2bot command line"):
        assert needed in r.text, needed
    assert "<script" not in r.text and "style=" not in r.text
    assert 'href="/docs-assets/guide.css"' in r.text
    css = get(relay, "/docs-assets/guide.css")
    assert css.status_code == 200 and css.headers["Content-Type"] == "text/css; charset=utf-8"
    assert "@import" not in css.text and "http" not in css.text  # no external fonts or CDNs
    h = requests.head(relay.url("/docs"), timeout=5)
    assert h.status_code == 200 and h.content == b""


def test_llms_txt(relay):
    r = get(relay, "/llms.txt")
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert r.headers["Cache-Control"] == "public, max-age=300"
    assert r.content == repo_bytes("docs", "llms.txt")
    assert "/api/report" in r.text and "Authorization: Bot2Bot" in r.text


@pytest.mark.parametrize("path", [
    "/sdk/../docs/openapi.json", "/sdk/..%2f..%2fpackage.json", "/vendor/..%2fpackage.json",
    "/vendor/swagger-ui-bundle.js.map", "/vendor/swagger-initializer.js",
    "/node_modules/swagger-ui-dist/swagger-ui.css", "/docs/GUIDE.md", "/docs/../README.md",
    "/docs/%2e%2e/README.md", "/sdk/", "/sdk/tests", "/docs-assets/../../CMakeLists.txt",
    "/docs/openapi.json", "/sdk/bot2bot.py/..",
])
def test_nothing_outside_the_allowlist(relay, path):
    head, body = raw_get(relay.port, path)
    assert head is not None and head.status in (400, 404), (path, head and head.status)
    assert b"cmake_minimum_required" not in body and b'"dependencies"' not in body
    relay.health()


@pytest.fixture
def share_dir(tmp_path):
    root = tmp_path / "share"
    (root / "docs").mkdir(parents=True)
    (root / "clients" / "python").mkdir(parents=True)
    return root


def test_markdown_raw_html_is_not_passed_through(relay_factory, share_dir):
    (share_dir / "docs" / "GUIDE.md").write_text(
        "# Title\n\n## Section <b>bold</b>\n\n<script>alert(1)</script>\n\n"
        "[click](javascript:alert(2)) <img src=x onerror=alert(3)>\n", encoding="utf-8")
    relay = relay_factory("--share-dir", str(share_dir))
    r = get(relay, "/docs")
    assert r.status_code == 200
    assert "<script>alert(1)" not in r.text and "onerror" not in r.text
    assert "javascript:" not in r.text and "<b>" not in r.text
    assert "<h1>Title</h1>" in r.text


def test_guide_follows_file_edits(relay_factory, share_dir):
    guide = share_dir / "docs" / "GUIDE.md"
    guide.write_text("# First version\n", encoding="utf-8")
    relay = relay_factory("--share-dir", str(share_dir))
    assert "First version" in get(relay, "/docs").text
    guide.write_text("# Second version, longer\n", encoding="utf-8")
    future = time.time() + 5
    os.utime(guide, (future, future))
    assert "Second version" in get(relay, "/docs").text


def test_cli_and_mcp_guides_render_from_the_share_dir(relay_factory, share_dir):
    (share_dir / "docs" / "CLI.md").write_text("# CLI guide\n\n`bot2bot room new`\n")
    (share_dir / "docs" / "MCP.md").write_text("# MCP guide\n\n`bot2bot mcp`\n")
    relay = relay_factory("--share-dir", str(share_dir))
    for path, title in (("/docs/cli", "CLI guide"), ("/docs/mcp", "MCP guide")):
        r = get(relay, path)
        assert r.status_code == 200 and f"<h1>{title}</h1>" in r.text, path
        assert r.headers["Content-Security-Policy"] == STRICT_CSP


def test_share_dir_from_environment(relay_factory, share_dir):
    (share_dir / "clients" / "python" / "bot2bot.py").write_text("# a stand-in SDK\n")
    relay = relay_factory(env={"BOT2BOT_SHARE_DIR": str(share_dir)})
    assert get(relay, "/sdk/bot2bot.py").text == "# a stand-in SDK\n"


def test_read_failures_are_500_json_on_api_and_plain_elsewhere(relay_factory, share_dir):
    (share_dir / "docs" / "openapi.json").write_text("not json")
    relay = relay_factory("--share-dir", str(share_dir))
    r = get(relay, "/api/openapi.json")
    assert r.status_code == 500 and r.json()["error"] == "read error"
    for path in ("/docs", "/llms.txt", "/sdk/bot2bot.py", "/vendor/swagger-ui.css"):
        r = get(relay, path)
        assert r.status_code == 500, path
        assert r.headers["Content-Type"] == "text/plain; charset=utf-8"
        assert r.text == "read error"
        assert str(share_dir) not in r.text
    (share_dir / "docs" / "openapi.json").unlink()
    r = get(relay, "/api/openapi.json")
    assert r.status_code == 500 and r.json()["error"] == "read error"
    # the embedded pages do not depend on the share dir, and the relay keeps serving
    assert get(relay, "/api/docs").status_code == 200
    assert get(relay, "/docs-assets/guide.css").status_code == 200
    relay.health()


def test_print_routes_lists_the_table(relay):
    import subprocess
    from relay_client import binary_path
    out = subprocess.run([binary_path(), "serve", "--print-routes"], capture_output=True,
                         text=True, timeout=10, check=True).stdout
    routes = json.loads(out)
    keys = {(r["method"], r["path"]) for r in routes}
    for k in [("POST", "/api/report"), ("POST", "/api/contact"), ("GET", "/api/openapi.json"),
              ("GET", "/docs"), ("GET", "/sdk/bot2bot.py"), ("GET", "/llms.txt"),
              ("GET", "/api/rooms/{roomId}/wait"), ("GET", "/api/rooms/{roomId}/ws")]:
        assert k in keys, k
    assert all(r["surface"] in ("api", "page") for r in routes)


def test_plain_get_on_websocket_path_is_426(relay):
    r = get(relay, "/api/rooms/abcdEFGH/ws")
    assert r.status_code == 426 and r.json()["error"] == "upgrade required"
    assert r.headers["Upgrade"] == "websocket"
    relay.health()


# --------------------------------------------------------------------------------------
# The browser app (web/)
# --------------------------------------------------------------------------------------

@pytest.mark.parametrize("path,file", [
    ("/", "index.html"), ("/room/ABCD", "room.html"), ("/room/ABCD/", "room.html"),
    ("/room/not-a-valid-id-but-one-segment!", "room.html"), ("/agents", "agents.html"),
    ("/connect", "connect.html"), ("/admin", "admin.html"),
])
def test_web_pages(relay, path, file):
    r = get(relay, path)
    assert r.status_code == 200, path
    assert r.headers["Content-Type"] == "text/html; charset=utf-8"
    assert r.headers["Cache-Control"] == "no-store, must-revalidate"
    assert r.headers["Content-Security-Policy"] == STRICT_CSP
    assert r.content == repo_bytes("web", file)


def test_web_assets(relay):
    for name in sorted(os.listdir(os.path.join(REPO, "web", "js"))):
        if not name.endswith(".js"):
            continue
        r = get(relay, "/js/" + name)
        assert r.status_code == 200, name
        assert r.headers["Content-Type"] == "application/javascript; charset=utf-8"
        assert r.content == repo_bytes("web", "js", name)
    for name in sorted(os.listdir(os.path.join(REPO, "web", "css"))):
        r = get(relay, "/css/" + name)
        assert r.status_code == 200 and r.headers["Content-Type"] == "text/css; charset=utf-8"
        assert r.content == repo_bytes("web", "css", name)
    r = get(relay, "/favicon.svg")
    assert r.status_code == 200 and r.headers["Content-Type"] == "image/svg+xml"
    r = get(relay, "/vendor/tweetnacl.js")
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "application/javascript; charset=utf-8"
    assert r.content == repo_bytes("node_modules", "tweetnacl", "nacl-fast.min.js")
    # stamped-style query strings are ignored (§12.9.2)
    assert get(relay, "/js/room.js?v=abc").status_code == 200


@pytest.mark.parametrize("path", [
    "/room/", "/room/a/b", "/room", "/js/", "/js/missing.js", "/js/Room.JS", "/js/.hidden.js",
    "/js/room.js.map", "/css/..%2f..%2fREADME.md", "/js/%2e%2e%2fsrc%2fmain.js", "/css/site.css/x",
    "/index.html", "/web/index.html", "/vendor/nacl.js",
])
def test_web_paths_outside_the_app_are_404(relay, path):
    head, body = raw_get(relay.port, path)
    assert head is not None and head.status in (400, 404), (path, head and head.status)
    relay.health()
