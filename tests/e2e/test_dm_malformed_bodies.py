"""Malformed DM bodies (IDENTITY.md §4.2 steps 4–9, §1.1, §1.3): each gets its exact 4xx status
and error text, never a 5xx, nothing reaches the inbox, and the relay keeps serving."""

import base64
import json
import os

import pytest

from identity_client import Ident, b64, inbox_all, rand_handle, register_ok, seal_dm
from relay_client import new_ip, now_ms

REQUIRED = "ciphertext, nonce, sender_eph_pub required (all base64)"
CT_CANON = "ciphertext must be strict canonical base64"
NONCE_CANON = "nonce must be strict canonical base64 of 24 bytes"
EPH_CANON = "sender_eph_pub must be strict canonical base64 of 32 bytes"
FROM_SIG_CANON = "from_sig must be strict canonical base64 of 64 bytes"


@pytest.fixture(scope="module")
def people(relay):
    alice, bob = Ident(rand_handle("mal")), Ident(rand_handle("mbo"))
    register_ok(relay, alice, ip=new_ip())
    register_ok(relay, bob, ip=new_ip())
    return alice, bob


def good(alice):
    return seal_dm(alice.box_pub, "fine")


def with_(alice, **over):
    b = good(alice)
    for k, v in over.items():
        if v is ...:
            del b[k]
        else:
            b[k] = v
    return b


def case_table(alice, bob):
    g = good(alice)
    signed = bob.dm_body_to(alice)
    eph_bits = g["sender_eph_pub"][:42] + ("B=" if g["sender_eph_pub"][42] != "B" else "C=")
    return {
        # (body as raw bytes or a dict, content type) -> (status, error text or None)
        "empty_object": ({}, 400, REQUIRED),
        "missing_ciphertext": (with_(alice, ciphertext=...), 400, REQUIRED),
        "missing_nonce": (with_(alice, nonce=...), 400, REQUIRED),
        "missing_eph": (with_(alice, sender_eph_pub=...), 400, REQUIRED),
        "ciphertext_number": (with_(alice, ciphertext=1234), 400, REQUIRED),
        "nonce_null": (with_(alice, nonce=None), 400, REQUIRED),
        "eph_array": (with_(alice, sender_eph_pub=[g["sender_eph_pub"]]), 400, REQUIRED),
        "ciphertext_empty": (with_(alice, ciphertext=""), 400, CT_CANON),
        "ciphertext_whitespace": (with_(alice, ciphertext=g["ciphertext"][:8] + " " +
                                        g["ciphertext"][8:]), 400, CT_CANON),
        "ciphertext_unpadded": (with_(alice, ciphertext="QUJDRA"), 400, CT_CANON),
        "ciphertext_bad_bits": (with_(alice, ciphertext="QR=="), 400, CT_CANON),
        "ciphertext_bad_alphabet": (with_(alice, ciphertext="QUJD*A=="), 400, CT_CANON),
        "ciphertext_too_large": (with_(alice, ciphertext=b64(os.urandom(131_073))), 400,
                                 "ciphertext too large"),
        "nonce_23_bytes": (with_(alice, nonce=b64(os.urandom(23))), 400, NONCE_CANON),
        "nonce_25_bytes": (with_(alice, nonce=b64(os.urandom(25))), 400, NONCE_CANON),
        "nonce_garbage": (with_(alice, nonce="!!!!"), 400, NONCE_CANON),
        "eph_31_bytes": (with_(alice, sender_eph_pub=b64(os.urandom(31))), 400, EPH_CANON),
        "eph_unpadded": (with_(alice, sender_eph_pub=g["sender_eph_pub"].rstrip("=")), 400,
                         EPH_CANON),
        "eph_bad_bits": (with_(alice, sender_eph_pub=eph_bits), 400, EPH_CANON),
        "from_sig_short": (dict(signed, from_sig=b64(os.urandom(63))), 400, FROM_SIG_CANON),
        "from_sig_unpadded": (dict(signed, from_sig=signed["from_sig"].rstrip("=")), 400,
                              FROM_SIG_CANON),
        "from_ts_future": (dict(signed, from_ts=now_ms() + 3_600_000), 400,
                           "from_ts skew too large"),
        "from_handle_unknown": (dict(signed, from_handle=rand_handle("nobody")), 400,
                                "from_handle not registered"),
        "from_sig_wrong": (dict(signed, from_sig=b64(bytes(64))), 401, "bad from_handle signature"),
        "top_level_array": (b"[]", 400, REQUIRED),
        "not_json_content_type": ((json.dumps(g).encode(), "text/plain"), 400, REQUIRED),
        "truncated_json": (json.dumps(g).encode()[:-3], 400, None),
        "trailing_garbage": (json.dumps(g).encode() + b"}}", 400, None),
        "json_string": (b'"just a string"', 400, None),
        "not_utf8": (b'{"ciphertext":"\xff\xfe"}', 400, None),
        "body_over_192k": (json.dumps(with_(alice, ciphertext=b64(os.urandom(150_000)))).encode(),
                           413, None),
    }


CASE_NAMES = ["empty_object", "missing_ciphertext", "missing_nonce", "missing_eph",
              "ciphertext_number", "nonce_null", "eph_array", "ciphertext_empty",
              "ciphertext_whitespace", "ciphertext_unpadded", "ciphertext_bad_bits",
              "ciphertext_bad_alphabet", "ciphertext_too_large", "nonce_23_bytes",
              "nonce_25_bytes", "nonce_garbage", "eph_31_bytes", "eph_unpadded", "eph_bad_bits",
              "from_sig_short", "from_sig_unpadded", "from_ts_future", "from_handle_unknown",
              "from_sig_wrong", "top_level_array", "not_json_content_type", "truncated_json",
              "trailing_garbage", "json_string", "not_utf8", "body_over_192k"]


@pytest.mark.parametrize("name", CASE_NAMES)
def test_malformed_dm_body(relay, people, name):
    alice, bob = people
    body, status, text = case_table(alice, bob)[name]
    ctype = "application/json"
    if isinstance(body, tuple):
        body, ctype = body
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    r = relay.post(f"/api/dm/{alice.handle}", raw=raw, ip=new_ip(), content_type=ctype)
    assert r.status_code < 500, (name, r.status_code, r.text[:200])
    assert r.status_code == status, (name, r.status_code, r.text[:200])
    if text is not None:
        assert r.json()["error"] == text, (name, r.text[:300])
    if status != 413:
        assert r.headers.get("Content-Type", "").startswith("application/json"), name
    relay.health()


def test_no_malformed_body_reached_the_inbox_and_good_ones_still_work(relay, people):
    alice, bob = people
    assert inbox_all(relay, alice, ip=new_ip()) == []
    r = relay.post(f"/api/dm/{alice.handle}", bob.dm_body_to(alice, text="after the storm"),
                   ip=new_ip())
    assert r.status_code == 200, r.text
    [env] = inbox_all(relay, alice, ip=new_ip())
    assert env["from_handle"] == bob.handle and env["from_verified"] is True


def test_urlsafe_alphabet_with_padding_is_accepted(relay, people):
    """§1.3: canonical means correct padding and zero trailing bits, in either alphabet."""
    alice, _ = people
    g = good(alice)
    g["nonce"] = base64.urlsafe_b64encode(base64.b64decode(g["nonce"])).decode()
    r = relay.post(f"/api/dm/{alice.handle}", g, ip=new_ip())
    assert r.status_code == 200, r.text
    envs = inbox_all(relay, alice, ip=new_ip())
    assert any(e["id"] == r.json()["id"] for e in envs)
