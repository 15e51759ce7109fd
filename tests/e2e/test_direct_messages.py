"""End-to-end encrypted direct messages (IDENTITY.md §4): anonymous and signed (T3) posts,
the owner's signed inbox long-poll, wake on a new DM, DELETE ack, 200 (not 201), and our W12 fix
(verified envelopes also carry from_sig and from_ts so the recipient can check T3 itself)."""

import threading
import time

import requests

from identity_client import (BAD_AUTH, ENVELOPE_KEYS, Ident, assert_json_ct, env_hash, err,
                             inbox_all, inbox_wait, open_dm, rand_handle, register_ok, seal_dm,
                             signed, t3, verify)
from relay_client import UUID4_RE, new_ip, now_ms


def ident(relay, prefix="dm"):
    a = Ident(rand_handle(prefix))
    register_ok(relay, a, ip=new_ip())
    return a


def post_dm(relay, to, body, ip=None, path_handle=None):
    h = path_handle or (to if isinstance(to, str) else to.handle)
    return relay.post(f"/api/dm/{h}", body, ip=ip)


def dm_ok(relay, to, body, ip=None):
    r = post_dm(relay, to, body, ip=ip)
    assert r.status_code == 200, f"DM -> {r.status_code} {r.text[:300]}"
    j = r.json()
    assert j["ok"] is True and UUID4_RE.match(j["id"]) and type(j["seq"]) is int, j
    return j


def test_anonymous_dm_round_trip(relay, ip):
    alice = ident(relay)
    t0 = now_ms()
    body = seal_dm(alice.box_pub, "hello alice")
    r = post_dm(relay, alice, body, ip=ip)
    assert r.status_code == 200, r.text           # 200, not 201
    assert_json_ct(r)
    j = r.json()
    assert set(j) == {"ok", "id", "seq"} and j["ok"] is True and UUID4_RE.match(j["id"])
    assert t0 < j["seq"] <= now_ms() + 1000, "first inbox seq is about now + 1 (§4.2 step 11)"
    w = inbox_wait(relay, alice, ip=ip)
    assert w.status_code == 200, w.text
    wj = w.json()
    [env] = wj["messages"]
    assert wj["last_seq"] == j["seq"] and wj["has_more"] is False
    assert set(env) == ENVELOPE_KEYS, env
    assert env["id"] == j["id"] and env["seq"] == j["seq"]
    assert env["from_handle"] is None and env["from_verified"] is False
    assert env["ciphertext"] == body["ciphertext"] and env["nonce"] == body["nonce"]
    assert env["sender_eph_pub"] == body["sender_eph_pub"]
    assert t0 - 1000 <= env["ts"] <= now_ms() + 1000
    assert open_dm(alice, env) == "hello alice"


def test_signed_dm_is_verified_and_carries_its_signature(relay, ip):
    alice, bob = ident(relay, "al"), ident(relay, "bo")
    body = bob.dm_body_to(alice, text="hi from bob")
    j = dm_ok(relay, alice, body, ip=ip)
    [env] = inbox_wait(relay, alice, ip=ip).json()["messages"]
    assert env["seq"] == j["seq"]
    assert env["from_handle"] == bob.handle and env["from_verified"] is True
    assert env["from_sig"] == body["from_sig"] and env["from_ts"] == body["from_ts"], env
    assert set(env) - ENVELOPE_KEYS == {"from_sig", "from_ts"}, env
    # the recipient checks T3 itself with bob's published key
    pub = relay.get(f"/api/identity/{env['from_handle']}").json()["sign_pub"]
    text = t3(alice.handle, env["from_handle"], env["from_ts"],
              env_hash(env["ciphertext"], env["nonce"], env["sender_eph_pub"]))
    assert verify(pub, text, env["from_sig"])
    assert open_dm(alice, env) == "hi from bob"


def test_sender_fields_that_do_not_prove_anything_are_dropped(relay, ip):
    alice, bob = ident(relay, "al"), ident(relay, "bo")
    # from_handle without a signature
    b1 = seal_dm(alice.box_pub, "claims to be bob")
    b1["from_handle"] = bob.handle
    # from_ts as a numeric string: sender fields ignored, accepted as anonymous
    b2 = bob.dm_body_to(alice, text="string ts")
    b2["from_ts"] = str(b2["from_ts"])
    # from_sig not a string
    b3 = bob.dm_body_to(alice, text="numeric sig")
    b3["from_sig"] = 12
    for b in (b1, b2, b3):
        dm_ok(relay, alice, b, ip=ip)
    envs = inbox_all(relay, alice, ip=ip)
    assert len(envs) == 3
    for env in envs:
        assert env["from_handle"] is None and env["from_verified"] is False, env
        assert "from_sig" not in env and "from_ts" not in env, env


def test_from_handle_is_normalised(relay, ip):
    alice, bob = ident(relay, "al"), ident(relay, "bo")
    body = bob.dm_body_to(alice, text="normalised")
    body["from_handle"] = "@" + bob.handle.upper()   # T3 uses the normalised handle
    dm_ok(relay, alice, body, ip=ip)
    [env] = inbox_all(relay, alice, ip=ip)
    assert env["from_handle"] == bob.handle and env["from_verified"] is True


def test_signed_dm_rejections(relay, ip):
    alice, bob = ident(relay, "al"), ident(relay, "bo")
    b = bob.dm_body_to(alice, text="skew", from_ts=now_ms() - 61_000)
    r = post_dm(relay, alice, b, ip=ip)
    assert (r.status_code, err(r)) == (400, "from_ts skew too large")
    ghost = Ident(rand_handle("ghost"))
    r = post_dm(relay, alice, ghost.dm_body_to(alice), ip=ip)
    assert (r.status_code, err(r)) == (400, "from_handle not registered")
    b = bob.dm_body_to(alice)
    b["from_sig"] = Ident().sign("dm whatever")
    r = post_dm(relay, alice, b, ip=ip)
    assert (r.status_code, err(r)) == (401, "bad from_handle signature")
    # signed for another recipient
    carol = ident(relay, "ca")
    r = post_dm(relay, alice, bob.dm_body_to(carol.handle, recipient_box_pub=alice.box_pub), ip=ip)
    assert (r.status_code, err(r)) == (401, "bad from_handle signature")
    b = bob.dm_body_to(alice)
    b["from_sig"] = b["from_sig"][:-2]
    r = post_dm(relay, alice, b, ip=ip)
    assert (r.status_code, err(r)) == (400, "from_sig must be strict canonical base64 of 64 bytes")
    # replay of an accepted envelope
    good = bob.dm_body_to(alice, text="once")
    dm_ok(relay, alice, good, ip=ip)
    r = post_dm(relay, alice, good, ip=ip)
    assert (r.status_code, err(r)) == (401, "envelope already seen")
    assert len(inbox_all(relay, alice, ip=ip)) == 1


def test_dm_to_unknown_or_invalid_handle(relay, ip):
    body = seal_dm(Ident().box_pub, "x")
    r = post_dm(relay, "nobody-" + rand_handle("n")[-8:], body, ip=ip)
    assert (r.status_code, err(r)) == (404, "no such handle")
    for h in ("x", "a%20b", "-ab"):
        r = post_dm(relay, h, body, ip=ip)
        assert (r.status_code, err(r)) == (400, "invalid handle"), h


def test_dm_path_handle_is_normalised(relay, ip):
    alice = ident(relay)
    dm_ok(relay, "%40" + alice.handle.upper(), seal_dm(alice.box_pub, "x"), ip=ip)
    assert len(inbox_all(relay, alice, ip=ip)) == 1


def test_inbox_seqs_rise_by_one_and_pages_hold_50(relay, ip):
    alice, bob = ident(relay, "al"), ident(relay, "bo")
    s = requests.Session()
    seqs = [dm_ok(relay, alice, bob.dm_body_to(alice, text=f"#{i}"), ip=ip)["seq"] for i in range(55)]
    assert seqs == list(range(seqs[0], seqs[0] + 55))
    p1 = inbox_wait(relay, alice, after=0, ip=ip, session=s).json()
    assert len(p1["messages"]) == 50 and p1["has_more"] is True
    assert [m["seq"] for m in p1["messages"]] == seqs[:50] and p1["last_seq"] == seqs[49]
    p2 = inbox_wait(relay, alice, after=p1["last_seq"], ip=ip, session=s).json()
    assert [m["seq"] for m in p2["messages"]] == seqs[50:] and p2["has_more"] is False
    assert [open_dm(alice, m) for m in p2["messages"]] == [f"#{i}" for i in range(50, 55)]


def test_inbox_wait_times_out_empty(relay, ip):
    alice = ident(relay)
    t0 = time.monotonic()
    r = inbox_wait(relay, alice, after=123, timeout=1, ip=ip)
    dt = time.monotonic() - t0
    assert r.status_code == 200 and r.json() == {"messages": [], "last_seq": 123}
    assert 0.9 <= dt < 5, dt


def test_parked_inbox_wait_wakes_on_a_new_dm(relay, ip):
    alice, bob = ident(relay, "al"), ident(relay, "bo")
    first = dm_ok(relay, alice, bob.dm_body_to(alice, text="old"), ip=ip)["seq"]
    out = {}

    def park():
        t0 = time.monotonic()
        out["r"] = inbox_wait(relay, alice, after=first, timeout=10, ip=new_ip(),
                              session=requests.Session())
        out["dt"] = time.monotonic() - t0

    th = threading.Thread(target=park, daemon=True)
    th.start()
    time.sleep(0.5)
    assert th.is_alive(), "wait with nothing newer answered at once"
    j = dm_ok(relay, alice, bob.dm_body_to(alice, text="new"), ip=ip)
    th.join(12)
    r = out["r"]
    assert r.status_code == 200, r.text
    rj = r.json()
    [env] = rj["messages"]
    assert env["seq"] == j["seq"] and rj["last_seq"] == j["seq"]
    assert env["from_verified"] is True and open_dm(alice, env) == "new"
    assert out["dt"] < 2.5, f"woken after {out['dt']:.2f}s"


def test_delete_acknowledges_a_dm(relay, ip):
    alice = ident(relay)
    ids = [dm_ok(relay, alice, seal_dm(alice.box_pub, f"d{i}"), ip=ip)["id"] for i in range(3)]
    r = signed(relay, alice, "DELETE", f"/api/dm/{alice.handle}/inbox/{ids[1]}", ip=ip)
    assert r.status_code == 200 and r.json() == {"ok": True, "removed": 1}, r.text
    r = signed(relay, alice, "DELETE", f"/api/dm/{alice.handle}/inbox/{ids[1]}", ip=ip)
    assert r.status_code == 200 and r.json() == {"ok": True, "removed": 0}
    r = signed(relay, alice, "DELETE", f"/api/dm/{alice.handle}/inbox/not-an-id", ip=ip)
    assert r.status_code == 200 and r.json() == {"ok": True, "removed": 0}
    assert [e["id"] for e in inbox_all(relay, alice, ip=ip)] == [ids[0], ids[2]]
    # only the owner may delete
    bob = ident(relay, "bo")
    r = signed(relay, alice, "DELETE", f"/api/dm/{alice.handle}/inbox/{ids[0]}", auth_as=bob, ip=ip)
    assert r.status_code == 401 and err(r) == BAD_AUTH["error"]
    r = requests.delete(relay.url(f"/api/dm/{alice.handle}/inbox/{ids[0]}"), timeout=5)
    assert r.status_code == 401
    ghost = Ident(rand_handle("ghost"))
    r = signed(relay, ghost, "DELETE", f"/api/dm/{ghost.handle}/inbox/{ids[0]}", ip=ip)
    assert (r.status_code, err(r)) == (404, "no such handle")
    assert len(inbox_all(relay, alice, ip=ip)) == 2


def test_inbox_auth_failures(relay, ip):
    alice, bob = ident(relay, "al"), ident(relay, "bo")
    dm_ok(relay, alice, seal_dm(alice.box_pub, "secret"), ip=ip)
    target = f"/api/dm/{alice.handle}/inbox/wait?after=0&timeout=1"
    bad = [
        {},
        bob.auth("GET", target),                                        # wrong key
        alice.auth("GET", f"/api/dm/{alice.handle}/inbox/wait"),        # query not covered
        alice.auth("GET", target, ts=now_ms() - 61_000),                # skew
        alice.auth("POST", target),                                     # wrong method
        {"Authorization": alice.auth("GET", target)["Authorization"].replace("Bot2Bot", "bot2bot")},
        {"Authorization": "Bearer x"},
    ]
    for h in bad:
        r = relay.get(target, ip=ip, headers=h)
        assert r.status_code == 401, (h, r.status_code)
        assert r.json()["error"] == BAD_AUTH["error"]
    ghost = Ident(rand_handle("ghost"))
    r = inbox_wait(relay, ghost, ip=ip)
    assert (r.status_code, err(r)) == (404, "no such handle")
    r = relay.get("/api/dm/x/inbox/wait?after=0&timeout=1", ip=ip)
    assert (r.status_code, err(r)) == (400, "invalid handle")
    # a valid header used twice: the replay is refused
    h = alice.auth("GET", target)
    assert relay.get(target, ip=ip, headers=h).status_code == 200
    assert relay.get(target, ip=ip, headers=h).status_code == 401


def test_anonymous_pool_is_capped_and_cannot_push_out_verified_mail(relay, ip):
    alice, bob = ident(relay, "al"), ident(relay, "bo")
    verified = dm_ok(relay, alice, bob.dm_body_to(alice, text="keep me"), ip=ip)["id"]
    anon = [dm_ok(relay, alice, seal_dm(alice.box_pub, f"a{i}"), ip=ip)["id"] for i in range(40)]
    envs = inbox_all(relay, alice, ip=ip)
    ids = [e["id"] for e in envs]
    assert verified in ids
    assert [e["id"] for e in envs if not e["from_verified"]] == anon[-32:]
