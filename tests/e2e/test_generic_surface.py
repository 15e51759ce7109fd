"""Generic HTTP surface: /api/health, /api/status, /api/version, security headers, routing
rules, JSON errors on /api/* (ROOMS.md §12.1–12.3, §13, §20.21)."""

import json
import re
import socket
import time

import requests

from relay_client import HOST, OUR_CSP, now_ms, rand_room, raw_get, raw_request


def test_health_reports_ok_rooms_and_time(relay):
    before = now_ms()
    r = relay.get("/api/health")
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("application/json")
    j = r.json()
    assert j["ok"] is True
    assert type(j["rooms"]) is int and j["rooms"] >= 0
    assert type(j["ts"]) is int and before - 5000 <= j["ts"] <= now_ms() + 5000


def test_health_room_count_follows_room_creation(relay, ip):
    n0 = relay.health()["rooms"]
    rooms = [rand_room() for _ in range(3)]
    for rid in rooms:
        relay.post_ok(rid, ip=ip)
    assert relay.health()["rooms"] >= n0 + 3
    # status / transcript / wait on unknown rooms never create one (§2.2)
    n1 = relay.health()["rooms"]
    ghost = rand_room("ghost")
    assert relay.get(f"/api/rooms/{ghost}/status").json()["exists"] is False
    assert relay.get(f"/api/rooms/{ghost}/transcript").json()["exists"] is False
    assert relay.health()["rooms"] == n1


def test_status_shape(relay):
    r = relay.get("/api/status")
    assert r.status_code == 200
    j = r.json()
    assert j["ok"] is True
    assert re.match(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$", j["started_at"]), j
    assert type(j["uptime_seconds"]) is int and j["uptime_seconds"] >= 0
    assert type(j["rooms"]) is int and j["rooms"] >= 0
    assert isinstance(j["source_hashes"], dict)
    for label, h in j["source_hashes"].items():
        assert isinstance(label, str) and label
        assert re.match(r"^sha256:[0-9a-f]{64}$", h), (label, h)
    assert r.headers.get("Cache-Control") == "public, max-age=30"


def test_status_uptime_grows(relay):
    a = relay.get("/api/status").json()
    time.sleep(1.1)
    b = relay.get("/api/status").json()
    assert b["started_at"] == a["started_at"]
    assert b["uptime_seconds"] >= a["uptime_seconds"]


def test_version_reports_strings(relay):
    r = relay.get("/api/version")
    assert r.status_code == 200
    j = r.json()
    for key in ("version", "commit", "build_type"):
        assert isinstance(j[key], str) and j[key], (key, j)


SECURITY_PATHS = ["/api/health", "/api/status", "/api/version", "/api/rooms/abcdEFGH/status",
                  "/api/rooms/abcdEFGH/transcript"]


def assert_security_headers(h, csp=True):
    assert h.get("X-Content-Type-Options") == "nosniff"
    assert h.get("Referrer-Policy") == "no-referrer"
    assert h.get("X-Frame-Options") == "DENY"
    assert h.get("Permissions-Policy") == "clipboard-read=(self), clipboard-write=(self)"
    if csp:
        assert h.get("Content-Security-Policy") == OUR_CSP
    assert "X-Powered-By" not in h
    for name in h:
        assert not name.lower().startswith("access-control-"), f"CORS header {name} (§13.4)"


def test_security_headers_on_api_responses(relay):
    for path in SECURITY_PATHS:
        r = relay.get(path, headers={"Origin": "http://evil.example"})
        assert r.status_code == 200, path
        assert_security_headers(r.headers)


def test_security_headers_on_post_and_errors(relay, ip):
    r = relay.post_msg(rand_room(), ip=ip, headers={"Origin": "http://evil.example"})
    assert r.status_code == 200
    assert_security_headers(r.headers)
    r = relay.post(f"/api/rooms/{rand_room()}/messages", {"sender": "x"}, ip=ip)
    assert r.status_code == 400
    assert_security_headers(r.headers)
    r = relay.get("/api/no-such-route")
    assert r.status_code == 404
    assert_security_headers(r.headers, csp=False)


def test_security_headers_on_sse(relay):
    with relay.sse(rand_room()) as s:
        assert s.status == 200
        h = {k: v for k, v in s.response.header_list}
        assert_security_headers(h)


def test_head_works_on_get_routes(relay):
    for path in ["/api/health", "/api/status", "/api/version", "/api/rooms/abcdEFGH/status",
                 "/api/rooms/abcdEFGH/transcript"]:
        g = relay.get(path)
        h = requests.head(relay.url(path), timeout=5)
        assert h.status_code == g.status_code == 200, path
        assert h.content == b"", path
        assert h.headers["Content-Type"].startswith("application/json"), path
    relay.health()


def test_paths_are_case_insensitive_with_optional_trailing_slash(relay, ip):
    rid = rand_room("CaSe")
    posted = relay.post_ok(rid, ip=ip)
    for path in [f"/API/ROOMS/{rid}/STATUS/", f"/api/rooms/{rid}/status/",
                 f"/Api/Rooms/{rid}/Status"]:
        r = relay.get(path)
        assert r.status_code == 200, path
        j = r.json()
        assert j["exists"] is True and j["roomId"] == rid, (path, j)
        assert j["last_seq"] == posted["seq"]
    # the room id keeps its case: the upper-cased id is a different (missing) room
    r = relay.get(f"/api/rooms/{rid.upper()}/status")
    if rid.upper() != rid:
        assert r.json()["exists"] is False
    r = relay.get("/API/HEALTH/")
    assert r.status_code == 200 and r.json()["ok"] is True


def test_room_segment_is_percent_decoded(relay, ip):
    base = rand_room("pct", 10)
    relay.post_ok(base + "E", ip=ip)
    head, body = raw_get(relay.port, f"/api/rooms/{base}%45/status")
    assert head is not None and head.status == 200
    j = json.loads(body)
    assert j["exists"] is True and j["roomId"] == base + "E"
    for bad in ["bad%2Fslash", "white%20space", "abc%24def"]:
        head, body = raw_get(relay.port, f"/api/rooms/{bad}/status")
        assert head is not None and head.status == 400, bad
        assert json.loads(body)["error"] == "bad roomId", bad
    relay.health()


def test_unknown_api_route_is_json_404(relay):
    for method, path in [("GET", "/api/nope"), ("POST", "/api/nope/deeper"),
                         ("GET", "/api/rooms/abcdEFGH/unknown"),
                         ("POST", "/api/rooms/abcdEFGH/nothing")]:
        r = requests.request(method, relay.url(path), timeout=5, data=b"{}",
                             headers={"Content-Type": "application/json"})
        assert r.status_code == 404, (method, path)
        assert r.headers["Content-Type"].startswith("application/json"), (method, path)
        assert isinstance(r.json()["error"], str), (method, path)
    relay.health()


def test_unknown_page_is_html_404(relay):
    r = relay.get("/definitely-not-a-page-7f3a9")
    assert r.status_code == 404
    assert r.headers["Content-Type"].startswith("text/html")
    assert r.headers.get("X-Content-Type-Options") == "nosniff"
    relay.health()


def test_wrong_method_on_room_route_is_json_4xx(relay):
    r = relay.get("/api/rooms/abcdEFGH/messages")
    assert r.status_code in (404, 405)
    assert isinstance(r.json()["error"], str)
    relay.health()


def test_body_over_limit_is_json_413(relay, ip):
    body = json.dumps({"ciphertext": "A" * (300 * 1024), "nonce": "A" * 32})
    r = relay.post(f"/api/rooms/{rand_room()}/messages", raw=body, ip=ip)
    assert r.status_code == 413
    assert isinstance(r.json()["error"], str)
    relay.health()
    relay.post_ok(rand_room(), ip=ip)


def test_malformed_json_is_json_400(relay, ip):
    r = relay.post(f"/api/rooms/{rand_room()}/messages", raw=b'{"ciphertext": "QQ==", ', ip=ip)
    assert r.status_code == 400
    j = r.json()
    assert isinstance(j["error"], str) and j["error"]
    assert isinstance(j.get("detail"), str) and j["detail"]
    relay.health()


def test_invalid_percent_encoding_is_400(relay):
    head, body = raw_get(relay.port, "/api/rooms/abc%ZZdef/status")
    assert head is not None and head.status == 400
    assert isinstance(json.loads(body)["error"], str)
    relay.health()


def test_keepalive_connection_serves_many_requests(relay, ip):
    with requests.Session() as s:
        for _ in range(20):
            r = s.get(relay.url("/api/health"), timeout=5)
            assert r.status_code == 200
        rid = rand_room()
        for _ in range(5):
            assert relay.post_msg(rid, ip=ip, session=s).status_code == 200


def test_garbage_request_line_does_not_hurt(relay):
    head, _ = raw_request(relay.port, b"THIS IS NOT HTTP\r\n\r\n", timeout=3)
    if head is not None:
        assert 400 <= head.status < 500
    s = socket.create_connection((HOST, relay.port), timeout=3)
    s.sendall(b"GET /api/health HTTP/1.1\r\nHost: x\r\n")  # never finish the head
    relay.health()
    s.close()
    relay.health()
