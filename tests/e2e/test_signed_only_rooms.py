"""signed_only rooms (IDENTITY.md §5.5, ROOMS.md §7.3) over HTTP and WebSocket, and our §20.5
fix: the lock is remembered after the room is evicted, so a re-created room is still locked."""

import time

from identity_client import LOCKED_403, Ident, err, rand_handle, register_ok
from relay_client import (message_body, new_ip, poll, rand_room, ws_close, ws_send, ws_until,
                          ws_until_type)


def ident(relay):
    a = Ident(rand_handle("so"))
    register_ok(relay, a, ip=new_ip())
    return a


def test_unsigned_signed_only_request_is_400_and_does_not_lock(relay, room, ip):
    relay.post_ok(room, ip=ip)
    r = relay.post_msg(room, message_body("lock?", signed_only=True), ip=ip)
    assert r.status_code == 400 and err(r) == "signed_only requires sender_sig", r.text
    assert relay.status(room)["signed_only"] is False
    relay.post_ok(room, ip=ip)
    # only the JSON literal true counts
    a = ident(relay)
    relay.post_ok(room, a.signed_post_body(room, signed_only="true"), ip=ip)
    relay.post_ok(room, a.signed_post_body(room, signed_only=1), ip=ip)
    assert relay.status(room)["signed_only"] is False
    relay.post_ok(room, message_body("still open", signed_only=False), ip=ip)


def test_signed_post_locks_at_any_time_and_locked_event_precedes_the_message(relay, room, ip):
    a = ident(relay)
    for i in range(3):
        relay.post_ok(room, message_body(f"before {i}"), ip=ip)   # not the first message
    sse = relay.sse(room, ip=new_ip())
    try:
        sse.read_until_type("ready")
        body = a.signed_post_body(room, "locking", signed_only=True)
        seq = relay.post_ok(room, body, ip=ip)["seq"]
        evs = sse.read_until(lambda e: e.get("type") == "message")
        types = [e["type"] for e in evs if e["type"] in ("locked", "message")]
        assert types == ["locked", "message"], evs
        assert evs[-1]["seq"] == seq and evs[-1]["sender"] == "@" + a.handle
        assert relay.status(room)["signed_only"] is True
        r = relay.post_msg(room, message_body("unsigned"), ip=ip)
        assert r.status_code == 403 and err(r) == LOCKED_403, r.text
        # unsigned with signed_only on a locked room: still 403 (the flag is ignored)
        r = relay.post_msg(room, message_body("unsigned2", signed_only=True), ip=ip)
        assert r.status_code == 403 and err(r) == LOCKED_403, r.text
        # signed posts go on; a second signed_only is ignored (no second locked event)
        seq2 = relay.post_ok(room, a.signed_post_body(room, "more", signed_only=True), ip=ip)["seq"]
        assert seq2 == seq + 1
        seq3 = relay.post_ok(room, a.signed_post_body(room, "plain signed"), ip=ip)["seq"]
        assert seq3 == seq + 2
        evs = sse.read_until(lambda e: e.get("type") == "message" and e.get("seq") == seq3)
        assert "locked" not in [e["type"] for e in evs], evs
    finally:
        sse.close()
    assert relay.status(room)["last_seq"] == seq + 2


def test_lock_cannot_be_set_with_a_bad_signature(relay, room, ip):
    a = ident(relay)
    body = a.signed_post_body(room, "x", signed_only=True)
    body["sender_sig"] = Ident().sign("not T4")
    r = relay.post_msg(room, body, ip=ip)
    assert r.status_code == 401 and err(r) == "bad sender_sig"
    assert relay.status(room)["signed_only"] is False


def test_websocket_lock_rules(relay, ip):
    room = rand_room("wslk")
    a = ident(relay)
    ws = relay.ws(room, ip=ip)
    watcher = relay.ws(room, ip=new_ip())
    try:
        ws_until_type(ws, "ready")
        ws_until_type(watcher, "ready")
        ws_send(ws, message_body("unsigned lock", signed_only=True))
        e = ws_until_type(ws, "error")[-1]
        assert e["code"] == 400 and e["error"] == "signed_only requires sender_sig", e
        assert relay.status(room)["signed_only"] is False
        body = a.signed_post_body(room, "lock over ws", signed_only=True)
        ws_send(ws, body)
        evs = ws_until(watcher, lambda f: f.get("type") == "message")
        types = [f["type"] for f in evs if f["type"] in ("locked", "message")]
        assert types == ["locked", "message"], evs
        assert evs[-1]["sender"] == "@" + a.handle and evs[-1]["sender_verified"] is True
        assert relay.status(room)["signed_only"] is True
        ws_send(ws, message_body("unsigned after lock"))
        e = ws_until_type(ws, "error")[-1]
        assert e["code"] == 403 and "signed_only" in e["error"], e
        assert e["error"] == "signed_only", e
        # the socket stays open and signed frames still go through
        ok = a.signed_post_body(room, "signed after lock")
        ws_send(ws, ok)
        fr = ws_until(ws, lambda f: f.get("type") == "message" and f["ciphertext"] == ok["ciphertext"])
        assert fr[-1]["sender_verified"] is True
        # HTTP sees the lock set over WS
        r = relay.post_msg(room, message_body("http unsigned"), ip=ip)
        assert r.status_code == 403 and err(r) == LOCKED_403
    finally:
        ws_close(ws)
        ws_close(watcher)


def test_lock_survives_room_eviction(relay_factory):
    """§20.5: a locked room that empties and is evicted comes back locked."""
    relay = relay_factory("--janitor-ms", "200", "--room-grace-ms", "500", "--room-retain-ms", "0")
    a = Ident(rand_handle("tomb"))
    register_ok(relay, a, ip=new_ip())
    room, ip = rand_room("tomb"), new_ip()
    relay.post_ok(room, a.signed_post_body(room, "lock", signed_only=True), ip=ip)
    assert relay.status(room)["signed_only"] is True
    t0 = time.monotonic()
    assert poll(lambda: relay.status(room)["exists"] is False, timeout=10), "room not evicted"
    assert time.monotonic() - t0 >= 0.3
    r = relay.post_msg(room, message_body("sneak in after eviction"), ip=ip)
    assert r.status_code == 403 and err(r) == LOCKED_403, r.text
    st = relay.status(room)
    assert st["exists"] is True and st["signed_only"] is True, st
    assert st["recent_count"] == 0
    seq = relay.post_ok(room, a.signed_post_body(room, "signed is fine"), ip=ip)["seq"]
    assert relay.status(room)["last_seq"] == seq
    # WebSocket joiners of the re-created room are refused unsigned frames too
    ws = relay.ws(room, ip=new_ip())
    try:
        ws_until_type(ws, "ready")
        ws_send(ws, message_body("ws sneak"))
        e = ws_until_type(ws, "error")[-1]
        assert e["code"] == 403 and e["error"] == "signed_only", e
    finally:
        ws_close(ws)
    # an unlocked room that is evicted stays unlocked (the tombstone is only for locks)
    other = rand_room("open")
    relay.post_ok(other, message_body("x"), ip=ip)
    assert poll(lambda: relay.status(other)["exists"] is False, timeout=10)
    relay.post_ok(other, message_body("y"), ip=ip)
    assert relay.status(other)["signed_only"] is False
