"""Claiming a @handle (IDENTITY.md §2.2–§2.4, §1.2, §1.3): 201 for new and owner
re-registration, 409 for taken/reserved handles, the exact 400/401 texts, the operator token
(--admin-token and IDENTITY_ADMIN_TOKEN), our W3 fix (an owner re-registration with a new box_pub
replaces it) and the W22 fix (a room named `register` has its own rate-limit bucket)."""

import base64
import json
import os

import pytest

from identity_client import (BAD_REGISTER_SIG_401, KEYS_CANON_400, KEYS_REQUIRED_400, REGEX_400,
                             RESERVED, SIG_CANON_400, SIG_REQUIRED_400, Ident, assert_json_ct,
                             b64, err, rand_handle, register, register_ok, t1)
from relay_client import message_body, new_ip, now_ms, rand_room

ADMIN = "op-token-" + os.urandom(6).hex()
RELAY_FLAGS = ["--admin-token", ADMIN]


def get_identity(relay, h):
    return relay.get(f"/api/identity/{h}")


def test_new_registration_is_201_and_public_keys_are_served(relay, ip):
    a = Ident(rand_handle("reg"))
    t0 = now_ms()
    r = register(relay, a, ip=ip, meta={"bio": "Finds market-data peers"})
    assert r.status_code == 201, r.text
    assert_json_ct(r)
    j = r.json()
    assert j == {"ok": True, "handle": a.handle, "registered_at": j["registered_at"]}
    assert t0 - 1000 <= j["registered_at"] <= now_ms() + 1000
    g = get_identity(relay, a.handle)
    assert g.status_code == 200
    assert_json_ct(g)
    assert g.json() == {"handle": a.handle, "box_pub": a.box_pub, "sign_pub": a.sign_pub,
                        "registered_at": j["registered_at"],
                        "meta": {"bio": "Finds market-data peers"}}


def test_meta_forms(relay, ip):
    none, empty, long_bio = (Ident(rand_handle(p)) for p in ("mn", "me", "ml"))
    register_ok(relay, none, ip=ip)
    register_ok(relay, empty, ip=ip, meta={})
    register_ok(relay, long_bio, ip=ip, meta={"bio": "x" * 400, "other": 1})
    assert get_identity(relay, none.handle).json()["meta"] == {}
    assert get_identity(relay, empty.handle).json()["meta"] == {"bio": ""}
    assert get_identity(relay, long_bio.handle).json()["meta"] == {"bio": "x" * 280}


def test_lookup_normalises_and_unknown_is_404(relay, ip):
    a = Ident(rand_handle("look"))
    register_ok(relay, a, ip=ip)
    for path in (f"%40{a.handle}", f"@{a.handle.upper()}", a.handle.upper()):
        g = get_identity(relay, path)
        assert g.status_code == 200, path
        assert g.json()["handle"] == a.handle
    for path in ("nobody-" + os.urandom(4).hex(), "Not!A!Handle", "x"):
        g = get_identity(relay, path)
        assert g.status_code == 404, (path, g.status_code)
        assert g.json() == {"error": "no such handle"} or g.json()["error"] == "no such handle"


def test_owner_reregistration_is_201_with_original_registered_at(relay, ip):
    a = Ident(rand_handle("own"))
    first = register_ok(relay, a, ip=ip)
    again = register_ok(relay, a, ip=ip, meta={"bio": "ignored"})
    assert again["registered_at"] == first["registered_at"]
    assert get_identity(relay, a.handle).json()["meta"] == {}


def test_replayed_registration_body_is_409_handle_taken(relay, ip):
    a = Ident(rand_handle("rpl"))
    body = a.register_body()
    assert register(relay, a, ip=ip, body=body).status_code == 201
    r = register(relay, a, ip=ip, body=body)
    assert r.status_code == 409 and err(r) == "handle taken", r.text


def test_other_key_on_taken_handle_is_409(relay, ip):
    a = Ident(rand_handle("tkn"))
    register_ok(relay, a, ip=ip)
    thief = Ident(a.handle)
    r = register(relay, thief, ip=ip)
    assert r.status_code == 409 and err(r) == "handle taken", r.text
    # keeping the victim's sign_pub but signing with another key also fails the owner proof
    body = thief.register_body()
    body["sign_pub"] = a.sign_pub
    r = register(relay, a, ip=ip, body=body)
    assert r.status_code == 409 and err(r) == "handle taken", r.text
    # a stale timestamp from the real owner fails the proof too
    r = register(relay, a, ip=ip, ts=now_ms() - 120_000)
    assert r.status_code == 409 and err(r) == "handle taken", r.text
    assert get_identity(relay, a.handle).json()["sign_pub"] == a.sign_pub


def test_owner_reregistration_with_new_box_pub_replaces_it(relay, ip):
    """W3 fix: the signature covers the new box_pub, so the server stores it."""
    a = Ident(rand_handle("rot"))
    first = register_ok(relay, a, ip=ip)
    new_box = Ident().box_pub
    r = register(relay, a, ip=ip, box_pub=new_box)
    assert r.status_code == 201, r.text
    assert r.json()["registered_at"] == first["registered_at"]
    g = get_identity(relay, a.handle).json()
    assert g["box_pub"] == new_box and g["sign_pub"] == a.sign_pub


@pytest.mark.parametrize("handle", ["Alice", "a", "-abc", "_abc", "a" * 33, "ab c", "@alice",
                                    "al.ice", "", ["zz"], 12, None])
def test_bad_handle_is_400_with_regex_text(relay, ip, handle):
    a = Ident()
    body = a.register_body(handle=handle if isinstance(handle, str) else "zz")
    body["handle"] = handle
    r = register(relay, a, ip=ip, body=body)
    assert r.status_code == 400, (handle, r.text)
    assert err(r) == REGEX_400


def test_reserved_handles_need_the_operator_token(relay, ip):
    for h in RESERVED:
        r = register(relay, Ident(h), ip=ip)
        assert r.status_code == 409 and err(r) == "handle reserved", (h, r.text)
        r = register(relay, Ident(h), ip=ip, headers={"Authorization": "Bearer wrong-token"})
        assert r.status_code == 409 and err(r) == "handle reserved", (h, r.text)
    assert get_identity(relay, "admin").status_code == 404


def test_operator_token_as_bearer_or_bare(relay, ip):
    # Reserved handles are global; this module's relay is the only one that registers them.
    r = register(relay, Ident("demo"), ip=ip, headers={"Authorization": f"Bearer {ADMIN}"})
    assert r.status_code == 201, r.text
    r = register(relay, Ident("echo"), ip=ip, headers={"Authorization": f"bearer   {ADMIN}"})
    assert r.status_code == 201, r.text
    r = register(relay, Ident("support"), ip=ip, headers={"Authorization": ADMIN})
    assert r.status_code == 201, r.text
    assert get_identity(relay, "demo").status_code == 200
    # once taken, a reserved handle behaves like any other (owner proof, else 409)
    r = register(relay, Ident("demo"), ip=ip, headers={"Authorization": f"Bearer {ADMIN}"})
    assert r.status_code == 409 and err(r) == "handle taken", r.text


def test_operator_token_from_environment(relay_factory):
    token = "env-op-" + os.urandom(6).hex()
    relay = relay_factory(env={"IDENTITY_ADMIN_TOKEN": token})
    r = register(relay, Ident("bot2bot"), ip=new_ip())
    assert r.status_code == 409 and err(r) == "handle reserved"
    r = register(relay, Ident("bot2bot"), ip=new_ip(), headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 201, r.text


def test_no_operator_without_a_configured_token(relay_factory):
    relay = relay_factory()
    for auth in ("Bearer ", "", "Bearer undefined"):
        r = register(relay, Ident("root"), ip=new_ip(), headers={"Authorization": auth})
        assert r.status_code == 409 and err(r) == "handle reserved", (auth, r.text)


def _keys_body(a, **over):
    body = a.register_body()
    body.update(over)
    return body


def test_key_field_errors(relay, ip):
    a = Ident(rand_handle("key"))
    k31 = b64(os.urandom(31))
    unpadded = a.box_pub.rstrip("=")
    urlsafe_unpadded = base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("=")
    bad_bits = a.box_pub[:42] + "B="  # non-zero unused bits in the last character
    cases = [
        ({"box_pub": None}, KEYS_REQUIRED_400),
        ({"sign_pub": 12345}, KEYS_REQUIRED_400),
        ({"box_pub": ["x"]}, KEYS_REQUIRED_400),
        ({"box_pub": k31}, KEYS_CANON_400),
        ({"box_pub": unpadded}, KEYS_CANON_400),
        ({"sign_pub": urlsafe_unpadded}, KEYS_CANON_400),
        ({"box_pub": " " + a.box_pub}, KEYS_CANON_400),
        ({"box_pub": ""}, KEYS_CANON_400),
        ({"box_pub": b64(os.urandom(33))}, KEYS_CANON_400),
    ]
    if bad_bits != a.box_pub:
        cases.append(({"box_pub": bad_bits}, KEYS_CANON_400))
    for over, text in cases:
        body = _keys_body(a, **over)
        for k, v in over.items():
            if v is None:
                del body[k]
        r = register(relay, a, ip=ip, body=body)
        assert r.status_code == 400, (over, r.text)
        assert err(r) == text, (over, r.text)
    assert get_identity(relay, a.handle).status_code == 404


def test_signature_field_errors(relay, ip):
    a = Ident(rand_handle("sig"))
    cases = [
        ({"register_sig": None}, 400, SIG_REQUIRED_400),
        ({"register_ts": None}, 400, SIG_REQUIRED_400),
        ({"register_ts": str(now_ms())}, 400, SIG_REQUIRED_400),
        ({"register_sig": 5}, 400, SIG_REQUIRED_400),
        ({"register_sig": "abc"}, 400, SIG_CANON_400),
        ({"register_sig": b64(os.urandom(63))}, 400, SIG_CANON_400),
        ({"register_ts": now_ms() - 61_000}, 400, "register_ts skew too large"),
        ({"register_ts": now_ms() + 61_000}, 400, "register_ts skew too large"),
    ]
    for over, code, text in cases:
        body = a.register_body()
        for k, v in over.items():
            if v is None:
                del body[k]
            else:
                body[k] = v
        r = register(relay, a, ip=ip, body=body)
        assert (r.status_code, err(r)) == (code, text), over
    # a well-formed signature over the wrong text
    body = a.register_body()
    body["register_sig"] = a.sign(t1(a.handle, body["register_ts"] + 1, a.box_pub, a.sign_pub))
    r = register(relay, a, ip=ip, body=body)
    assert (r.status_code, err(r)) == (401, BAD_REGISTER_SIG_401)
    # signed by a key other than sign_pub
    body = a.register_body()
    body["register_sig"] = Ident().sign(t1(a.handle, body["register_ts"], a.box_pub, a.sign_pub))
    r = register(relay, a, ip=ip, body=body)
    assert (r.status_code, err(r)) == (401, BAD_REGISTER_SIG_401)
    assert get_identity(relay, a.handle).status_code == 404
    register_ok(relay, a, ip=ip)


def test_register_sig_cannot_be_reused_for_another_handle(relay, ip):
    a = Ident(rand_handle("use"))
    body = a.register_body()
    assert register(relay, a, ip=ip, body=body).status_code == 201
    other = dict(body, handle=rand_handle("use2"))
    r = register(relay, a, ip=ip, body=other)
    assert r.status_code == 401, r.text
    # §2.2 step 12 answers "register_sig already used"; a server keying the cache on the signed
    # text (W15) reaches step 13 instead. Both are 401 and neither creates the handle.
    assert err(r) in ("register_sig already used", BAD_REGISTER_SIG_401)
    assert get_identity(relay, other["handle"]).status_code == 404


def test_error_precedence(relay, ip):
    a = Ident()
    # regex beats everything else
    r = register(relay, a, ip=ip, body={"handle": "A", "box_pub": 1})
    assert (r.status_code, err(r)) == (400, REGEX_400)
    # reserved beats key errors
    r = register(relay, a, ip=ip, body={"handle": "admin"})
    assert (r.status_code, err(r)) == (409, "handle reserved")
    # key errors beat signature errors
    r = register(relay, a, ip=ip, body={"handle": rand_handle(), "box_pub": "x", "sign_pub": "y"})
    assert (r.status_code, err(r)) == (400, KEYS_CANON_400)


def test_malformed_json_bodies_are_400_never_5xx(relay, ip):
    for raw in (b"{", b"{\"handle\": }", b"\xff\xfe", b"[1,2", b"null x"):
        r = relay.post("/api/identity/register", raw=raw, ip=ip)
        assert r.status_code == 400, (raw, r.status_code, r.text[:200])
    # a top-level array reaches the handler, which finds no handle
    r = relay.post("/api/identity/register", raw=b"[]", ip=ip)
    assert (r.status_code, err(r)) == (400, REGEX_400)
    # no JSON content type: the body is not parsed
    a = Ident(rand_handle("ct"))
    r = relay.post("/api/identity/register", raw=json.dumps(a.register_body()), ip=ip,
                   content_type="text/plain")
    assert (r.status_code, err(r)) == (400, REGEX_400)
    r = relay.post("/api/identity/register", raw=b"x" * 200_000, ip=ip)
    assert r.status_code == 413


def test_register_rate_limit_and_room_named_register_have_separate_buckets(relay_factory):
    relay = relay_factory("--room-rate-burst", "3", "--room-rate-per-sec", "0.01")
    ip = new_ip()
    for _ in range(3):
        assert relay.post_msg("register", message_body("x"), ip=ip).status_code == 200
    assert relay.post_msg("register", message_body("x"), ip=ip).status_code == 429
    # the room named `register` does not share its bucket with registration (W22)
    for i in range(3):
        register_ok(relay, Ident(rand_handle(f"ns{i}")), ip=ip)
    r = register(relay, Ident(rand_handle("ns4")), ip=ip)
    assert r.status_code == 429 and err(r) == "rate limited", r.text
    assert r.headers.get("Retry-After") == "5"
    # and a limited registration bucket leaves other rooms and other IPs alone
    assert relay.post_msg(rand_room(), message_body("y"), ip=ip).status_code == 200
    register_ok(relay, Ident(rand_handle("ns5")), ip=new_ip())


def test_identity_cap_answers_503_when_nobody_is_inactive(relay_factory):
    # §2.5: at the cap only identities inactive for the GC horizon (≥ 7 days) may be collected;
    # fresh ones never are, so the next new handle is refused with 503 and Retry-After.
    relay = relay_factory("--identities-max", "2")
    first, second = Ident(rand_handle("cap")), Ident(rand_handle("cap"))
    register_ok(relay, first, ip=new_ip())
    register_ok(relay, second, ip=new_ip())
    r = register(relay, Ident(rand_handle("cap")), ip=new_ip())
    assert r.status_code == 503, r.text
    assert r.json()["error"] == "identity cap reached"
    assert r.headers.get("Retry-After") == "3600"
    # the owner of an existing handle may still refresh it at the cap
    assert register(relay, first, ip=new_ip()).status_code == 201
    assert relay.get(f"/api/identity/{second.handle}").status_code == 200
