"""Token buckets (ROOMS.md §10.1, §6.1 step 3, §20.10): 429 {"error":"rate limited"} with
Retry-After, then recovery; per-(IP, room) and per-IP global buckets; what is not limited."""

import json
import time

import requests

from relay_client import (message_body, metric_sum, new_ip, rand_room, ws_close, ws_next,
                          ws_send, ws_until_type)

LOW_ROOM = ["--room-rate-burst", "5", "--room-rate-per-sec", "2"]


def burst(relay, room, ip, n, session=None):
    return [relay.post_msg(room, message_body(f"{i}"), ip=ip, session=session) for i in range(n)]


def test_room_bucket_429_with_retry_after_then_recovery(relay_factory):
    relay = relay_factory(*LOW_ROOM)
    room, ip = rand_room(), new_ip()
    s = requests.Session()
    rs = burst(relay, room, ip, 8, session=s)
    codes = [r.status_code for r in rs]
    assert codes[:5] == [200] * 5, codes
    limited = [r for r in rs if r.status_code == 429]
    assert limited, codes
    for r in limited:
        assert r.json()["error"] == "rate limited"
        assert r.headers.get("Retry-After") == "1"
        assert r.headers["Content-Type"].startswith("application/json")
    relay.health()
    # rejected posts consume no seq
    seqs = [r.json()["seq"] for r in rs if r.status_code == 200]
    time.sleep(int(limited[-1].headers["Retry-After"]) + 0.1)
    r = relay.post_msg(room, message_body("after"), ip=ip, session=s)
    assert r.status_code == 200, r.text
    assert r.json()["seq"] == seqs[-1] + 1
    # the bucket refills at 2/s, not back to the full burst after one second
    codes = [relay.post_msg(room, ip=ip, session=s).status_code for _ in range(4)]
    assert 429 in codes, codes


def test_room_bucket_is_per_ip_and_per_room(relay_factory):
    relay = relay_factory(*LOW_ROOM)
    room, ip = rand_room(), new_ip()
    burst(relay, room, ip, 7)
    assert relay.post_msg(room, ip=ip).status_code == 429
    assert relay.post_msg(rand_room(), ip=ip).status_code == 200   # other room, same IP
    assert relay.post_msg(room, ip=new_ip()).status_code == 200    # same room, other IP


def test_ws_frames_share_the_room_bucket_with_http(relay_factory):
    relay = relay_factory(*LOW_ROOM)
    room, ip = rand_room(), new_ip()
    burst(relay, room, ip, 7)
    ws = relay.ws(room, ip=ip)
    try:
        ws_until_type(ws, "presence")
        ws_send(ws, message_body("over"))
        f = ws_next(ws)
        while f["type"] == "message":  # replayed history
            f = ws_next(ws)
        assert f["type"] == "error" and f["code"] == 429 and f["error"] == "rate limited", f
        # socket stays open; after refill the frame is accepted
        time.sleep(1.1)
        ws_send(ws, message_body("later"))
        f = ws_until_type(ws, "message", timeout=5)[-1]
        assert f["type"] == "message"
    finally:
        ws_close(ws)


def test_global_bucket_spans_rooms(relay_factory):
    relay = relay_factory("--global-rate-burst", "6", "--global-rate-per-sec", "1",
                          "--room-rate-burst", "100", "--room-rate-per-sec", "100")
    ip = new_ip()
    codes = [relay.post_msg(rand_room(), ip=ip).status_code for _ in range(9)]
    assert codes[:6] == [200] * 6, codes
    assert codes[-1] == 429, codes
    assert relay.post_msg(rand_room(), ip=new_ip()).status_code == 200
    relay.health()


def test_unlimited_endpoints_keep_working_while_limited(relay_factory):
    relay = relay_factory(*LOW_ROOM)
    room, ip = rand_room(), new_ip()
    burst(relay, room, ip, 8)
    assert relay.post_msg(room, ip=ip).status_code == 429
    for _ in range(10):  # /status, /transcript, /wait, /listening, /events are not limited
        assert relay.get(f"/api/rooms/{room}/status", ip=ip).status_code == 200
        assert relay.get(f"/api/rooms/{room}/transcript", ip=ip).status_code == 200
        assert relay.post(f"/api/rooms/{room}/listening", {"name": "hb"}, ip=ip).status_code == 200
    r = relay.get(f"/api/rooms/{room}/wait", ip=ip, params={"after": 0, "timeout": 1})
    assert r.status_code == 200 and r.json()["messages"]
    with relay.sse(room, ip=ip) as s:
        assert s.status == 200
        s.read_until_type("ready")


def test_validation_errors_do_not_spend_tokens(relay_factory):
    relay = relay_factory(*LOW_ROOM)
    room, ip = rand_room(), new_ip()
    for _ in range(20):
        r = relay.post(f"/api/rooms/{room}/messages", {"sender": "x"}, ip=ip)
        assert r.status_code == 400
    codes = [r.status_code for r in burst(relay, room, ip, 5)]
    assert codes == [200] * 5, codes


def test_rate_limit_keys_are_namespaced(relay_factory):
    """§20.10: a room called `bugs`/`contact` has its own bucket, not the report/contact one."""
    relay = relay_factory(*LOW_ROOM)
    ip = new_ip()
    for rid in ["bugs", "contact", "register"]:
        burst(relay, rid, ip, 7)
        assert relay.post_msg(rid, ip=ip).status_code == 429
    r = relay.post("/api/report", {"what": "namespacing check", "severity": "low"}, ip=ip)
    assert r.status_code != 429, "room `bugs` exhausted the bug-report bucket"
    r = relay.post("/api/contact", {"message": "namespacing check"}, ip=ip)
    assert r.status_code != 429, "room `contact` exhausted the contact bucket"
    # and posts to other rooms from the same IP are unaffected
    assert relay.post_msg(rand_room(), ip=ip).status_code == 200


def test_rate_limited_posts_are_counted_in_metrics(relay_factory):
    relay = relay_factory(*LOW_ROOM)
    before = metric_sum(relay.metrics(), "bot2bot_rate_limited_total")
    room, ip = rand_room(), new_ip()
    n429 = sum(r.status_code == 429 for r in burst(relay, room, ip, 9))
    assert n429 >= 3
    after = metric_sum(relay.metrics(), "bot2bot_rate_limited_total")
    assert after - before >= n429


def test_429_bodies_are_json_even_under_load(relay_factory):
    relay = relay_factory(*LOW_ROOM)
    room, ip = rand_room(), new_ip()
    s = requests.Session()
    for r in burst(relay, room, ip, 40, session=s):
        assert r.status_code in (200, 429)
        json.loads(r.text)
    relay.health()
