"""Room lifecycle (ROOMS.md §2.2–§2.4, §2.7) with our fixes: §20.8 (a re-created room's seqs
exceed every seq it had before), §20.17 (per-room and global byte caps → 503), §20.18 (the room
cap only evicts rooms idle past the grace period)."""

import json
import threading
import time

import requests

from relay_client import (message_body, metric_sum, new_ip, poll, rand_room, sealed, ws_close,
                          ws_next, ws_until_type, ws_upgrade_raw)

# --room-retain-ms 0: rooms holding messages are evicted after the grace too (the §2.3 rule),
# which these tests exercise; test_cli_room_wait.py covers the retention itself.
FAST_EVICT = ["--janitor-ms", "200", "--room-grace-ms", "500", "--room-retain-ms", "0",
              "--room-rate-burst", "100000", "--room-rate-per-sec", "100000",
              "--global-rate-burst", "100000", "--global-rate-per-sec", "100000"]


def gone(relay, room):
    return relay.status(room)["exists"] is False


def test_idle_room_is_evicted_and_recreated_with_higher_seqs(relay_factory):
    relay = relay_factory(*FAST_EVICT)
    room = rand_room("evict")
    evicted0 = metric_sum(relay.metrics(), "bot2bot_rooms_evicted_total")
    old = [relay.post_ok(room, message_body(f"{i}"))["seq"] for i in range(3)]
    t_last = time.monotonic()
    rooms_with = relay.health()["rooms"]
    assert poll(lambda: gone(relay, room), timeout=5), "idle room was not evicted"
    assert time.monotonic() - t_last >= 0.45, "room evicted before its grace period"
    assert relay.health()["rooms"] == rooms_with - 1
    # The reference's missing-room answer, plus ours: what the evicted room held is reported
    # as dropped, so a reader behind it learns of the loss (`room wait` gap line).
    assert relay.transcript(room) == {"messages": [], "last_seq": 0, "exists": False,
                                      "dropped_through": max(old)}
    assert metric_sum(relay.metrics(), "bot2bot_rooms_evicted_total") >= evicted0 + 1
    new = relay.post_ok(room, message_body("again"))["seq"]
    assert new > max(old), (new, old)
    t = relay.transcript(room)
    assert [m["seq"] for m in t["messages"]] == [new]
    assert t["dropped_through"] == max(old)
    assert relay.status(room)["signed_only"] is False


def test_seq_high_water_survives_eviction_even_when_seqs_ran_ahead_of_the_clock(relay_factory):
    """2,000 WS frames in a burst push the room's seqs ~2 s ahead of wall time; the room is
    evicted < 2 s later; a naive `nextSeq = now_ms` re-creation would reuse old seqs."""
    relay = relay_factory(*FAST_EVICT)
    room = rand_room("hw")
    ws = relay.ws(room, ip=new_ip())
    ws_until_type(ws, "ready")
    frame = json.dumps(message_body("burst"))
    for _ in range(2000):
        ws.send(frame)
    got = 0
    deadline = time.monotonic() + 20
    while got < 2000 and time.monotonic() < deadline:
        f = ws_next(ws, max(0.01, deadline - time.monotonic()))
        assert f["type"] != "error", f
        if f["type"] == "message":
            got += 1
            last = f["seq"]
    assert got == 2000
    ws_close(ws)
    assert relay.status(room)["last_seq"] == last
    assert poll(lambda: gone(relay, room), timeout=5), "room was not evicted"
    new = relay.post_ok(room)["seq"]
    assert new > last, f"re-created room reused seq space: new {new} <= old {last} (§20.8)"


def test_subscribers_waiters_and_heartbeats_keep_rooms_alive(relay_factory):
    relay = relay_factory(*FAST_EVICT)
    with_sse, with_wait, with_hb, idle = (rand_room(p) for p in ("sse", "wait", "hb", "idle"))
    for rid in (with_sse, with_wait, with_hb, idle):
        relay.post_ok(rid)
    sse = relay.sse(with_sse)
    sse.read_until_type("ready")
    last = relay.status(with_wait)["last_seq"]
    waiter = threading.Thread(target=lambda: requests.get(
        relay.url(f"/api/rooms/{with_wait}/wait"), params={"after": last, "timeout": 3},
        timeout=10))
    waiter.start()
    t_end = time.monotonic() + 1.6
    while time.monotonic() < t_end:
        assert relay.post(f"/api/rooms/{with_hb}/listening", {"name": "hb"}).status_code == 200
        time.sleep(0.15)
    assert gone(relay, idle), "control room should have been evicted by now"
    for rid in (with_sse, with_wait, with_hb):
        assert relay.status(rid)["exists"] is True, rid
    sse.close()
    assert poll(lambda: gone(relay, with_sse), timeout=5), "room kept after its last subscriber left"
    waiter.join(10)
    assert poll(lambda: gone(relay, with_wait), timeout=5)
    assert poll(lambda: gone(relay, with_hb), timeout=5)


def test_room_cap_reached_on_every_creating_endpoint(relay_factory):
    relay = relay_factory("--rooms-max", "3", "--room-grace-ms", "60000")
    rooms = [rand_room() for _ in range(3)]
    for rid in rooms:
        relay.post_ok(rid)
    extra = rand_room("over")
    r = relay.post_msg(extra)
    assert r.status_code == 503
    assert r.json()["error"] == "room cap reached"
    assert r.headers.get("Retry-After") == "60"
    # SSE: 200, one error event without `code`, then the stream ends (§6.2 step 4)
    with relay.sse(extra) as s:
        assert s.status == 200
        items = s.wait_eof(timeout=5)
        assert s.eof, "SSE stream stayed open at the room cap"
        datas = [x[1] for x in items if x[0] == "data"]
        assert datas == [{"type": "error", "error": "room cap reached"}], datas
    # WS: HTTP 503 before switching protocols (§20.20)
    head, body = ws_upgrade_raw(relay.port, f"/api/rooms/{extra}/ws")
    assert head is not None and head.status == 503
    assert json.loads(body)["error"] == "room cap reached"
    # wait / status / transcript never create, existing rooms keep working
    r = relay.get(f"/api/rooms/{extra}/wait", params={"timeout": 1})
    assert r.json() == {"messages": [], "last_seq": 0, "exists": False}
    assert relay.status(extra)["exists"] is False
    assert relay.health()["rooms"] == 3
    for rid in rooms:
        relay.post_ok(rid)
    # a rejected room-cap POST consumed nothing: once a slot frees (no eviction here), still 503
    assert relay.post_msg(extra).status_code == 503


def test_room_cap_evicts_only_rooms_idle_past_grace(relay_factory):
    relay = relay_factory("--rooms-max", "2", "--room-grace-ms", "400", "--janitor-ms", "600000")
    a, b, c, d = (rand_room(p) for p in "abcd")
    relay.post_ok(a)
    relay.post_ok(b)
    r = relay.post_msg(c)
    assert r.status_code == 503, "evicted a room that was still inside its grace period"
    assert r.json()["error"] == "room cap reached"
    time.sleep(0.7)
    relay.post_ok(b)  # b is active again; a is idle past grace
    relay.post_ok(c)  # evicts a (the least recently active idle room, §2.3)
    assert relay.status(a)["exists"] is False
    assert relay.status(b)["exists"] is True and relay.status(c)["exists"] is True
    assert relay.health()["rooms"] == 2
    assert relay.post_msg(d).status_code == 503  # b and c are both inside the grace period
    # a room with a live subscriber is never evicted, however idle it is
    with relay.sse(b) as s:
        s.read_until_type("ready")
        time.sleep(0.7)
        relay.post_ok(d)  # c is idle past grace and unsubscribed → evicted, b is kept
        assert relay.status(b)["exists"] is True
        assert relay.status(c)["exists"] is False
    relay.health()


def test_per_room_byte_cap_trims_oldest_and_keeps_room_writable(relay_factory):
    # §20.17: the per-room cap bounds one room's share of the global budget. Like the count
    # cap it drops the oldest messages, so a busy room stays writable.
    relay = relay_factory("--room-max-bytes", "40000")
    room = rand_room("full")
    body = sealed(size=7484)  # 7,500 bytes sealed → 10,000 base64 chars (10,512 accounted)
    assert len(body["ciphertext"]) == 10000
    seqs = [relay.post_ok(room, body)["seq"] for _ in range(8)]
    assert seqs == list(range(seqs[0], seqs[0] + 8))
    st = relay.status(room)
    assert st["recent_count"] == 3  # 3 × 10,512 ≤ 40,000 < 4 × 10,512
    t = relay.transcript(room)
    assert [m["seq"] for m in t["messages"]] == seqs[-3:]
    # A message larger than the whole cap is refused with the room's text.
    huge = sealed(size=40000)
    r = relay.post_msg(room, huge)
    assert r.status_code == 503
    assert r.json()["error"] == "room buffer full \u2014 try again shortly"
    ra = r.headers.get("Retry-After")
    assert ra is not None and ra.isdigit() and int(ra) >= 1, ra
    relay.post_ok(rand_room(), body)  # other rooms are unaffected
    relay.health()


def test_global_byte_cap(relay_factory):
    relay = relay_factory("--global-max-bytes", "60000")
    body = sealed(size=7484)
    codes, last = [], None
    for _ in range(8):
        last = relay.post_msg(rand_room(), body)
        codes.append(last.status_code)
        if last.status_code == 503:
            break
    assert codes[0] == 200 and codes[-1] == 503, codes
    assert last.json()["error"] == "global room buffer full \u2014 try again shortly"
    assert last.headers.get("Retry-After") == "60"
    # WebSocket frames hit the same budget
    ws = relay.ws(rand_room())
    try:
        ws_until_type(ws, "ready")
        ws.send(json.dumps(body))
        f = ws_until_type(ws, "error")[-1]
        assert f["code"] == 503 and f["error"].startswith("global room buffer full"), f
    finally:
        ws_close(ws)
    relay.health()


def test_global_bytes_are_released_on_eviction(relay_factory):
    relay = relay_factory("--global-max-bytes", "60000", "--janitor-ms", "200",
                          "--room-grace-ms", "300", "--room-retain-ms", "0")
    body = sealed(size=7484)
    for _ in range(8):
        if relay.post_msg(rand_room(), body).status_code == 503:
            break
    else:
        raise AssertionError("global cap never reached")
    assert poll(lambda: relay.post_msg(rand_room(), body).status_code == 200, timeout=5,
                interval=0.2), "buffer bytes not released after the rooms were evicted"
