"""GET /metrics — Prometheus text format, loopback-only unless --metrics-token is given;
counters move with traffic; no room ids in the output."""

import time

import requests

from relay_client import (message_body, metric_present, metric_sum, new_ip, parse_metrics,
                          rand_room, ws_close, ws_send, ws_until_type)

METRIC_NAMES = [
    "bot2bot_rooms", "bot2bot_connections", "bot2bot_messages_posted_total",
    "bot2bot_messages_delivered_total", "bot2bot_buffered_bytes",
    "bot2bot_http_responses_total", "bot2bot_rate_limited_total",
    "bot2bot_slow_consumers_dropped_total", "bot2bot_rooms_created_total",
    "bot2bot_rooms_evicted_total",
]


def test_metrics_format_and_names(relay):
    relay.post_ok(rand_room(), ip=new_ip())
    r = relay.get("/metrics")
    assert r.status_code == 200
    ct = r.headers["Content-Type"]
    assert ct.startswith("text/plain") and "version=0.0.4" in ct, ct
    m = parse_metrics(r.text)  # every sample line parses
    for name in METRIC_NAMES:
        assert metric_present(m, name), f"missing metric {name}"
    for transport in ("http", "sse", "ws"):
        assert any(n == "bot2bot_connections" and ("transport", transport) in lbl
                   for (n, lbl) in m), f"bot2bot_connections{{transport={transport!r}}}"
    for (n, lbl), v in m.items():
        if n == "bot2bot_http_responses_total":
            labels = dict(lbl)
            assert "route" in labels and labels.get("class") in ("2xx", "3xx", "4xx", "5xx"), lbl
        assert v >= 0, (n, lbl, v)


def test_counters_follow_traffic(relay):
    room = rand_room("metr")
    ip = new_ip()
    m0 = relay.metrics()
    with relay.sse(room) as s:
        s.read_until_type("ready")
        m1 = relay.metrics()
        assert metric_sum(m1, "bot2bot_connections", transport="sse") >= 1
        assert metric_sum(m1, "bot2bot_rooms_created_total") >= \
            metric_sum(m0, "bot2bot_rooms_created_total") + 1
        body = message_body("count me")
        for _ in range(3):
            relay.post_ok(room, body, ip=ip)
        s.read_until_type("message")
        ws = relay.ws(room, ip=ip)
        try:
            ws_until_type(ws, "ready")
            assert metric_sum(relay.metrics(), "bot2bot_connections", transport="ws") >= 1
            ws_send(ws, message_body("via ws"))
            ws_until_type(ws, "message")
        finally:
            ws_close(ws)
        r = relay.post(f"/api/rooms/{room}/messages", {"sender": "x"}, ip=ip)
        assert r.status_code == 400
        time.sleep(0.1)
        m2 = relay.metrics()
    posted_http = metric_sum(m2, "bot2bot_messages_posted_total", transport="http") - \
        metric_sum(m0, "bot2bot_messages_posted_total", transport="http")
    posted_ws = metric_sum(m2, "bot2bot_messages_posted_total", transport="ws") - \
        metric_sum(m0, "bot2bot_messages_posted_total", transport="ws")
    assert posted_http >= 3 and posted_ws >= 1, (posted_http, posted_ws)
    delivered = metric_sum(m2, "bot2bot_messages_delivered_total") - \
        metric_sum(m0, "bot2bot_messages_delivered_total")
    assert delivered >= 4  # SSE subscriber got 3 + 1, the WS got its echo
    assert metric_sum(m2, "bot2bot_buffered_bytes") >= 4 * len(body["ciphertext"])
    c4 = metric_sum(m2, "bot2bot_http_responses_total", **{"class": "4xx"}) - \
        metric_sum(m0, "bot2bot_http_responses_total", **{"class": "4xx"})
    c2 = metric_sum(m2, "bot2bot_http_responses_total", **{"class": "2xx"}) - \
        metric_sum(m0, "bot2bot_http_responses_total", **{"class": "2xx"})
    assert c4 >= 1 and c2 >= 3, (c4, c2)
    h1 = relay.health()["rooms"]
    gauge = metric_sum(relay.metrics(), "bot2bot_rooms")
    h2 = relay.health()["rooms"]
    assert gauge in (h1, h2), (gauge, h1, h2)


def test_metrics_never_contain_room_ids(relay):
    room = rand_room("SecretRoomIdCanary", 40)
    relay.post_ok(room, ip=new_ip())
    relay.get(f"/api/rooms/{room}/status")
    relay.get(f"/api/rooms/{room}/transcript")
    text = relay.get("/metrics").text
    assert room not in text and "SecretRoomIdCanary" not in text


def test_non_loopback_client_gets_401_json(relay):
    r = relay.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"})
    assert r.status_code == 401
    assert r.headers["Content-Type"].startswith("application/json")
    assert isinstance(r.json()["error"], str)
    r = relay.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9",
                                       "Authorization": "Bearer guess"})
    assert r.status_code == 401
    relay.health()


def test_metrics_token_admits_remote_clients(relay_factory):
    relay = relay_factory("--metrics-token", "s3cret-token-e2e")
    remote = {"X-Forwarded-For": "203.0.113.9"}
    r = relay.get("/metrics", headers={**remote, "Authorization": "Bearer s3cret-token-e2e"})
    assert r.status_code == 200
    assert metric_present(parse_metrics(r.text), "bot2bot_rooms")
    for bad in ["Bearer wrong", "Bearer ", "Basic czNjcmV0LXRva2VuLWUyZQ==",
                "Bearer s3cret-token-e2eX", "bearer-s3cret-token-e2e"]:
        r = relay.get("/metrics", headers={**remote, "Authorization": bad})
        assert r.status_code == 401, bad
        assert isinstance(r.json()["error"], str)
    r = relay.get("/metrics", headers=remote)
    assert r.status_code == 401
    # loopback is still admitted without the token
    assert relay.get("/metrics").status_code == 200


def test_metrics_head_and_loopback_session(relay):
    with requests.Session() as s:
        for _ in range(3):
            assert s.get(relay.url("/metrics"), timeout=5).status_code == 200
    h = requests.head(relay.url("/metrics"), timeout=5)
    assert h.status_code == 200 and h.content == b""
