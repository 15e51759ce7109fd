"""The signing texts our test clients build are byte-exact with IDENTITY.md §8 (so every other
identity test signs what the spec says), and a live relay refuses those fixed-clock vectors on
skew (§1.7) instead of accepting a stale, replayable signature."""

import base64

from identity_client import (Ident, canonical_json, env_hash, register, sha256_hex, t1, t2, t3,
                             t4, t5, verify)
from relay_client import new_ip

TS = 1767225600000
ALICE = Ident("alice-bot", bytes(range(0x00, 0x20)), bytes(range(0x20, 0x40)))
BOB = Ident("bob-bot", bytes(range(0x40, 0x60)), bytes(range(0x60, 0x80)))


def test_vector_keys_and_t1():
    assert ALICE.sign_pub == "A6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg="
    assert ALICE.box_pub == "NYBy1jZYgNGu6jKa35EhODhR7SGijjt16WXQ0s0WYlQ="
    assert BOB.sign_pub == "JUO5L/EJVRFHatyDadtt3JM2ZaEZeN2hQE7hBmypVZ0="
    assert BOB.box_pub == "Z13VdO13iTELPS52gfN5C0ZsdzsVIf7PNld5WDcepS8="
    body = ALICE.register_body(ts=TS)
    assert body["register_sig"] == ("MSzkzjteAx2yZ0Pxsdr8hxkNIz1J8Gabl+SViAOciiKCxru49M7x+8QfTqMT"
                                    "pF7DZsTTojPQWiEM3TGo8I0uCA==")
    assert t1("alice-bot", TS, ALICE.box_pub, ALICE.sign_pub) == (
        "register alice-bot 1767225600000 NYBy1jZYgNGu6jKa35EhODhR7SGijjt16WXQ0s0WYlQ= "
        "A6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg=")


def test_vector_t2_header():
    nonce = base64.urlsafe_b64encode(bytes(range(0x12))).decode().rstrip("=")
    assert nonce == "AAECAwQFBgcICQoLDA0ODxAR"
    target = "/api/dm/alice-bot/inbox/wait?after=0&timeout=30"
    assert t2("GET", target, TS, nonce) == f"GET {target} {TS} {nonce}"
    h = ALICE.auth("GET", target, ts=TS, nonce=nonce)["Authorization"]
    assert h == ("Bot2Bot ts=1767225600000,n=AAECAwQFBgcICQoLDA0ODxAR,sig=6AxSyyg9pYIRMZyoaLyC8Oj/"
                 "3506zuK5kfshVQ+/1R/6ujqTojtr9M/R4wz8U7gbQatWEYsQ1ikM0ZyFL0qdBQ==")


def test_vector_t3_dm():
    ct = "eL7eC1DunxMzLkC6apTioUAMmH3+yL07HaXk"
    nonce = "yMnKy8zNzs/Q0dLT1NXW19jZ2tvc3d7f"
    eph = "ST6C/HRGSlkmiBdiPSBTxeuOLMSpiLT+4XnsawENUx0="
    eh = env_hash(ct, nonce, eph)
    assert eh == "fb167fb0bd1d78fe9a01cb0d7795ee8ba8e00a6f8ca607a5ed90b2d41a56c44c"
    sig = BOB.sign(t3("alice-bot", "bob-bot", TS, eh))
    assert sig == ("JHQuyeFJ7rqRcyeaiLOgBceupPI8XfbA9aYv+weCgY0SwhzYrl5NB7TaqrKolvldjnCyaevCCRBk"
                   "CgGhg0t7AQ==")
    # The vector DM opens with alice's box key (same construction as our seal_dm).
    from identity_client import open_dm
    assert open_dm(ALICE, {"ciphertext": ct, "nonce": nonce, "sender_eph_pub": eph}) == "hello alice"


def test_vector_t4_room():
    ct = "/VOrcf6aBM5u56A9AL3natWxoU4lJnw="
    sn = base64.urlsafe_b64encode(bytes(range(0x12, 0x24))).decode().rstrip("=")
    assert sha256_hex(ct) == "c71648258f4092220dba2a6ebec6037c55b6c53c28d65f4c8f0ad971aaa4fa42"
    f = ALICE.room_fields("ROOM1234", ct, ts=TS, nonce=sn)
    assert f["sender_sig"] == ("JZRyWKgViduQKV/8LSKajCV7U93TWRceCd3fcZLjK3G9TfFblxk53prHgcW+CD6lO"
                               "sWoilFVZY4IK906UcfPDA==")
    assert verify(ALICE.sign_pub, t4("ROOM1234", TS, sn, ct), f["sender_sig"])


def test_vector_t5_profile():
    p = {"schema": "bot2bot.agent_profile.v1", "handle": "alice-bot", "display_name": "Alice Bot",
         "framework": "openclaw", "framework_version": "1.2",
         "summary": "Finds Python market-data peers.", "capabilities": ["python", "market-data"],
         "topics": ["trading"], "languages": ["en"], "contact_policy": "signed_dm_first",
         "homepage_url": "https://example.com/", "updated_at": TS, "expires_at": 1767830400000}
    assert sha256_hex(canonical_json(p)) == (
        "df0f0d427476f167f920e3944c3e2beda9c44468e7cb1214c15e2943001bceef")
    assert ALICE.profile_body(p)["profile_sig"] == (
        "gocAyLhAzL0BTzCuGAajk3Os3hR7dJUFP4xSq4mIUpRxO2bugOFlWnk8lt58vfR9+yb1AaRnrLo10FNhGIL3Ag==")
    assert t5("alice-bot", TS, p).count("\n") == 3 and not t5("alice-bot", TS, p).endswith("\n")


def test_live_relay_refuses_the_fixed_clock_register_vector_on_skew(relay):
    r = register(relay, ALICE, ip=new_ip(), ts=TS)
    assert r.status_code == 400, r.text
    assert r.json()["error"] == "register_ts skew too large"
    assert relay.get("/api/identity/alice-bot").status_code == 404
