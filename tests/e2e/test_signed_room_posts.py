"""Signed room posts (IDENTITY.md §5.1–§5.4, ROOMS.md §7.1–§7.2): the relay stamps
`sender:"@handle"` and `sender_verified:true`, and (our §20.3 fix) relays `sender_sig`,
`sender_ts` and `sender_nonce` on every delivery — SSE, WebSocket, /transcript, /wait and
/claim — so a receiver can verify T4 with the sender's public key without trusting the relay.
Bad signature, replayed nonce, skew and unknown handle are 401 {"error":"bad sender_sig"}; a
429/503 rejection does not consume the nonce."""

import base64
import os
import threading
import time

import requests

from identity_client import (BAD_SENDER_SIG, Ident, ack, b64, claim, err, nonce_token, rand_handle,
                             register_ok, t4, verify_room_sig)
from relay_client import (message_body, new_ip, now_ms, poll, rand_room, sealed, ws_close,
                          ws_send, ws_until, ws_until_type)

SIG_FIELDS = ("sender_sig", "sender_ts", "sender_nonce")


def ident(relay, prefix="rp"):
    a = Ident(rand_handle(prefix))
    register_ok(relay, a, ip=new_ip())
    return a


def assert_signed_record(rec, room, a, body):
    assert rec["sender"] == "@" + a.handle, rec
    assert rec["sender_verified"] is True, rec
    assert rec["ciphertext"] == body["ciphertext"] and rec["nonce"] == body["nonce"]
    assert rec["sender_sig"] == body["sender_sig"], rec
    assert rec["sender_nonce"] == body["sender_nonce"], rec
    assert int(rec["sender_ts"]) == int(body["sender_ts"]), rec
    assert "_bytes" not in rec and "signed_only" not in rec
    assert verify_room_sig(rec, room, a.sign_pub), f"relayed T4 does not verify: {rec}"
    # ...and the check really depends on the relayed material
    assert not verify_room_sig(rec, room, Ident().sign_pub)
    assert not verify_room_sig(dict(rec, ciphertext=sealed("x")["ciphertext"]), room, a.sign_pub)


def test_signed_post_is_stamped_and_relays_verifiable_signature(relay, room, ip):
    a = ident(relay)
    body = a.signed_post_body(room, "hello", sender="spoofed-label")
    r = relay.post_msg(room, body, ip=ip)
    assert r.status_code == 200, r.text
    j = r.json()
    assert j["ok"] is True and type(j["seq"]) is int
    t = relay.transcript(room)
    [rec] = t["messages"]
    assert rec["seq"] == j["seq"] and rec["id"] == j["id"]
    assert_signed_record(rec, room, a, body)


def test_unsigned_posts_carry_no_signature_fields(relay, room, ip):
    relay.post_ok(room, message_body("plain", sender="bob"), ip=ip)
    a = ident(relay)
    only_sig = a.signed_post_body(room, "half")
    del only_sig["sender_handle"]
    relay.post_ok(room, only_sig, ip=ip)           # only sender_sig: unsigned (§5.1)
    only_handle = a.signed_post_body(room, "half2")
    del only_handle["sender_sig"]
    relay.post_ok(room, only_handle, ip=ip)        # only sender_handle: unsigned
    empty_sig = a.signed_post_body(room, "half3", sender_sig="")
    relay.post_ok(room, empty_sig, ip=ip)
    recs = relay.transcript(room)["messages"]
    assert len(recs) == 4
    for rec in recs:
        assert rec["sender_verified"] is False, rec
        assert not rec["sender"].startswith("@" + a.handle), rec
        for k in SIG_FIELDS:
            assert k not in rec, rec


def test_uppercase_sender_handle_and_string_sender_ts_are_accepted(relay, room, ip):
    a = ident(relay)
    body = sealed("upper")
    ts = now_ms()
    n = nonce_token()
    body.update({"sender_handle": a.handle.upper(), "sender_ts": str(ts), "sender_nonce": n,
                 "sender_sig": a.sign(t4(room, ts, n, body["ciphertext"]))})
    r = relay.post_msg(room, body, ip=ip)
    assert r.status_code == 200, r.text
    [rec] = relay.transcript(room)["messages"]
    assert rec["sender"] == "@" + a.handle and rec["sender_verified"] is True
    assert verify_room_sig(rec, room, a.sign_pub)


def test_every_delivery_path_relays_the_signature(relay, ip):
    room = rand_room("deliv")
    a = ident(relay)
    claimer = ident(relay, "cl")
    relay.post_ok(room, message_body("opener", sender="bob"), ip=ip)  # room exists, unsigned
    last = relay.status(room)["last_seq"]
    sse = relay.sse(room, query=f"after={last}", ip=new_ip())
    sse.read_until_type("ready")
    ws = relay.ws(room, ip=new_ip())
    ws_until_type(ws, "ready")
    waited = {}

    def park():
        waited["r"] = requests.get(relay.url(f"/api/rooms/{room}/wait"),
                                   params={"after": last, "timeout": 10}, timeout=20)

    th = threading.Thread(target=park, daemon=True)
    th.start()
    time.sleep(0.4)
    try:
        body = a.signed_post_body(room, "to everyone")
        seq = relay.post_ok(room, body, ip=ip)["seq"]
        ev = sse.read_until(lambda e: e.get("type") == "message" and e.get("seq") == seq)[-1]
        assert_signed_record(ev, room, a, body)
        fr = ws_until(ws, lambda e: e.get("type") == "message" and e.get("seq") == seq)[-1]
        assert_signed_record(fr, room, a, body)
        th.join(15)
        w = waited["r"]
        assert w.status_code == 200
        [woken] = [m for m in w.json()["messages"] if m["seq"] == seq]
        assert_signed_record(woken, room, a, body)
        imm = relay.get(f"/api/rooms/{room}/wait", params={"after": last, "timeout": 1}).json()
        [rec] = [m for m in imm["messages"] if m["seq"] == seq]
        assert_signed_record(rec, room, a, body)
        [rec] = [m for m in relay.transcript(room)["messages"] if m["seq"] == seq]
        assert_signed_record(rec, room, a, body)
        # /claim: the unsigned opener first, then the signed one
        c1 = claim(relay, claimer, room, ip=ip).json()
        assert c1["message"]["seq"] == last
        for k in SIG_FIELDS:
            assert k not in c1["message"]
        assert ack(relay, claimer, room, c1["claim_id"], last, ip=ip).json()["advanced"] is True
        c2 = claim(relay, claimer, room, ip=ip).json()
        assert c2["message"]["seq"] == seq
        assert_signed_record(c2["message"], room, a, body)
        # a late SSE joiner gets it in the replay too
        late = relay.sse(room, ip=new_ip())
        evs = late.read_until_type("ready")
        [ev] = [e for e in evs if e.get("seq") == seq]
        assert_signed_record(ev, room, a, body)
        late.close()
    finally:
        sse.close()
        ws_close(ws)


def test_signed_ws_frame_is_stamped_and_relays_signature(relay, ip):
    room = rand_room("wss")
    a = ident(relay)
    ws = relay.ws(room, ip=ip)
    try:
        ws_until_type(ws, "ready")
        body = a.signed_post_body(room, "over ws", sender="ws-label")
        ws_send(ws, body)
        fr = ws_until_type(ws, "message")[-1]
        assert_signed_record(fr, room, a, body)
        # the same frame again is a nonce replay
        ws_send(ws, body)
        e = ws_until_type(ws, "error")[-1]
        assert e["code"] == 401 and e["error"] == "bad sender_sig", e
        # a bad signature, then the socket still works
        bad = a.signed_post_body(room, "bad")
        bad["sender_sig"] = b64(os.urandom(64))
        ws_send(ws, bad)
        e = ws_until_type(ws, "error")[-1]
        assert e["code"] == 401 and e["error"] == "bad sender_sig", e
        ok = a.signed_post_body(room, "still open")
        ws_send(ws, ok)
        fr = ws_until_type(ws, "message")[-1]
        assert_signed_record(fr, room, a, ok)
    finally:
        ws_close(ws)
    assert len(relay.transcript(room)["messages"]) == 2


def _rejected(relay, room, ip, body):
    r = relay.post_msg(room, body, ip=ip)
    assert r.status_code == 401, (r.status_code, r.text)
    assert err(r) == BAD_SENDER_SIG["error"]
    return r


def test_bad_signatures_are_401_and_consume_no_seq(relay, ip):
    room = rand_room("bad")
    a = ident(relay)
    first = relay.post_ok(room, a.signed_post_body(room, "one"), ip=ip)["seq"]
    # signed by another key
    b = a.signed_post_body(room)
    b["sender_sig"] = Ident().sign(t4(room, b["sender_ts"], b["sender_nonce"], b["ciphertext"]))
    _rejected(relay, room, ip, b)
    # signature over another room / another ciphertext
    b = a.signed_post_body(room)
    b["sender_sig"] = a.sign(t4(room + "x", b["sender_ts"], b["sender_nonce"], b["ciphertext"]))
    _rejected(relay, room, ip, b)
    b = a.signed_post_body(room)
    b.update(sealed("swapped"))
    _rejected(relay, room, ip, b)
    # skew beyond 60 s either way
    for d in (-61_000, 61_000):
        b = sealed("skew")
        b.update(a.room_fields(room, b["ciphertext"], ts=now_ms() + d))
        _rejected(relay, room, ip, b)
    # unknown handle (never 404)
    ghost = Ident(rand_handle("ghost"))
    b = sealed("ghost")
    b.update(ghost.room_fields(room, b["ciphertext"]))
    _rejected(relay, room, ip, b)
    # zero signature, non-canonical signature, bad nonce shapes, sender_ts 0, object handle
    b = a.signed_post_body(room)
    _rejected(relay, room, ip, dict(b, sender_sig=b64(bytes(64))))
    _rejected(relay, room, ip, dict(b, sender_sig=b["sender_sig"].rstrip("=")))
    _rejected(relay, room, ip, dict(b, sender_nonce="short"))
    _rejected(relay, room, ip, dict(b, sender_nonce="has space in the nonce!!"))
    _rejected(relay, room, ip, dict(b, sender_nonce="x" * 65))
    _rejected(relay, room, ip, dict(b, sender_ts=0))
    _rejected(relay, room, ip, dict(b, sender_handle={}))
    _rejected(relay, room, ip, dict(b, sender_handle="@" + a.handle))
    # the untouched body is still good: none of the rejections consumed its nonce
    second = relay.post_ok(room, b, ip=ip)["seq"]
    assert second == first + 1
    assert [m["seq"] for m in relay.transcript(room)["messages"]] == [first, second]


def test_replayed_nonce_is_401_even_with_a_fresh_signature(relay, ip):
    room = rand_room("rep")
    a = ident(relay)
    body = a.signed_post_body(room, "once")
    relay.post_ok(room, body, ip=ip)
    _rejected(relay, room, ip, body)
    # same nonce, new ciphertext and new timestamp, correctly signed: still a replay
    again = sealed("twice")
    again.update(a.room_fields(room, again["ciphertext"], nonce=body["sender_nonce"]))
    _rejected(relay, room, ip, again)
    # the nonce cache is per handle and shared across rooms
    other = rand_room("rep2")
    b2 = sealed("elsewhere")
    b2.update(a.room_fields(other, b2["ciphertext"], nonce=body["sender_nonce"]))
    _rejected(relay, other, ip, b2)
    c = Ident(rand_handle("rp3"))
    register_ok(relay, c, ip=new_ip())
    b3 = sealed("other handle same nonce")
    b3.update(c.room_fields(room, b3["ciphertext"], nonce=body["sender_nonce"]))
    relay.post_ok(room, b3, ip=ip)
    assert len(relay.transcript(room)["messages"]) == 2


def test_failed_signed_post_still_creates_the_room(relay, ip):
    room = rand_room("mk")
    b = sealed("x")
    b.update(Ident(rand_handle("nobody")).room_fields(room, b["ciphertext"]))
    _rejected(relay, room, ip, b)
    st = relay.status(room)
    assert st["exists"] is True and st["recent_count"] == 0


def test_rate_limited_signed_post_keeps_its_nonce(relay_factory):
    relay = relay_factory("--room-rate-burst", "2", "--room-rate-per-sec", "2")
    a = Ident(rand_handle("rl"))
    register_ok(relay, a, ip=new_ip())
    room, ip = rand_room("rl"), new_ip()
    relay.post_ok(room, ip=ip)
    relay.post_ok(room, ip=ip)
    body = a.signed_post_body(room, "retry me")
    r = relay.post_msg(room, body, ip=ip)
    assert r.status_code == 429, r.text
    time.sleep(float(r.headers.get("Retry-After", "1")) + 0.1)
    r = relay.post_msg(room, body, ip=ip)              # the SDK retries the identical body
    assert r.status_code == 200, r.text
    [rec] = [m for m in relay.transcript(room)["messages"] if m["sender_verified"]]
    assert verify_room_sig(rec, room, a.sign_pub)
    time.sleep(0.6)
    r = relay.post_msg(room, body, ip=ip)
    assert r.status_code == 401 and err(r) == "bad sender_sig"


def test_buffer_full_signed_post_keeps_its_nonce(relay_factory):
    relay = relay_factory("--global-max-bytes", "4000", "--janitor-ms", "200",
                          "--room-grace-ms", "500", "--room-retain-ms", "0")
    a = Ident(rand_handle("full"))
    register_ok(relay, a, ip=new_ip())
    filler, room, ip = rand_room("fill"), rand_room("sig"), new_ip()
    big = {"ciphertext": base64.b64encode(os.urandom(2100)).decode(), "nonce": b64(os.urandom(24))}
    relay.post_ok(filler, big, ip=ip)                  # 2800 + 512 accounted bytes
    body = a.signed_post_body(room, "x" * 200)
    r = relay.post_msg(room, body, ip=ip)
    assert r.status_code == 503, r.text
    assert poll(lambda: relay.status(filler)["exists"] is False, timeout=10), "filler not evicted"
    r = relay.post_msg(room, body, ip=ip)
    assert r.status_code == 200, r.text
    [rec] = relay.transcript(room)["messages"]
    assert rec["sender"] == "@" + a.handle and verify_room_sig(rec, room, a.sign_pub)
