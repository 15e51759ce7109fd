"""GET /api/rooms/{id}/events — Server-Sent Events (ROOMS.md §6.2, §4.1, §4.2, §10.2, §18.5).
Wire framing is checked on raw bytes: one `data: <json>` line per event, LF only, no
event:/id:/retry: lines, `ready` strictly after the replay."""

import json
import threading
import time

import pytest

from relay_client import (assert_message_record, message_body, new_ip,
                          poll, rand_room, raw_get, ws_next, ws_upgrade_raw, ws_close, xff)


def seed(relay, room, n, ip):
    return [relay.post_ok(room, message_body(f"m{i}"), ip=ip) for i in range(n)]


def test_sse_headers_and_framing(relay, room, ip):
    posted = seed(relay, room, 2, ip)
    with relay.sse(room) as s:
        assert s.status == 200
        assert s.headers["content-type"].startswith("text/event-stream")
        assert s.headers.get("cache-control") == "no-cache, no-transform"
        assert s.headers.get("x-accel-buffering") == "no"
        evs = s.read_until_type("presence")
        assert [e["type"] for e in evs] == ["message", "message", "ready", "presence"]
        assert [e["seq"] for e in evs[:2]] == [p["seq"] for p in posted]
        for e in evs[:2]:
            assert_message_record(e)
        relay.post_ok(room, ip=ip)
        live = s.read_until_type("message")
        assert live[-1]["seq"] == posted[-1]["seq"] + 1
        assert s.bad_lines == [], s.bad_lines
        assert not s.saw_cr


def test_ready_follows_replay_with_after_filter(relay, room, ip):
    posted = seed(relay, room, 6, ip)
    seqs = [p["seq"] for p in posted]
    with relay.sse(room, f"after={seqs[2]}") as s:
        evs = s.read_until_type("ready")
        assert [e["seq"] for e in evs[:-1]] == seqs[3:]
        ready = evs[-1]
        assert ready["roomId"] == room
        assert ready["last_seq"] == seqs[-1]
        assert ready["size"] == 1
        assert ready["participants"] == []
        assert type(ready["last_seq"]) is int and type(ready["size"]) is int


def test_after_beyond_newest_replays_nothing(relay, room, ip):
    posted = seed(relay, room, 3, ip)
    with relay.sse(room, f"after={posted[-1]['seq']}") as s:
        evs = s.read_until_type("ready")
        assert len(evs) == 1
        assert evs[0]["last_seq"] == posted[-1]["seq"]


@pytest.mark.parametrize("after", ["-5", "garbage", "0", ""])
def test_after_garbage_or_negative_replays_everything(relay, room, ip, after):
    posted = seed(relay, room, 3, ip)
    with relay.sse(room, f"after={after}") as s:
        evs = s.read_until_type("ready")
        assert [e["seq"] for e in evs[:-1]] == [p["seq"] for p in posted]


def test_after_with_trailing_junk_uses_leading_integer(relay, room, ip):
    posted = seed(relay, room, 3, ip)
    with relay.sse(room, f"after={posted[0]['seq']}abc") as s:
        evs = s.read_until_type("ready")
        assert [e["seq"] for e in evs[:-1]] == [p["seq"] for p in posted[1:]]


def test_last_event_id_header_is_ignored(relay, room, ip):
    posted = seed(relay, room, 3, ip)
    with relay.sse(room, headers={"Last-Event-ID": str(posted[1]["seq"])}) as s:
        evs = s.read_until_type("ready")
        assert [e["seq"] for e in evs[:-1]] == [p["seq"] for p in posted]


def test_sse_on_empty_new_room(relay):
    rid = rand_room("new")
    assert relay.status(rid)["exists"] is False
    with relay.sse(rid) as s:
        evs = s.read_until_type("presence")
        assert [e["type"] for e in evs] == ["ready", "presence"]
        ready = evs[0]
        assert ready["roomId"] == rid and ready["size"] == 1
        assert ready["last_seq"] == 0 and ready["participants"] == []
        st = relay.status(rid)
        assert st["exists"] is True and st["participants"] == 1 and st["last_seq"] == 0


def test_sse_on_missing_room_receives_post_made_150ms_later(relay, ip):
    rid = rand_room("soon")
    with relay.sse(rid) as s:
        t0 = time.monotonic()
        s.read_until_type("ready")
        time.sleep(max(0.0, 0.15 - (time.monotonic() - t0)))
        posted = relay.post_ok(rid, message_body("hello late joiner"), ip=ip)
        evs = s.read_until_type("message", timeout=3)
        assert evs[-1]["seq"] == posted["seq"] and evs[-1]["id"] == posted["id"]
        assert_message_record(evs[-1])


def test_every_subscriber_gets_every_live_message_in_order(relay, room, ip):
    streams = [relay.sse(room) for _ in range(4)]
    try:
        for s in streams:
            s.read_until_type("ready")
        posted = seed(relay, room, 25, ip)
        for s in streams:
            got = []
            deadline = time.monotonic() + 5
            while len(got) < 25 and time.monotonic() < deadline:
                ev = s.next_event(max(0.01, deadline - time.monotonic()))
                if ev and ev["type"] == "message":
                    got.append(ev["seq"])
            assert got == [p["seq"] for p in posted]
    finally:
        for s in streams:
            s.close()


@pytest.mark.parametrize("rid", ["ab", "X" * 65, "bad%2Fslash", "sp%20ace"])
def test_sse_bad_room_id_is_400(relay, rid):
    head, body = raw_get(relay.port, f"/api/rooms/{rid}/events",
                         headers={"Accept": "text/event-stream"})
    assert head is not None and head.status == 400, rid
    if body:  # §6.2 says empty body; §20.21 allows JSON {"error": ...}
        assert json.loads(body)["error"] == "bad roomId"
    relay.health()


def test_keepalive_comment_is_sent(relay_factory):
    relay = relay_factory("--keepalive-ms", "300")
    rid = rand_room()
    with relay.sse(rid) as s:
        s.read_until_type("presence")
        deadline = time.monotonic() + 3
        while len(s.comments) < 2 and time.monotonic() < deadline:
            try:
                item = s.next_item(max(0.01, deadline - time.monotonic()))
            except TimeoutError:
                break
            assert item is not None, "stream ended"
        assert len(s.comments) >= 2, s.comments
        assert all(c.startswith(":") for c in s.comments)
        assert any("keepalive" in c for c in s.comments)
        assert s.bad_lines == []
        # the stream is still alive and delivering
        posted = relay.post_ok(rid)
        assert s.read_until_type("message")[-1]["seq"] == posted["seq"]


def test_default_keepalive_is_not_sent_early(relay, room):
    # default interval is 15 s: nothing but events within the first second
    with relay.sse(room) as s:
        s.read_until_type("presence")
        assert s.no_event_for(1.0) == []
        assert s.comments == []


def _sse_ok(relay, room, ip):
    s = relay.sse(room, ip=ip)
    if s.status == 200:
        s.read_until_type("ready")
    return s


def test_stream_cap_per_ip_for_sse_and_ws(relay_factory):
    relay = relay_factory("--stream-cap-per-ip", "3")
    ip = new_ip()
    room = rand_room()
    streams = [_sse_ok(relay, room, ip) for _ in range(2)]
    ws = relay.ws(room, ip=ip)
    try:
        assert all(s.status == 200 for s in streams)
        ws_next(ws)  # ready
        over = relay.sse(room, ip=ip)
        assert over.status == 429
        assert over.headers.get("retry-after") == "5"
        body = json.loads(over.read_body())
        assert body["error"] == "too many concurrent streams from this IP"
        over.close()
        # WS over the cap: plain HTTP 429 before switching protocols (§20.20)
        head, body = ws_upgrade_raw(relay.port, f"/api/rooms/{room}/ws", headers=xff(ip))
        assert head is not None and head.status == 429
        assert head.headers.get("retry-after") == "5"
        assert json.loads(body)["error"] == "too many concurrent streams from this IP"
        # another IP is unaffected
        other = _sse_ok(relay, room, new_ip())
        assert other.status == 200
        other.close()
        # closing one stream frees a slot
        streams.pop().close()
        again = None
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            again = relay.sse(room, ip=ip)
            if again.status == 200:
                break
            again.close()
            time.sleep(0.1)
        assert again is not None and again.status == 200, "slot not freed after a close"
        again.close()
    finally:
        for s in streams:
            s.close()
        ws_close(ws)
    relay.health()


def test_stream_slots_are_released_on_every_exit_path(relay_factory):
    """§18.5: slots are released exactly once, whether the client closes cleanly, resets
    mid-replay, or drops a WebSocket without a close frame."""
    relay = relay_factory("--stream-cap-per-ip", "4", "--room-rate-burst", "1000",
                          "--room-rate-per-sec", "1000", "--global-rate-burst", "2000",
                          "--global-rate-per-sec", "2000")
    ip = new_ip()
    room = rand_room()
    for i in range(40):
        relay.post_ok(room, message_body("x" * 2000), ip=new_ip())
    for i in range(24):
        kind = i % 4
        if kind == 0:
            s = relay.sse(room, ip=ip)
            assert s.status == 200
            s.read_until_type("ready")
            s.close()
        elif kind == 1:
            s = relay.sse(room, ip=ip)  # reset before reading the replay
            assert s.status == 200
            s.abort()
        elif kind == 2:
            w = relay.ws(room, ip=ip)
            ws_close(w)
        else:
            w = relay.ws(room, ip=ip)
            w.sock.close()  # vanish without a close frame
        # wait for the slot to be released before the next round
        ok = poll(lambda: relay.status(room)["participants"] == 0, timeout=5)
        assert ok, f"subscriber not removed after exit path {kind}"
    held = []
    try:
        for _ in range(4):
            s = relay.sse(room, ip=ip)
            assert s.status == 200, "a slot leaked: cap reached with no live streams"
            held.append(s)
        over = relay.sse(room, ip=ip)
        assert over.status == 429
        over.close()
    finally:
        for s in held:
            s.close()
    relay.health()


def test_concurrent_connects_and_posts_do_not_break_the_stream(relay, room):
    stop = threading.Event()
    errors = []

    def churn():
        while not stop.is_set():
            try:
                s = relay.sse(room, ip=new_ip())
                s.read_until_type("ready", timeout=5)
                s.abort()
            except Exception as e:  # noqa: BLE001
                errors.append(e)
                return

    with relay.sse(room) as main:
        main.read_until_type("ready")
        t = threading.Thread(target=churn)
        t.start()
        posted = [relay.post_ok(room, message_body(f"{i}"), ip=new_ip()) for i in range(60)]
        stop.set()
        t.join(10)
        got = []
        deadline = time.monotonic() + 5
        while len(got) < 60 and time.monotonic() < deadline:
            ev = main.next_event(max(0.01, deadline - time.monotonic()))
            assert ev is not None
            if ev["type"] == "message":
                got.append(ev["seq"])
        assert got == [p["seq"] for p in posted]
    assert not errors, errors[:3]
