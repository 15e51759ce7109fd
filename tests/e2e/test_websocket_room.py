"""WebSocket /api/rooms/{id}/ws (ROOMS.md §6.3, §4) with our fixes §20.15 (pings, 500-frame
flood keeps the socket open) and §20.20 (error frames for invalid frames, never for
hello/listening)."""

import json
import os
import time

import pytest
import websocket

from relay_client import (WsClosed, assert_message_record, b64, box_pub_url, message_body,
                          new_ip, open_sealed, rand_room, sealed, ws_close, ws_next, ws_quiet,
                          ws_send, ws_until, ws_until_type, ws_upgrade_raw, raw_request)


@pytest.fixture
def ws_room(relay):
    """A fresh room with one WebSocket joined (ready + presence consumed)."""
    room = rand_room("ws")
    ws = relay.ws(room, ip=new_ip())
    ws_until_type(ws, "presence")
    yield room, ws
    ws_close(ws)


def test_connect_replays_everything_then_ready_then_presence(relay, ip):
    room = rand_room()
    posted = [relay.post_ok(room, message_body(f"{i}"), ip=ip) for i in range(3)]
    ws = relay.ws(room, ip=ip)
    try:
        frames = ws_until_type(ws, "presence")
        assert [f["type"] for f in frames] == ["message"] * 3 + ["ready", "presence"]
        assert [f["seq"] for f in frames[:3]] == [p["seq"] for p in posted]
        for f in frames[:3]:
            assert_message_record(f)
        ready = frames[3]
        assert ready["roomId"] == room and ready["size"] == 1 and ready["participants"] == []
        presence = frames[4]
        assert presence["size"] == 1 and presence["names"] == []
        assert relay.status(room)["participants"] == 1
    finally:
        ws_close(ws)


def test_ws_creates_room(relay):
    room = rand_room("wsnew")
    assert relay.status(room)["exists"] is False
    ws = relay.ws(room)
    try:
        ws_until_type(ws, "ready")
        assert relay.status(room)["exists"] is True
    finally:
        ws_close(ws)


def test_ws_post_is_echoed_with_label_and_shares_seq_with_http(relay, ws_room, ip):
    room, ws = ws_room
    a = relay.post_ok(room, ip=ip)
    assert ws_until_type(ws, "message")[-1]["seq"] == a["seq"]
    body = message_body("from ws", sender="ws-bot")
    ws_send(ws, body)
    echo = ws_until_type(ws, "message")[-1]
    assert_message_record(echo)
    assert echo["seq"] == a["seq"] + 1
    assert echo["sender"] == "ws-bot" and echo["sender_verified"] is False
    assert echo["ciphertext"] == body["ciphertext"] and echo["nonce"] == body["nonce"]
    assert open_sealed(echo) == "from ws"
    b = relay.post_ok(room, ip=ip)
    assert b["seq"] == a["seq"] + 2
    t = relay.transcript(room)
    assert [m["sender"] for m in t["messages"]] == ["e2e", "ws-bot", "e2e"]


def test_ws_default_sender_is_user(relay, ws_room):
    room, ws = ws_room
    ws_send(ws, sealed("anon"))
    echo = ws_until_type(ws, "message")[-1]
    assert echo["sender"] == "user"
    ws_send(ws, {**sealed("anon2"), "sender": None, "type": "whatever"})
    echo = ws_until_type(ws, "message")[-1]
    assert echo["sender"] == "user"


def test_ws_ttl_and_reply_to_are_relayed(relay, ws_room):
    room, ws = ws_room
    ws_send(ws, {**sealed("x"), "ttl_ms": 60000, "reply_to": "abcdefgh"})
    echo = ws_until_type(ws, "message")[-1]
    assert echo["ttl_ms"] == 60000 and echo["reply_to"] == "abcdefgh"


def test_other_subscribers_receive_ws_posts(relay, ip):
    room = rand_room()
    a, b = relay.ws(room, ip=ip), relay.ws(room, ip=ip)
    try:
        ws_until_type(a, "ready")
        ws_until_type(b, "ready")
        with relay.sse(room) as s:
            s.read_until_type("ready")
            ws_send(a, message_body("hi all", sender="a"))
            got_b = ws_until_type(b, "message")[-1]
            got_s = s.read_until_type("message")[-1]
            got_a = ws_until_type(a, "message")[-1]
            assert got_a["id"] == got_b["id"] == got_s["id"]
    finally:
        ws_close(a)
        ws_close(b)


def test_invalid_json_frame_gets_error_frame(relay, ws_room):
    room, ws = ws_room
    for bad in ["{not json", "", "[1,2", "\x00\x01"]:
        ws_send(ws, bad)
        err = ws_next(ws)
        assert err["type"] == "error" and err["code"] == 400, (bad, err)
        assert err["error"] == "invalid json", err
    assert relay.status(room)["recent_count"] == 0


INVALID_FRAMES = [
    {},
    {"sender": "only"},
    {"ciphertext": "QQ"},
    {"ciphertext": "QQ==", "nonce": b64(os.urandom(23))},
    {**sealed("x"), "sender": "s" * 65},
    {**sealed("x"), "ttl_ms": 5000},
    {**sealed("x"), "reply_to": ""},
    {**sealed("x"), "sender": "bidi\u202e"},
    [1, 2, 3],
    "just a string",
    42,
]


@pytest.mark.parametrize("frame", INVALID_FRAMES, ids=[str(i) for i in range(len(INVALID_FRAMES))])
def test_invalid_message_frame_gets_bad_message_error(relay, ws_room, frame):
    room, ws = ws_room
    ws_send(ws, json.dumps(frame))
    err = ws_next(ws)
    assert err["type"] == "error" and err["code"] == 400, err
    assert err["error"] == "bad message", err
    assert isinstance(err.get("detail"), str) and err["detail"], err
    assert "signed_only" not in err["error"]
    # the socket is still usable and no seq was consumed
    ws_send(ws, sealed("after"))
    echo = ws_until_type(ws, "message")[-1]
    assert relay.status(room)["recent_count"] == 1 and relay.status(room)["last_seq"] == echo["seq"]


def test_hello_and_listening_never_get_error_frames(relay, ws_room):
    room, ws = ws_room
    for frame in [{"type": "listening"}, {"type": "hello", "name": "bad name with spaces"},
                  {"type": "hello", "name": ""}, {"type": "hello"}, {"type": "hello", "name": 7},
                  {"type": "hello", "name": "x\u202ey"}, {"type": "listening", "junk": 1}]:
        ws_send(ws, frame)
    got = ws_quiet(ws, 0.5)
    assert got == [], f"hello/listening produced frames: {got}"
    ws_send(ws, sealed("probe"))
    assert ws_next(ws)["type"] == "message"


def test_binary_frames_are_treated_as_text(relay, ws_room):
    room, ws = ws_room
    ws.send_binary(json.dumps(message_body("bin", sender="binary")).encode())
    echo = ws_until_type(ws, "message")[-1]
    assert echo["sender"] == "binary" and open_sealed(echo) == "bin"


def test_signed_frame_without_identity_gets_401_frame(relay, ws_room):
    room, ws = ws_room
    ws_send(ws, {**sealed("s"), "sender_handle": "alice", "sender_sig": b64(os.urandom(64)),
                 "sender_ts": int(time.time() * 1000), "sender_nonce": "n" * 24})
    err = ws_next(ws)
    assert err["type"] == "error" and err["code"] == 401 and err["error"] == "bad sender_sig"
    assert relay.status(room)["recent_count"] == 0


def test_signed_only_frame_without_signature(relay, ws_room):
    """§19: an error frame with code 400 among the next 5 frames; room stays unlocked."""
    room, ws = ws_room
    ws_send(ws, {**sealed("lock?"), "signed_only": True})
    frames = []
    err = None
    for _ in range(5):
        try:
            f = ws_next(ws, 2)
        except TimeoutError:
            break
        frames.append(f)
        if f["type"] == "error":
            err = f
            break
    assert err is not None, frames
    assert err["code"] == 400 and err["error"] == "signed_only requires sender_sig"
    st = relay.status(room)
    assert st["signed_only"] is False and st["recent_count"] == 0
    ws_send(ws, sealed("unsigned still fine"))
    assert ws_until_type(ws, "message")[-1]["type"] == "message"


def test_500_frame_flood_gets_429_frames_and_socket_stays_open(relay):
    """§19/§20.15: 500 valid frames back-to-back without reading → ≥ 100 code-429 error
    frames on the same, still-open socket (default limits: burst 300, 100/s)."""
    room = rand_room("flood")
    ws = relay.ws(room, ip=new_ip())
    try:
        ws_until_type(ws, "presence")
        frame = json.dumps(message_body("flood", sender="flooder"))
        for _ in range(500):
            ws.send(frame)
        errors = messages = 0
        deadline = time.monotonic() + 20
        while errors + messages < 500 and time.monotonic() < deadline:
            f = ws_next(ws, max(0.01, deadline - time.monotonic()))
            if f["type"] == "error":
                assert f["code"] == 429 and f["error"] == "rate limited", f
                errors += 1
            elif f["type"] == "message":
                messages += 1
        assert errors + messages == 500, (errors, messages)
        assert errors >= 100, f"only {errors} rate-limit error frames"
        assert relay.status(room)["recent_count"] == messages
        # the socket is still open and usable once the bucket refills
        time.sleep(1.2)
        ws_send(ws, message_body("after flood", sender="flooder"))
        f = ws_until(ws, lambda e: e["type"] in ("message", "error"))[-1]
        assert f["type"] == "message" and open_sealed(f) == "after flood"
    finally:
        ws_close(ws)


def test_hello_sets_name_and_rename_is_broadcast(relay, ip):
    room = rand_room()
    a, b = relay.ws(room, ip=ip), relay.ws(room, ip=ip)
    try:
        ws_until_type(a, "ready")
        ws_until_type(b, "ready")
        ws_quiet(a, 0.2)
        ws_quiet(b, 0.2)
        key = box_pub_url()
        ws_send(a, {"type": "hello", "name": "carol", "box_pub": key})
        p = ws_next(a)
        assert p["type"] == "presence", p  # first hello: no rename
        assert p["names"] == ["carol"] and p["size"] == 2
        part = {x["name"]: x for x in p["participants"]}
        assert part["carol"]["box_pub"] == key
        assert ws_next(b)["type"] == "presence"
        # rename without box_pub keeps the key
        ws_send(a, {"type": "hello", "name": "carol2"})
        for sock in (a, b):
            r = ws_next(sock)
            assert r == {"type": "rename", "from": "carol", "to": "carol2"}
            p = ws_next(sock)
            assert p["type"] == "presence" and p["names"] == ["carol2"]
            assert {x["name"]: x for x in p["participants"]}["carol2"]["box_pub"] == key
        # same name again: presence only, no rename
        ws_send(a, {"type": "hello", "name": "carol2"})
        assert ws_next(a)["type"] == "presence"
        # invalid hello: ignored entirely (no rename, no presence, no box_pub change)
        ws_send(a, {"type": "hello", "name": "bad name", "box_pub": box_pub_url()})
        ws_send(a, {"type": "hello", "name": "carol3"})
        r = ws_next(a)
        assert r == {"type": "rename", "from": "carol2", "to": "carol3"}, r
        p = ws_next(a)
        assert {x["name"]: x for x in p["participants"]}["carol3"]["box_pub"] == key
        # invalid box_pub leaves it unchanged, null clears it
        ws_send(a, {"type": "hello", "name": "carol3", "box_pub": "not-a-key"})
        p = ws_next(a)
        assert {x["name"]: x for x in p["participants"]}["carol3"]["box_pub"] == key
        ws_send(a, {"type": "hello", "name": "carol3", "box_pub": None})
        p = ws_next(a)
        assert {x["name"]: x for x in p["participants"]}["carol3"].get("box_pub") is None
    finally:
        ws_close(a)
        ws_close(b)


def test_frame_over_256k_closes_with_1009(relay, ws_room):
    room, ws = ws_room
    try:
        ws.send("x" * (262144 + 1024))
    except (BrokenPipeError, ConnectionResetError, websocket.WebSocketException):
        pass
    with pytest.raises(WsClosed) as ei:
        for _ in range(10):
            ws_next(ws, 5)
    assert ei.value.code in (1009, None)
    if ei.value.code is None:
        pytest.fail("connection dropped without a 1009 close frame")
    relay.health()


def test_server_sends_protocol_pings(relay_factory):
    relay = relay_factory("--ws-ping-ms", "300")
    room = rand_room()
    ws = relay.ws(room)
    try:
        pings = []
        deadline = time.monotonic() + 3
        while len(pings) < 2 and time.monotonic() < deadline:
            try:
                ws_next(ws, 0.1, pings=pings)
            except TimeoutError:
                pass
        assert len(pings) >= 2, "no protocol pings within 3 s at --ws-ping-ms 300"
        # pongs were answered by the client; the connection is healthy
        relay.post_ok(room)
        assert ws_until_type(ws, "message")[-1]["type"] == "message"
    finally:
        ws_close(ws)


def test_default_ws_ping_interval_is_not_short(relay, ws_room):
    room, ws = ws_room
    pings = []
    try:
        ws_next(ws, 1.0, pings=pings)
    except TimeoutError:
        pass
    assert pings == []


@pytest.mark.parametrize("path", ["/api/rooms/ab/ws", "/api/rooms/bad%2Fslash/ws",
                                  "/api/rooms/" + "X" * 65 + "/ws", "/api/nope/ws"])
def test_upgrade_on_bad_path_does_not_switch_protocols(relay, path):
    head, _ = ws_upgrade_raw(relay.port, path)
    assert head is None or head.status != 101, path
    relay.health()


def test_upgrade_without_key_is_rejected(relay):
    req = (f"GET /api/rooms/{rand_room()}/ws HTTP/1.1\r\nHost: 127.0.0.1\r\n"
           "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n")
    head, _ = raw_request(relay.port, req.encode())
    assert head is not None and head.status == 400
    relay.health()


def test_client_close_is_handled(relay, ip):
    room = rand_room()
    watcher = relay.ws(room, ip=ip)
    try:
        ws_until_type(watcher, "presence")
        leaver = relay.ws(room, ip=ip)
        ws_until_type(leaver, "ready")
        p = ws_until_type(watcher, "presence")[-1]
        assert p["size"] == 2
        leaver.close(status=1000, timeout=2)
        p = ws_until_type(watcher, "presence")[-1]
        assert p["size"] == 1
        assert relay.status(room)["participants"] == 1
    finally:
        ws_close(watcher)


def test_websocket_client_library_closes_cleanly(relay):
    ws = websocket.create_connection(relay.ws_url(f"/api/rooms/{rand_room()}/ws"), timeout=5)
    ws_until_type(ws, "ready")
    ws.close(timeout=2)
    relay.health()
