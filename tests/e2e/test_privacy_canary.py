"""Issue 8 §7, the privacy canary: every endpoint is driven with distinctive random strings —
room ids, sender labels, presence names and keys, room ciphertexts and nonces, handles, DM
ciphertexts, profile text, webhook traffic, reports and contact messages — then the relay's
whole output (at --log-level trace and at info) and every file under --data-dir (bytes, while
it runs, so the SQLite WAL is included, and again after it stopped) are searched for them.

What may be where (IDENTITY.md §2.1/§2.5/§3/§4, ROOMS.md §12.4, §14):
* nowhere, ever: room ids, room ciphertexts and nonces (as sent and decoded), sender labels,
  presence names and presence box keys, room signatures (sender_sig) and their nonces,
  request signatures (Authorization) and their nonces, register signatures;
* on disk only, never in the log: handles and identity public keys (the identity store),
  directory profiles and their signature (served after a restart), DM envelopes (sealed to
  the recipient's key; kept until read) with their from_sig, and bug-report text (the one
  documented place user text is written); a contact message is kept nowhere.
"""

import base64
import os
import random
import string
import time
import urllib.parse

import pytest
import requests

from identity_client import (Ident, ack, claim, env_hash, inbox_all, put_profile, register_ok,
                             signed, t3)
from relay_client import raw_get, ws_close, ws_send, ws_until_type
from webhook_receiver import Receiver

ALNUM = string.ascii_letters + string.digits
LOWER = string.ascii_lowercase + string.digits


def canary(prefix: str, n: int, alphabet: str = ALNUM) -> str:
    return prefix + "".join(random.choice(alphabet) for _ in range(n - len(prefix)))


class RecordingIdent(Ident):
    """An identity that remembers every signature it made, by signing text (§1.5)."""

    def __init__(self, handle: str):
        super().__init__(handle)
        self.sigs: dict[str, list[str]] = {}

    def sign(self, text: str) -> str:
        sig = super().sign(text)
        kind = text.split(" ", 1)[0].split("\n", 1)[0]  # register, dm, room-msg, METHOD, profile
        self.sigs.setdefault(kind, []).append(sig)
        return sig


class Canaries:
    """Every distinctive string one run sends, filed by where it may appear."""

    def __init__(self):
        self.nowhere: dict[str, str] = {}   # value -> what it is
        self.disk_only: dict[str, str] = {}

    def never(self, value: str, what: str) -> str:
        self.nowhere[value] = what
        return value

    def disk(self, value: str, what: str) -> str:
        self.disk_only[value] = what
        return value


def room_ciphertext(c: Canaries, what: str) -> dict:
    ct = c.never(canary("CanaryRoomCt", 64), what + " ciphertext")  # 48 bytes of base64
    nonce = c.never(canary("CanaryNonce", 32), what + " nonce")      # 24 bytes
    return {"ciphertext": ct, "nonce": nonce}


def decoded(value: str) -> bytes | None:
    try:
        return base64.b64decode(value + "=" * (-len(value) % 4), altchars=b"-_")
    except ValueError:
        return None


def drive_every_endpoint(relay, c: Canaries) -> None:
    ip = "198.51.100.23"
    h = {"X-Forwarded-For": ip}
    s = requests.Session()
    room = c.never(canary("CanaryRoom", 60), "room id")
    signed_room = c.never(canary("CanarySigned", 40), "signed room id")
    claim_room = c.never(canary("CanaryClaim", 40), "claimed room id")
    hook_room = c.never(canary("CanaryHooked", 40), "webhook room id")
    label = c.never(canary("CanaryLabel", 24), "sender label")

    # Identities (handles and public keys are stored; never logged).
    people = [RecordingIdent(canary("canaryh", 24, LOWER)) for _ in range(4)]
    alice, bob, carol, dave = people
    for p in people:
        c.disk(p.handle, "handle")
        c.disk(p.box_pub, "identity box_pub")
        c.disk(p.sign_pub, "identity sign_pub")
        bio = c.disk(canary("CanaryBio", 30), "bio")
        register_ok(relay, p, ip=ip, session=s, meta={"bio": bio})
        got = s.get(relay.url(f"/api/identity/{p.handle}"), headers=h, timeout=5)
        assert got.status_code == 200

    # Rooms: unsigned posts, transcript, status, wait, listening, SSE, WebSocket.
    for i in range(3):
        body = {**room_ciphertext(c, f"room post {i}"), "sender": label}
        assert s.post(relay.url(f"/api/rooms/{room}/messages"), json=body, headers=h,
                      timeout=5).status_code == 200
    s.get(relay.url(f"/api/rooms/{room}/transcript?after=0&limit=5"), headers=h, timeout=5)
    s.get(relay.url(f"/api/rooms/{room}/status"), headers=h, timeout=5)
    s.get(relay.url(f"/api/rooms/{room}/wait?after=0&timeout=1"), headers=h, timeout=5)
    presence_key = c.never(canary("CanaryPresKey", 43), "presence box_pub")
    s.post(relay.url(f"/api/rooms/{room}/listening"),
           json={"name": c.never(canary("CanaryListen", 24), "presence name"),
                 "box_pub": presence_key}, headers=h, timeout=5)
    sse_name = c.never(canary("CanarySse", 24), "SSE name")
    sse_key = c.never(canary("CanarySseKey", 43), "SSE box_pub")
    query = urllib.parse.urlencode({"name": sse_name, "box_pub": sse_key, "after": 0})
    with relay.sse(room, query, ip=ip) as sse:
        sse.read_until_type("ready")
        ws = relay.ws(room, ip=ip)
        try:
            ws_until_type(ws, "ready")
            ws_send(ws, {"type": "hello", "name": c.never(canary("CanaryWsName", 24), "WS name"),
                         "box_pub": c.never(canary("CanaryWsKey", 43), "WS box_pub")})
            ws_send(ws, {**room_ciphertext(c, "WS post"), "sender": label})
            ws_until_type(ws, "message")
        finally:
            ws_close(ws)
        sse.read_until_type("message")
    raw_get(relay.port, f"/API/ROOMS/{room}/STATUS", headers=h)
    raw_get(relay.port, f"/room/{room}", headers=h)

    # Signed room posts (sender_sig, sender_nonce relayed, never stored).
    for i in range(2):
        body = {**room_ciphertext(c, f"signed post {i}"), "sender": label}
        body.update(alice.room_fields(signed_room, body["ciphertext"],
                                      nonce=c.never(canary("CanarySnonce", 24), "sender_nonce")))
        r = s.post(relay.url(f"/api/rooms/{signed_room}/messages"), json=body, headers=h,
                   timeout=5)
        assert r.status_code == 200, r.text

    # Claim / ack (request signatures; the cursor is stored under a keyed hash of the room).
    body = {**room_ciphertext(c, "claimed post"), "sender": label}
    assert s.post(relay.url(f"/api/rooms/{claim_room}/messages"), json=body, headers=h,
                  timeout=5).status_code == 200
    j = claim(relay, bob, claim_room, ip=ip, session=s).json()
    assert "claim_id" in j, j
    a = ack(relay, bob, claim_room, j["claim_id"], j["message"]["seq"], ip=ip, session=s)
    assert a.status_code == 200 and a.json()["advanced"] is True, a.text

    # DMs: envelopes are stored until read (sealed to the recipient), never logged.
    for i in range(2):
        dm = {"ciphertext": c.disk(canary("CanaryDmCt", 64), "DM ciphertext"),
              "nonce": c.disk(canary("CanaryDmNonce", 32), "DM nonce"),
              "sender_eph_pub": carol.box_pub}
        from_ts = int(time.time() * 1000)
        dm.update({"from_handle": bob.handle, "from_ts": from_ts,
                   "from_sig": bob.sign(t3(carol.handle, bob.handle, from_ts,
                                           env_hash(dm["ciphertext"], dm["nonce"],
                                                    dm["sender_eph_pub"])))})
        r = s.post(relay.url(f"/api/dm/{carol.handle}"), json=dm, headers=h, timeout=5)
        assert r.status_code == 200, r.text
    assert len(inbox_all(relay, carol, ip=ip, session=s)) == 2

    # Directory profiles (public, stored with their signature).
    r = put_profile(relay, dave, ip=ip, session=s,
                    display_name=c.disk(canary("CanaryName", 30), "profile display_name"),
                    summary=c.disk(canary("CanarySummary", 40), "profile summary"))
    assert r.status_code == 201, r.text
    s.get(relay.url(f"/api/agents/{dave.handle}"), headers=h, timeout=5)
    s.get(relay.url("/api/agents"), params={"q": dave.handle[:12]}, headers=h, timeout=5)
    s.post(relay.url(f"/api/agents/{dave.handle}/heartbeat"), headers=h, timeout=5)

    # Webhooks: a DM hook (deliveries stored, like the inbox) and a room hook whose receiver
    # fails, so the relay would have every reason to keep room content for a retry.
    with Receiver() as dm_rx, Receiver(default_status=500) as room_rx:
        r = signed(relay, alice, "PUT", f"/api/identity/{alice.handle}/webhook",
                   {"url": dm_rx.url}, ip=ip)
        assert r.status_code == 200, r.text
        dm = {"ciphertext": c.disk(canary("CanaryHookDm", 64), "hooked DM ciphertext"),
              "nonce": c.disk(canary("CanaryHookNon", 32), "hooked DM nonce"),
              "sender_eph_pub": carol.box_pub}
        assert s.post(relay.url(f"/api/dm/{alice.handle}"), json=dm, headers=h,
                      timeout=10).status_code == 200
        assert dm_rx.wait_posts(1, timeout=10)
        target = f"/api/rooms/{hook_room}/webhooks?handle={alice.handle}"
        r = signed(relay, alice, "POST", target, {"url": room_rx.url}, ip=ip)
        assert r.status_code == 200, r.text
        body = {**room_ciphertext(c, "hooked room post"), "sender": label}
        assert s.post(relay.url(f"/api/rooms/{hook_room}/messages"), json=body, headers=h,
                      timeout=5).status_code == 200
        posts = room_rx.wait_posts(1, timeout=10)
        assert posts and body["ciphertext"].encode() in posts[0]["body"]
        time.sleep(0.3)  # let the relay see the 500 and decide about a retry

    # Reports (written to disk by design) and contact (kept nowhere).
    report = c.disk(canary("CanaryReport", 40), "bug report text")
    assert s.post(relay.url("/api/report"), json={"what": report, "severity": "low"}, headers=h,
                  timeout=5).status_code == 200
    assert s.post(relay.url("/api/contact"),
                  json={"message": c.never(canary("CanaryContact", 40), "contact message"),
                        "name": c.never(canary("CanaryPerson", 20), "contact name")},
                  headers=h, timeout=5).status_code == 200

    # Every signature made: register, request (claim/ack/webhooks), room posts never stored;
    # the DM from_sig and the profile signature are stored with what they sign.
    for p in people:
        for kind, sigs in p.sigs.items():
            for sig in sigs:
                if kind in ("dm", "bot2bot-agent-profile-v1"):
                    c.disk(sig, f"{kind} signature")
                else:
                    c.never(sig, f"{kind} signature")


def data_dir_bytes(data_dir: str) -> dict[str, bytes]:
    out = {}
    for root, _dirs, files in os.walk(data_dir):
        for name in files:
            path = os.path.join(root, name)
            with open(path, "rb") as f:
                out[os.path.relpath(path, data_dir)] = f.read()
    return out


def leaks(haystacks: dict[str, bytes], needles: dict[str, str]) -> list[str]:
    found = []
    for value, what in needles.items():
        forms = [value.encode()]
        raw = decoded(value) if "ciphertext" in what or "nonce" in what or "key" in what else None
        if raw and len(raw) >= 16:
            forms.append(raw)
        for where, data in haystacks.items():
            if any(form in data for form in forms):
                found.append(f"{what} in {where}")
    return found


@pytest.mark.parametrize("level", ["trace", "info"])
def test_no_room_content_ids_keys_or_signatures_in_logs_or_on_disk(relay_factory, tmp_path,
                                                                    level):
    data = str(tmp_path)
    relay = relay_factory("--log-level", level, "--webhook-allow-private", data_dir=data)
    c = Canaries()
    drive_every_endpoint(relay, c)
    relay.health()
    running = data_dir_bytes(data)                      # WAL and shm included
    assert any(name.endswith("-wal") for name in running), sorted(running)
    assert relay.stop() == 0
    stopped = data_dir_bytes(data)
    disk = {**{f"{k} (running)": v for k, v in running.items()},
            **{f"{k} (stopped)": v for k, v in stopped.items()}}
    log = {"relay output": relay.output().encode()}

    # The search does find what is supposed to be there: it is a real search.
    everything = b"".join(disk.values())
    for value, what in c.disk_only.items():
        if what in ("handle", "identity box_pub", "identity sign_pub", "bug report text",
                    "DM ciphertext", "profile summary"):
            assert value.encode() in everything, f"{what} not found on disk: search is broken"

    bad = leaks(disk, c.nowhere) + leaks(log, c.nowhere) + leaks(log, c.disk_only)
    assert not bad, "privacy leaks:\n" + "\n".join(sorted(set(bad)))
    print(f"--log-level {level}: searched {len(c.nowhere)} never-anywhere and "
          f"{len(c.disk_only)} disk-only canaries in {len(log['relay output'])} bytes of output "
          f"and {len(disk)} files ({sum(len(v) for v in disk.values())} bytes)")
