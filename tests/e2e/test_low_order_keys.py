"""Issue 8 §4: nobody can register a key for which "any signature" verifies (or a box key
anyone can open boxes to). Registration (IDENTITY.md §2.2 step 6) answers every small-order or
non-canonical Ed25519 `sign_pub` and X25519 `box_pub` with 400 and the step-6 text; a DM whose
`sender_eph_pub` is such a point gets the §4.2 step-8 text; none of them creates an identity,
and the relay keeps serving real keys afterwards."""

import base64

import pytest

from identity_client import (KEYS_CANON_400, Ident, b64, err, inbox_all, rand_handle, register,
                             register_ok, seal_dm)
from relay_client import new_ip, now_ms

EPH_CANON = "sender_eph_pub must be strict canonical base64 of 32 bytes"

# Ed25519: the eight points of order 1, 2, 4, 8, non-canonical encodings of the small ones
# (sign bit on x = 0, y >= p) and y = 2 (not a point of the prime-order subgroup).
BAD_SIGN_PUBS = {
    "identity": "0100000000000000000000000000000000000000000000000000000000000000",
    "order2": "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "all_zero_order4": "0000000000000000000000000000000000000000000000000000000000000000",
    "order4_neg": "0000000000000000000000000000000000000000000000000000000000000080",
    "order8_a": "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
    "order8_b": "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
    "order8_c": "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
    "order8_d": "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
    "identity_sign_bit": "0100000000000000000000000000000000000000000000000000000000000080",
    "y_is_p": "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "y_is_p_plus_1": "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "y_is_2": "0200000000000000000000000000000000000000000000000000000000000000",
}

# X25519: libsodium's small-order u list (0, 1, order 8 twice, p - 1, p, p + 1), top-bit
# variants, and p + 2 (a non-canonical encoding no real key has).
BAD_BOX_PUBS = {
    "zero": "0000000000000000000000000000000000000000000000000000000000000000",
    "one": "0100000000000000000000000000000000000000000000000000000000000000",
    "order8_a": "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
    "order8_b": "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
    "p_minus_1": "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "p": "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "p_plus_1": "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "zero_top_bit": "0000000000000000000000000000000000000000000000000000000000000080",
    "order8_a_top_bit": "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b880",
    "p_plus_2": "efffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
}


def hex_b64(h: str) -> str:
    return b64(bytes.fromhex(h))


@pytest.mark.parametrize("name", sorted(BAD_SIGN_PUBS))
def test_small_order_sign_pub_is_refused(relay, name):
    handle = rand_handle("lo")
    sign_pub = hex_b64(BAD_SIGN_PUBS[name])
    box_pub = Ident().box_pub
    ts = now_ms()
    # The classic "verifies anything" signature under a small-order key: R = identity, S = 0.
    forged = b64(bytes([1]) + bytes(63))
    body = {"handle": handle, "box_pub": box_pub, "sign_pub": sign_pub, "register_ts": ts,
            "register_sig": forged}
    r = register(relay, None, ip=new_ip(), body=body)
    assert r.status_code == 400, (name, r.status_code, r.text)
    assert err(r) == KEYS_CANON_400
    assert relay.get(f"/api/identity/{handle}").status_code == 404


@pytest.mark.parametrize("name", sorted(BAD_BOX_PUBS))
def test_small_order_box_pub_is_refused_even_when_properly_signed(relay, name):
    ident = Ident(rand_handle("lb"))
    # T1 really is signed by a good sign key over the bad box_pub: only the key is at fault.
    r = register(relay, ident, ip=new_ip(), box_pub=hex_b64(BAD_BOX_PUBS[name]))
    assert r.status_code == 400, (name, r.status_code, r.text)
    assert err(r) == KEYS_CANON_400
    assert relay.get(f"/api/identity/{ident.handle}").status_code == 404


@pytest.mark.parametrize("name", sorted(BAD_BOX_PUBS))
def test_dm_with_small_order_ephemeral_key_is_refused(relay, name):
    alice = Ident(rand_handle("le"))
    register_ok(relay, alice, ip=new_ip())
    body = seal_dm(alice.box_pub, "never stored")
    body["sender_eph_pub"] = hex_b64(BAD_BOX_PUBS[name])
    r = relay.post(f"/api/dm/{alice.handle}", body, ip=new_ip())
    assert r.status_code == 400, (name, r.status_code, r.text)
    assert err(r) == EPH_CANON
    assert inbox_all(relay, alice, ip=new_ip()) == []


def test_relay_still_serves_real_keys_after_the_refusals(relay):
    alice, bob = Ident(rand_handle("ok")), Ident(rand_handle("ok"))
    register_ok(relay, alice, ip=new_ip())
    register_ok(relay, bob, ip=new_ip())
    r = relay.post(f"/api/dm/{alice.handle}", bob.dm_body_to(alice, text="still fine"),
                   ip=new_ip())
    assert r.status_code == 200, r.text
    envs = inbox_all(relay, alice, ip=new_ip())
    assert [e["from_handle"] for e in envs] == [bob.handle]
    assert envs[0]["from_verified"] is True
    j = relay.get(f"/api/identity/{alice.handle}").json()
    assert base64.b64decode(j["box_pub"]) == bytes(alice.box_sk.public_key)
    relay.health()
