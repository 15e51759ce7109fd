"""POST /api/rooms/{id}/messages: success path, stored record, every validation rule of
ROOMS.md §3/§6.1 with exact statuses, plus our fixes §20.1, §20.16, §20.21, §20.23."""

import base64
import json
import os

import pytest

from relay_client import (UUID4_RE, assert_message_record, b64, message_body, now_ms,
                          rand_room, raw_json, sealed)

GOOD = sealed("hello")
NONCE = GOOD["nonce"]
CT = GOOD["ciphertext"]


def post_raw(relay, room, raw, ip, content_type="application/json"):
    return relay.post(f"/api/rooms/{room}/messages", raw=raw, ip=ip, content_type=content_type)


def last_record(relay, room):
    t = relay.transcript(room, limit=500)
    assert t["messages"], t
    return t["messages"][-1]


def test_post_success_shape_and_record(relay, room, ip):
    before = now_ms()
    body = message_body("hi there", sender="claude-opus")
    r = relay.post_msg(room, body, ip=ip)
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("application/json")
    j = r.json()
    assert j["ok"] is True
    assert UUID4_RE.match(j["id"]), j
    assert type(j["seq"]) is int
    # first seq of a fresh room ~ its creation time in ms (§2.4)
    assert before - 60_000 <= j["seq"] <= now_ms() + 60_000
    assert "_bytes" not in j
    rec = last_record(relay, room)
    assert_message_record(rec)
    assert rec["seq"] == j["seq"] and rec["id"] == j["id"]
    assert rec["sender"] == "claude-opus"
    assert rec["sender_verified"] is False
    assert rec["ciphertext"] == body["ciphertext"] and rec["nonce"] == body["nonce"]
    assert before - 1000 <= rec["ts"] <= now_ms() + 1000
    assert "ttl_ms" not in rec and "reply_to" not in rec


@pytest.mark.parametrize("sender_field", ["absent", None, ""])
def test_default_sender_is_agent(relay, room, ip, sender_field):
    body = dict(GOOD)
    if sender_field != "absent":
        body["sender"] = sender_field
    relay.post_ok(room, body, ip=ip)
    assert last_record(relay, room)["sender"] == "agent"


def test_unknown_fields_are_ignored_and_not_relayed(relay, room, ip):
    body = dict(GOOD, sender="x", type="bogus", extra={"a": 1}, signed_only="true",
                sender_handle="only-handle", _bytes=5)
    relay.post_ok(room, body, ip=ip)
    rec = last_record(relay, room)
    assert_message_record(rec)
    assert rec["type"] == "message"
    for k in ("extra", "signed_only", "sender_handle", "_bytes"):
        assert k not in rec
    assert relay.status(room)["signed_only"] is False


def test_duplicate_bodies_make_two_messages(relay, room, ip):
    body = message_body("same")
    a = relay.post_ok(room, body, ip=ip)
    b = relay.post_ok(room, body, ip=ip)
    assert b["seq"] == a["seq"] + 1 and a["id"] != b["id"]


# --- accepted boundary values (§3, §1.2, §1.5) -------------------------------------------

ACCEPTED = {
    "one_byte_ciphertext": {"ciphertext": "QQ==", "nonce": NONCE},
    "ttl_min": {**GOOD, "ttl_ms": 30000},
    "ttl_max": {**GOOD, "ttl_ms": 31622400000},
    "ttl_fraction": {**GOOD, "ttl_ms": 45000.5},
    "ttl_zero": {**GOOD, "ttl_ms": 0},
    "ttl_null": {**GOOD, "ttl_ms": None},
    "reply_to_8": {**GOOD, "reply_to": "abcd-_12"},
    "reply_to_64": {**GOOD, "reply_to": "r" * 64},
    "reply_to_unknown_uuid": {**GOOD, "reply_to": "5b3c9f0a-1d2e-4f6a-8b7c-112233445566"},
    "reply_to_null": {**GOOD, "reply_to": None},
    "sender_64": {**GOOD, "sender": "s" * 64},
    "sender_32_emoji": {**GOOD, "sender": "\U0001F600" * 32},
    "sender_markup": {**GOOD, "sender": "<b>bot</b> & 'co'"},
    "max_ciphertext_131072_chars": {"ciphertext": b64(os.urandom(98304)), "nonce": NONCE},
}


@pytest.mark.parametrize("name", sorted(ACCEPTED))
def test_accepted_boundaries(relay, room, ip, name):
    body = ACCEPTED[name]
    j = relay.post_ok(room, body, ip=ip)
    rec = last_record(relay, room)
    assert_message_record(rec)
    assert rec["seq"] == j["seq"]
    if "ttl_ms" in body and body["ttl_ms"]:
        assert rec["ttl_ms"] == body["ttl_ms"]
    else:
        assert "ttl_ms" not in rec
    if body.get("reply_to"):
        assert rec["reply_to"] == body["reply_to"]
    else:
        assert "reply_to" not in rec
    if body.get("sender"):
        assert rec["sender"] == body["sender"]


# --- rejected bodies: exact status, spec error text, detail, server still serves -------

def _b64_len(n):
    return b64(os.urandom(n))


MALFORMED = {
    # JSON-level failures (§20.21: JSON 400)
    "truncated_json": b'{"ciphertext": "QQ==", "nonce": ',
    "trailing_garbage": json.dumps(GOOD).encode() + b"}}",
    "json_null": b"null",
    "json_string": b'"x"',
    "json_number": b"42",
    "empty_body": b"",
    "not_utf8": b'{"ciphertext": "\xff\xfe", "nonce": "x"}',
    # §3 validation → bad message
    "json_array": b"[]",
    "array_of_message": json.dumps([GOOD]).encode(),
    "empty_object": b"{}",
    "sender_only": json.dumps({"sender": "x"}).encode(),
    "missing_nonce": json.dumps({"ciphertext": CT}).encode(),
    "missing_ciphertext": json.dumps({"nonce": NONCE}).encode(),
    "ciphertext_number": json.dumps({"ciphertext": 12345, "nonce": NONCE}).encode(),
    "ciphertext_empty": json.dumps({"ciphertext": "", "nonce": NONCE}).encode(),
    "ciphertext_unpadded": json.dumps({"ciphertext": "QQ", "nonce": NONCE}).encode(),
    "ciphertext_bad_chars": json.dumps({"ciphertext": "QQ!=", "nonce": NONCE}).encode(),
    "ciphertext_nonzero_trailing_bits": json.dumps({"ciphertext": "QR==", "nonce": NONCE}).encode(),
    "ciphertext_inner_padding": json.dumps({"ciphertext": "QQ==QQ==", "nonce": NONCE}).encode(),
    "ciphertext_whitespace": json.dumps({"ciphertext": "QUJD REVG", "nonce": NONCE}).encode(),
    "ciphertext_too_long": json.dumps({"ciphertext": _b64_len(98307), "nonce": NONCE}).encode(),
    "nonce_23_bytes": json.dumps({"ciphertext": CT, "nonce": _b64_len(23)}).encode(),
    "nonce_25_bytes": json.dumps({"ciphertext": CT, "nonce": _b64_len(25)}).encode(),
    "nonce_number": json.dumps({"ciphertext": CT, "nonce": 7}).encode(),
    "nonce_empty": json.dumps({"ciphertext": CT, "nonce": ""}).encode(),
    "nonce_extra_padding": json.dumps({"ciphertext": CT, "nonce": NONCE + "=="}).encode(),
    "sender_65": json.dumps({**GOOD, "sender": "s" * 65}).encode(),
    "sender_500": json.dumps({**GOOD, "sender": "s" * 500}).encode(),
    "sender_33_emoji": json.dumps({**GOOD, "sender": "\U0001F600" * 33}).encode(),
    "sender_number": json.dumps({**GOOD, "sender": 123}).encode(),
    "sender_object": json.dumps({**GOOD, "sender": {"a": 1}}).encode(),
    "sender_bell_control": json.dumps({**GOOD, "sender": "bot\u0007"}).encode(),
    "sender_nul": json.dumps({**GOOD, "sender": "a\u0000b"}).encode(),
    "sender_newline": json.dumps({**GOOD, "sender": "line\nbreak"}).encode(),
    "sender_del": json.dumps({**GOOD, "sender": "del\u007f"}).encode(),
    "sender_c1_control": json.dumps({**GOOD, "sender": "c1\u0085"}).encode(),
    "sender_bidi_override": json.dumps({**GOOD, "sender": "evil\u202etxt.exe"}).encode(),
    "sender_bidi_isolate": json.dumps({**GOOD, "sender": "x\u2066y"}).encode(),
    "sender_rlm": json.dumps({**GOOD, "sender": "x\u200fy"}).encode(),
    "reply_to_empty": json.dumps({**GOOD, "reply_to": ""}).encode(),
    "reply_to_short": json.dumps({**GOOD, "reply_to": "ab"}).encode(),
    "reply_to_7": json.dumps({**GOOD, "reply_to": "abcdefg"}).encode(),
    "reply_to_number": json.dumps({**GOOD, "reply_to": 12345}).encode(),
    "reply_to_128": json.dumps({**GOOD, "reply_to": "r" * 128}).encode(),
    "reply_to_spaces": json.dumps({**GOOD, "reply_to": "no spaces $$$"}).encode(),
    "ttl_5000": json.dumps({**GOOD, "ttl_ms": 5000}).encode(),
    "ttl_29999": json.dumps({**GOOD, "ttl_ms": 29999}).encode(),
    "ttl_ten_years": json.dumps({**GOOD, "ttl_ms": 315360000000}).encode(),
    "ttl_just_over_max": json.dumps({**GOOD, "ttl_ms": 31622400001}).encode(),
    "ttl_negative": json.dumps({**GOOD, "ttl_ms": -30000}).encode(),
    "ttl_string": json.dumps({**GOOD, "ttl_ms": "later"}).encode(),
    "ttl_numeric_string": json.dumps({**GOOD, "ttl_ms": "60000"}).encode(),
    "ttl_bool": json.dumps({**GOOD, "ttl_ms": True}).encode(),
}

JSON_LEVEL = {"truncated_json", "trailing_garbage", "json_null", "json_string", "json_number",
              "empty_body", "not_utf8"}


@pytest.fixture(scope="module")
def validation_room(relay):
    rid = rand_room("val")
    return rid


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed_body_is_exact_400_and_server_survives(relay, ip, validation_room, name):
    r = post_raw(relay, validation_room, MALFORMED[name], ip)
    assert r.status_code == 400, (name, r.status_code, r.text[:200])
    assert r.headers["Content-Type"].startswith("application/json"), name
    j = r.json()
    if name in JSON_LEVEL:
        assert isinstance(j["error"], str) and j["error"], (name, j)
    else:
        assert j["error"] == "bad message", (name, j)
    assert isinstance(j.get("detail"), str) and j["detail"], (name, j)
    assert "_bytes" not in j
    relay.health()


def test_rejections_consume_no_seq(relay, room, ip):
    first = relay.post_ok(room, ip=ip)
    for name in sorted(MALFORMED):
        assert post_raw(relay, room, MALFORMED[name], ip).status_code == 400, name
    second = relay.post_ok(room, ip=ip)
    assert second["seq"] == first["seq"] + 1
    t = relay.transcript(room)
    assert [m["seq"] for m in t["messages"]] == [first["seq"], second["seq"]]


def test_non_json_content_type_is_bad_message(relay, room, ip):
    r = post_raw(relay, room, json.dumps(GOOD).encode(), ip, content_type="text/plain")
    assert r.status_code == 400
    assert r.json()["error"] == "bad message"
    r = post_raw(relay, room, b"ciphertext=QQ%3D%3D&nonce=x", ip,
                 content_type="application/x-www-form-urlencoded")
    assert r.status_code == 400
    relay.health()


def test_json_content_type_with_charset_is_accepted(relay, room, ip):
    r = post_raw(relay, room, json.dumps(GOOD).encode(), ip,
                 content_type="application/json; charset=utf-8")
    assert r.status_code == 200, r.text


def test_ciphertext_over_128k_in_160k_body_is_400(relay, room, ip):
    body = {"ciphertext": b64(os.urandom(120_000)), "nonce": NONCE}  # 160,000 chars
    r = relay.post_msg(room, body, ip=ip)
    assert r.status_code == 400
    assert r.json()["error"] == "bad message"
    relay.health()


def test_300k_body_is_exactly_413(relay, room, ip):
    body = {"ciphertext": "A" * (300 * 1024), "nonce": NONCE}
    r = relay.post_msg(room, body, ip=ip)
    assert r.status_code == 413
    assert isinstance(r.json()["error"], str)
    relay.post_ok(room, ip=ip)


BAD_ROOM_IDS = ["ab", "abc", "X" * 65, "X" * 200, "bad%2Fslash", "white%20space", "abc%24d",
                "d%C3%A9j%C3%A0vu", "abc.def"]


def raw_post(relay, path, body, ip):
    status, j, _ = raw_json(relay.port, "POST", path, body, headers={"X-Forwarded-For": ip})
    return status, j


@pytest.mark.parametrize("rid", BAD_ROOM_IDS)
def test_bad_room_id_on_post(relay, ip, rid):
    status, j = raw_post(relay, f"/api/rooms/{rid}/messages", GOOD, ip)
    assert status == 400, rid
    assert j["error"] == "bad roomId"
    # room id is checked before the body (§6.1 step 1)
    status, j = raw_post(relay, f"/api/rooms/{rid}/messages", {"sender": "only"}, ip)
    assert status == 400 and j["error"] == "bad roomId"
    relay.health()


def test_room_id_boundaries(relay, ip):
    for rid in ["abcd", "A-_z", "z" * 64, rand_room("Mix_-", 30)]:
        relay.post_ok(rid, ip=ip)
    relay.health()


def _with_url_safe_chars():
    """A secretbox whose standard base64 contains both '+' and '/' (retry until it does)."""
    for _ in range(1000):
        s = sealed(os.urandom(8).hex())
        if "+" in s["ciphertext"] and "/" in s["ciphertext"]:
            if "+" in s["nonce"] or "/" in s["nonce"]:
                return s
    raise AssertionError("could not build a ciphertext with + and /")


def test_url_safe_and_mixed_alphabet_are_normalised(relay, room, ip):
    std = _with_url_safe_chars()
    url_ct = std["ciphertext"].replace("+", "-").replace("/", "_")
    url_nonce = std["nonce"].replace("+", "-").replace("/", "_")
    relay.post_ok(room, {"ciphertext": url_ct, "nonce": url_nonce}, ip=ip)
    rec = last_record(relay, room)
    assert rec["ciphertext"] == std["ciphertext"]
    assert rec["nonce"] == std["nonce"]
    # mixed: only the first '+' becomes '-'
    mixed_ct = std["ciphertext"].replace("+", "-", 1)
    relay.post_ok(room, {"ciphertext": mixed_ct, "nonce": std["nonce"]}, ip=ip)
    rec = last_record(relay, room)
    assert rec["ciphertext"] == std["ciphertext"]
    base64.b64decode(rec["ciphertext"], validate=True)


def test_echo_of_ttl_and_reply_to_on_transcript(relay, room, ip):
    a = relay.post_ok(room, {**sealed("a"), "ttl_ms": 60000}, ip=ip)
    b = relay.post_ok(room, {**sealed("b"), "reply_to": a["id"]}, ip=ip)
    c = relay.post_ok(room, {**sealed("c"), "ttl_ms": 0, "reply_to": None}, ip=ip)
    msgs = {m["seq"]: m for m in relay.transcript(room)["messages"]}
    assert msgs[a["seq"]]["ttl_ms"] == 60000 and "reply_to" not in msgs[a["seq"]]
    assert msgs[b["seq"]]["reply_to"] == a["id"] and "ttl_ms" not in msgs[b["seq"]]
    assert "ttl_ms" not in msgs[c["seq"]] and "reply_to" not in msgs[c["seq"]]


# --- signatures and signed_only (no identities exist in this build) ------------------------

def test_signed_post_without_identity_is_401(relay, room, ip):
    sig = b64(os.urandom(64))
    for handle in ["alice", {}, "ALICE", 7]:
        body = {**GOOD, "sender_handle": handle, "sender_sig": sig,
                "sender_ts": now_ms(), "sender_nonce": "n" * 24}
        r = relay.post_msg(room, body, ip=ip)
        assert r.status_code == 401, handle
        assert r.json()["error"] == "bad sender_sig"
    # the room was created (creation precedes the signature check, §2.2) but holds nothing
    st = relay.status(room)
    assert st["exists"] is True and st["recent_count"] == 0 and st["last_seq"] == 0
    relay.health()


def test_half_signed_posts_are_unsigned(relay, room, ip):
    relay.post_ok(room, {**GOOD, "sender": "lbl", "sender_handle": "alice"}, ip=ip)
    relay.post_ok(room, {**GOOD, "sender": "lbl", "sender_sig": b64(os.urandom(64))}, ip=ip)
    relay.post_ok(room, {**GOOD, "sender": "lbl", "sender_handle": "alice", "sender_sig": ""},
                  ip=ip)
    relay.post_ok(room, {**GOOD, "sender": "lbl", "sender_handle": 0,
                         "sender_sig": b64(os.urandom(64))}, ip=ip)
    for m in relay.transcript(room)["messages"]:
        assert m["sender"] == "lbl" and m["sender_verified"] is False


def test_signed_only_without_signature_is_400_and_room_stays_unlocked(relay, room, ip):
    r = relay.post_msg(room, {**GOOD, "signed_only": True}, ip=ip)
    assert r.status_code == 400
    assert r.json()["error"] == "signed_only requires sender_sig"
    st = relay.status(room)
    assert st["exists"] is True and st["signed_only"] is False
    # not locked: unsigned posts still work, a string "true" is ignored
    relay.post_ok(room, {**GOOD, "signed_only": "true"}, ip=ip)
    relay.post_ok(room, ip=ip)
    assert relay.status(room)["signed_only"] is False
