"""Client-side identity helpers for the end-to-end tests (IDENTITY.md).

Everything a reference client computes, built independently from the spec with PyNaCl:

* ``Ident``            an identity: Ed25519 signing key (seed) + X25519 box key, public keys in
                       padded standard base64 (§1.3, §1.4); builds T1 (register), T2 (request
                       signature header), T3 (signed DM), T4 (signed room post), T5 (profile).
* ``canonical_json``   §3.2 (Python's json.dumps with sorted keys, no whitespace, raw UTF-8).
* ``seal_dm``/``open_dm``  DM boxes with a fresh ephemeral key per message (§4.1).
* ``verify_room_sig``  end-to-end check of the relayed T4 fields (ROOMS §20.3).
* ``kill9``            SIGKILL a relay we started, by PID (durability tests).

The spec is the only source for these texts; nothing here encodes a particular server.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import random
import signal
import string
import time
import uuid
from typing import Any

import nacl.encoding
import nacl.exceptions
import nacl.public
import nacl.signing
import requests

from relay_client import now_ms, sealed, xff

HANDLE_RE_TEXT = "^[a-z0-9][a-z0-9_-]{1,31}$"
REGEX_400 = f"invalid handle (regex: {HANDLE_RE_TEXT})"
KEYS_REQUIRED_400 = "box_pub and sign_pub required (base64 32-byte keys)"
KEYS_CANON_400 = "box_pub and sign_pub must be strict canonical base64 of 32 bytes"
SIG_REQUIRED_400 = ('register_sig (base64 Ed25519) and register_ts (ms) required \u2014 sign '
                    '"register <handle> <register_ts> <box_pub> <sign_pub>" with sign_sk')
SIG_CANON_400 = "register_sig must be strict canonical base64 of 64 bytes"
BAD_REGISTER_SIG_401 = ('bad register_sig \u2014 does not verify against sign_pub '
                        '(sign "register <handle> <ts> <box_pub> <sign_pub>")')
BAD_AUTH = {"error": "bad or missing signature"}
BAD_SENDER_SIG = {"error": "bad sender_sig"}
LOCKED_403 = "signed_only: this room requires sender_sig from a registered @handle"
PROFILE_TTL_MS = 7 * 24 * 3600 * 1000

RESERVED = ["anon", "admin", "bot2bot", "system", "root", "support", "help", "demo", "echo"]

SERVED_PROFILE_EXTRA = {"box_pub", "sign_pub", "profile_sig", "last_seen_at"}
PROFILE_KEYS = {"schema", "handle", "display_name", "framework", "framework_version", "summary",
                "capabilities", "topics", "languages", "contact_policy", "homepage_url",
                "updated_at", "expires_at"}
ENVELOPE_KEYS = {"seq", "id", "ciphertext", "nonce", "sender_eph_pub", "from_handle",
                 "from_verified", "ts"}


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def b64u_nopad(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def canonical_json(v: Any) -> str:
    return json.dumps(v, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def nonce_token() -> str:
    """The request/room-signature nonce reference clients send: base64url of 18 bytes (24 chars)."""
    return b64u_nopad(os.urandom(18))


_HANDLE_ALPHABET = string.ascii_lowercase + string.digits


def rand_handle(prefix: str = "e2e") -> str:
    """A fresh valid handle (§1.2), at most 32 characters."""
    body = "".join(random.choice(_HANDLE_ALPHABET) for _ in range(12))
    return (prefix + "-" + body)[:32]


def rand_token(prefix: str = "t") -> str:
    """A directory tag/framework token that survives token() unchanged ([a-z0-9-])."""
    return (prefix + "-" + "".join(random.choice(_HANDLE_ALPHABET) for _ in range(10)))[:32]


# ---------------------------------------------------------------------------------------
# Signing texts (§1.5)
# ---------------------------------------------------------------------------------------


def t1(handle: str, ts: int, box_pub: str, sign_pub: str) -> str:
    return f"register {handle} {ts} {box_pub} {sign_pub}"


def t2(method: str, target: str, ts: int, nonce: str) -> str:
    return f"{method.upper()} {target} {ts} {nonce}"


def env_hash(ciphertext: str, nonce: str, sender_eph_pub: str) -> str:
    return sha256_hex(f"{ciphertext}|{nonce}|{sender_eph_pub}")


def t3(to_handle: str, from_handle: str, from_ts: int, ehash: str) -> str:
    return f"dm {to_handle} {from_handle} {from_ts} {ehash}"


def t4(room: str, sender_ts: int, sender_nonce: str, ciphertext: str) -> str:
    return f"room-msg {room} {sender_ts} {sender_nonce} {sha256_hex(ciphertext)}"


def t5(handle: str, updated_at: int, profile: dict) -> str:
    return f"bot2bot-agent-profile-v1\n{handle}\n{updated_at}\n{sha256_hex(canonical_json(profile))}"


# ---------------------------------------------------------------------------------------
# Identities
# ---------------------------------------------------------------------------------------


class Ident:
    def __init__(self, handle: str | None = None, sign_seed: bytes | None = None,
                 box_sk: bytes | None = None):
        self.handle = handle or rand_handle()
        self.sign_sk = nacl.signing.SigningKey(sign_seed or os.urandom(32))
        self.box_sk = nacl.public.PrivateKey(box_sk or os.urandom(32))

    @property
    def sign_pub(self) -> str:
        return b64(bytes(self.sign_sk.verify_key))

    @property
    def box_pub(self) -> str:
        return b64(bytes(self.box_sk.public_key))

    def sign(self, text: str) -> str:
        return b64(self.sign_sk.sign(text.encode("utf-8")).signature)

    # T1 ---------------------------------------------------------------------------------
    def register_body(self, ts: int | None = None, meta: Any = None, box_pub: str | None = None,
                      handle: str | None = None, with_meta: bool = True) -> dict:
        h = handle if handle is not None else self.handle
        ts = now_ms() if ts is None else ts
        bp = box_pub if box_pub is not None else self.box_pub
        body = {"handle": h, "box_pub": bp, "sign_pub": self.sign_pub, "register_ts": ts,
                "register_sig": self.sign(t1(h, ts, bp, self.sign_pub))}
        if with_meta and meta is not None:
            body["meta"] = meta
        return body

    # T2 ---------------------------------------------------------------------------------
    def auth(self, method: str, target: str, ts: int | None = None,
             nonce: str | None = None) -> dict:
        ts = now_ms() if ts is None else ts
        nonce = nonce or nonce_token()
        sig = self.sign(t2(method, target, ts, nonce))
        return {"Authorization": f"Bot2Bot ts={ts},n={nonce},sig={sig}"}

    # T4 ---------------------------------------------------------------------------------
    def room_fields(self, room: str, ciphertext: str, ts: int | None = None,
                    nonce: str | None = None) -> dict:
        ts = now_ms() if ts is None else ts
        nonce = nonce or nonce_token()
        return {"sender_handle": self.handle, "sender_ts": ts, "sender_nonce": nonce,
                "sender_sig": self.sign(t4(room, ts, nonce, ciphertext))}

    def signed_post_body(self, room: str, text: str = "hi", **extra) -> dict:
        body = sealed(text)
        body["sender"] = extra.pop("sender", "label-" + self.handle[:8])
        body.update(self.room_fields(room, body["ciphertext"]))
        body.update(extra)
        return body

    # T3 ---------------------------------------------------------------------------------
    def dm_body_to(self, recipient: "Ident | str", recipient_box_pub: str | None = None,
                   text: str = "hello", from_ts: int | None = None) -> dict:
        """A DM signed by self (T3)."""
        to_handle = recipient if isinstance(recipient, str) else recipient.handle
        bp = recipient_box_pub or recipient.box_pub  # type: ignore[union-attr]
        body = seal_dm(bp, text)
        from_ts = now_ms() if from_ts is None else from_ts
        ehash = env_hash(body["ciphertext"], body["nonce"], body["sender_eph_pub"])
        body.update({"from_handle": self.handle, "from_ts": from_ts,
                     "from_sig": self.sign(t3(to_handle, self.handle, from_ts, ehash))})
        return body

    # T5 ---------------------------------------------------------------------------------
    def profile(self, **over) -> dict:
        now = now_ms()
        p = {
            "schema": "bot2bot.agent_profile.v1", "handle": self.handle,
            "display_name": "Agent " + self.handle[:20], "framework": "openclaw",
            "framework_version": "1.2", "summary": "Finds Python market-data peers.",
            "capabilities": ["python", "market-data"], "topics": ["trading"],
            "languages": ["en"], "contact_policy": "signed_dm_first",
            "homepage_url": "https://example.com/", "updated_at": now,
            "expires_at": now + PROFILE_TTL_MS,
        }
        p.update(over)
        return p

    def profile_body(self, profile: dict | None = None, sign_as: dict | None = None,
                     **over) -> dict:
        """{"profile","profile_sig"}; `sign_as` signs a different object than the one sent."""
        p = profile if profile is not None else self.profile(**over)
        signed = sign_as if sign_as is not None else p
        sig = self.sign(t5(self.handle, int(signed["updated_at"]), signed))
        return {"profile": p, "profile_sig": sig}


def verify(sign_pub_b64: str, text: str, sig_b64: str) -> bool:
    try:
        vk = nacl.signing.VerifyKey(base64.b64decode(sign_pub_b64, validate=True))
        vk.verify(text.encode("utf-8"), base64.b64decode(sig_b64, validate=True))
        return True
    except (nacl.exceptions.BadSignatureError, ValueError, TypeError):
        return False


def verify_room_sig(msg: dict, room: str, sign_pub: str) -> bool:
    """Check a relayed signed room message end to end (ROOMS §20.3)."""
    for k in ("sender_sig", "sender_ts", "sender_nonce"):
        if k not in msg:
            return False
    ts = int(msg["sender_ts"])
    return verify(sign_pub, t4(room, ts, msg["sender_nonce"], msg["ciphertext"]),
                  msg["sender_sig"])


def verify_profile(served: dict) -> bool:
    """§3.4: strip the unsigned keys, canonicalise, verify T5 with the served sign_pub."""
    p = {k: v for k, v in served.items() if k not in SERVED_PROFILE_EXTRA | {"match_score"}}
    return verify(served["sign_pub"], t5(p["handle"], p["updated_at"], p), served["profile_sig"])


# ---------------------------------------------------------------------------------------
# DMs (§4.1)
# ---------------------------------------------------------------------------------------


def seal_dm(recipient_box_pub: str, text: str) -> dict:
    eph = nacl.public.PrivateKey.generate()
    pk = nacl.public.PublicKey(base64.b64decode(recipient_box_pub, validate=True))
    nonce = os.urandom(24)
    ct = nacl.public.Box(eph, pk).encrypt(text.encode("utf-8"), nonce).ciphertext
    return {"ciphertext": b64(ct), "nonce": b64(nonce), "sender_eph_pub": b64(bytes(eph.public_key))}


def open_dm(ident: Ident, env: dict) -> str:
    box = nacl.public.Box(ident.box_sk, nacl.public.PublicKey(
        base64.b64decode(env["sender_eph_pub"], validate=True)))
    return box.decrypt(base64.b64decode(env["ciphertext"], validate=True),
                       base64.b64decode(env["nonce"], validate=True)).decode("utf-8")


# ---------------------------------------------------------------------------------------
# HTTP wrappers
# ---------------------------------------------------------------------------------------


def register(relay, ident: Ident, ip: str | None = None, session=None, headers=None,
             **kw) -> requests.Response:
    body = kw.pop("body") if "body" in kw else ident.register_body(**kw)
    return relay.post("/api/identity/register", body, ip=ip, session=session,
                      headers=headers or {})


def register_ok(relay, ident: Ident, ip: str | None = None, session=None, **kw) -> dict:
    r = register(relay, ident, ip=ip, session=session, **kw)
    assert r.status_code == 201, f"register {ident.handle} -> {r.status_code} {r.text[:300]}"
    j = r.json()
    assert j["ok"] is True and j["handle"] == ident.handle and type(j["registered_at"]) is int, j
    return j


def new_ident(relay, prefix: str = "e2e", ip: str | None = None, **kw) -> Ident:
    ident = Ident(rand_handle(prefix))
    register_ok(relay, ident, ip=ip, **kw)
    return ident


def signed(relay, ident: Ident, method: str, target: str, body: Any = None,
           ip: str | None = None, timeout: float = 15, session=None, auth_as: Ident | None = None,
           headers: dict | None = None, **auth_kw) -> requests.Response:
    """A request carrying `Authorization: Bot2Bot …` over the raw target as sent (§1.10).
    Targets used with this helper contain no characters `requests` would re-quote."""
    signer = auth_as or ident
    hdrs = {**xff(ip), **signer.auth(method, target, **auth_kw), **(headers or {})}
    s = session or requests
    kw: dict = {"headers": hdrs, "timeout": timeout}
    if body is not None:
        hdrs["Content-Type"] = "application/json"
        kw["data"] = json.dumps(body)
    return s.request(method, relay.url(target), **kw)


def inbox_wait(relay, ident: Ident, after: int = 0, timeout: int = 1, ip: str | None = None,
               session=None) -> requests.Response:
    target = f"/api/dm/{ident.handle}/inbox/wait?after={after}&timeout={timeout}"
    return signed(relay, ident, "GET", target, ip=ip, session=session, timeout=timeout + 15)


def inbox_all(relay, ident: Ident, ip: str | None = None, session=None) -> list:
    """Every envelope currently in the inbox (pages of 50, §4.4)."""
    out, after = [], 0
    for _ in range(20):
        r = inbox_wait(relay, ident, after=after, timeout=1, ip=ip, session=session)
        assert r.status_code == 200, r.text
        j = r.json()
        if not j["messages"]:
            return out
        out.extend(j["messages"])
        after = max(after, max(m["seq"] for m in j["messages"]))
        if not j.get("has_more"):
            return out
    raise AssertionError("inbox paging did not end")


def claim(relay, ident: Ident, room: str, query: str = "timeout=1", body: dict | None = None,
          ip: str | None = None, session=None, timeout: float = 15) -> requests.Response:
    target = f"/api/rooms/{room}/claim" + (f"?{query}" if query else "")
    b = {"handle": ident.handle} if body is None else body
    return signed(relay, ident, "POST", target, body=b, ip=ip, session=session,
                  timeout=timeout + 100)


def ack(relay, ident: Ident, room: str, claim_id: Any, seq: Any, ip: str | None = None,
        session=None) -> requests.Response:
    return signed(relay, ident, "POST", f"/api/rooms/{room}/ack",
                  body={"handle": ident.handle, "claim_id": claim_id, "seq": seq},
                  ip=ip, session=session)


def put_profile(relay, ident: Ident, body: dict | None = None, ip: str | None = None,
                session=None, path_handle: str | None = None, **over) -> requests.Response:
    h = path_handle or ident.handle
    b = body if body is not None else ident.profile_body(**over)
    s = session or requests
    return s.put(relay.url(f"/api/agents/{h}/profile"), data=json.dumps(b),
                 headers={"Content-Type": "application/json", **xff(ip)}, timeout=15)


def err(r: requests.Response) -> str:
    try:
        return r.json().get("error")
    except ValueError:
        return f"<non-JSON {r.status_code}: {r.text[:100]!r}>"


def assert_json_ct(r: requests.Response) -> None:
    ct = r.headers.get("Content-Type", "")
    assert ct.replace(" ", "").lower() == "application/json;charset=utf-8", ct


def kill9(relay) -> None:
    """SIGKILL a relay we started (by its PID) and reap it."""
    relay.signal(signal.SIGKILL)
    assert relay.wait_exit(10) is not None, "relay did not die on SIGKILL"


def new_uuid() -> str:
    return str(uuid.uuid4())


def wait_until(pred, timeout: float, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v or time.monotonic() >= deadline:
            return v
        time.sleep(interval)


def assert_identities_served(relay, people, registered_at: dict, session=None) -> None:
    """Every one of `people` is served with its keys and its original registered_at."""
    s = session or requests.Session()
    for p in people:
        g = s.get(relay.url(f"/api/identity/{p.handle}"), timeout=10)
        assert g.status_code == 200, (p.handle, g.status_code)
        j = g.json()
        assert (j["box_pub"], j["sign_pub"], j["registered_at"]) == (
            p.box_pub, p.sign_pub, registered_at[p.handle]), j
