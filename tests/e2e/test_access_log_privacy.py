"""The relay's output (access log on stdout, anything on stderr) never contains room ids,
ciphertext, nonces or client IPs (ROOMS.md §14.1, §14.2, §20.12) — including for upper-case
paths, unknown routes, malformed bodies, validation failures, SSE, WebSocket and long-poll."""

import random
import string
import urllib.parse

import pytest
import requests

from relay_client import raw_get, raw_json, ws_close, ws_send, ws_until_type

ALNUM = string.ascii_letters + string.digits


def canary(prefix, n):
    return prefix + "".join(random.choice(ALNUM) for _ in range(n - len(prefix)))


@pytest.mark.parametrize("flags", [[], ["--log-level", "debug"]], ids=["default", "debug"])
def test_output_never_contains_room_ids_ciphertext_nonces_or_ips(relay_factory, flags):
    relay = relay_factory(*flags)
    room = canary("CanaryRoom", 60)
    room2 = canary("CanaryTwo", 40)
    ct = canary("CanaryCipherText", 64)      # 64 base64 chars, no padding: valid
    ct_bad = canary("CanaryBadCipher", 63)   # invalid length: fails validation
    nonce = canary("CanaryNonce", 32)        # 32 chars → 24 bytes: valid
    ip = "198.51.100.77"
    ip2 = "203.0.113.201"
    h = {"X-Forwarded-For": ip}
    good = {"ciphertext": ct, "nonce": nonce, "sender": "canary-sender"}

    s = requests.Session()
    assert s.post(relay.url(f"/api/rooms/{room}/messages"), json=good, headers=h,
                  timeout=5).status_code == 200
    assert s.post(relay.url(f"/api/rooms/{room}/messages"),
                  json={"ciphertext": ct_bad, "nonce": nonce}, headers=h, timeout=5).status_code == 400
    assert s.post(relay.url(f"/api/rooms/{room}/messages"),
                  data=('{"ciphertext": "' + ct + '", "nonce": "' + nonce + '", ').encode(),
                  headers={**h, "Content-Type": "application/json"}, timeout=5).status_code == 400
    s.get(relay.url(f"/api/rooms/{room}/status"), headers=h, timeout=5)
    s.get(relay.url(f"/api/rooms/{room}/transcript?after=0&limit=5"), headers=h, timeout=5)
    s.get(relay.url(f"/api/rooms/{room}/wait?after=0&timeout=1"), headers=h, timeout=5)
    s.get(relay.url(f"/api/rooms/{room2}/wait?timeout=1"), headers=h, timeout=5)
    s.post(relay.url(f"/api/rooms/{room}/listening"), json={"name": "canary-name"}, headers=h,
           timeout=5)
    # §20.12a: case-insensitive routing must not defeat log normalisation
    raw_get(relay.port, f"/API/ROOMS/{room}/STATUS", headers=h)
    raw_get(relay.port, f"/Api/Rooms/{room}/Transcript/", headers=h)
    # unknown routes under /api/rooms and page routes carrying the id
    raw_get(relay.port, f"/api/rooms/{room}/nothing-here", headers=h)
    raw_get(relay.port, f"/room/{room}", headers=h)
    raw_get(relay.port, f"/api/rooms/{room}%2Fx/status", headers=h)
    raw_json(relay.port, "POST", f"/api/rooms/{room}/messages", raw=b"{" + ct.encode(), headers=h)
    # metrics from a non-loopback client (401)
    s.get(relay.url("/metrics"), headers={"X-Forwarded-For": ip2}, timeout=5)
    # streams
    with relay.sse(room, urllib.parse.urlencode({"name": "canary-sse", "after": 0}), ip=ip) as sse:
        sse.read_until_type("ready")
    ws = relay.ws(room, ip=ip)
    try:
        ws_until_type(ws, "ready")
        ws_send(ws, {"type": "hello", "name": "canary-ws"})
        ws_send(ws, good)
        ws_send(ws, "{" + ct)
        ws_until_type(ws, "message")
    finally:
        ws_close(ws)
    # an SSE to a bad id that still contains a canary
    raw_get(relay.port, f"/api/rooms/{room}!/events", headers=h)

    relay.health()
    relay.stop()
    out = relay.output()
    for secret, what in [(room, "room id"), (room2, "room id of a missing room"),
                         (ct, "ciphertext"), (ct_bad, "invalid ciphertext"),
                         (nonce, "nonce"), (ip, "client IP"), (ip2, "client IP")]:
        assert secret not in out, f"relay output contains the {what}"
