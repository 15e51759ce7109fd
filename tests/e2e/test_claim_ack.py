"""Identity-authenticated claim/ack (IDENTITY.md §5.8, ROOMS.md §9) with our fixes:
§20.19 (a re-claim of a live claim returns the same claim_id and extends the lease; a late ack is
accepted while nobody re-claimed; 409 only for a wrong claim_id/seq) and §20.9 (a claim on a
missing room is held for its timeout; a claim woken by an excluded sender keeps waiting)."""

import threading
import time

import requests

from identity_client import (BAD_AUTH, Ident, ack, claim, err, new_uuid, rand_handle,
                             register_ok, signed)
from relay_client import UUID4_RE, message_body, new_ip, rand_room

CLAIM_MSG_KEYS = {"seq", "id", "sender", "ciphertext", "nonce", "ts", "sender_verified"}


def ident(relay, prefix="cl"):
    a = Ident(rand_handle(prefix))
    register_ok(relay, a, ip=new_ip())
    return a


def seeded(relay, n=3, sender="bobby", room=None, ip=None):
    room = room or rand_room("claim")
    seqs = [relay.post_ok(room, message_body(f"m{i}", sender=sender), ip=ip)["seq"]
            for i in range(n)]
    return room, seqs


def test_claim_returns_the_oldest_message_and_ack_advances(relay, ip):
    w = ident(relay)
    room, seqs = seeded(relay, 3, ip=ip)
    r = claim(relay, w, room, ip=ip)
    assert r.status_code == 200, r.text
    j = r.json()
    assert j["ok"] is True and UUID4_RE.match(j["claim_id"]), j
    m = j["message"]
    assert set(m) == CLAIM_MSG_KEYS, m            # no _bytes, no type, no signature fields
    assert m["seq"] == seqs[0] and m["sender"] == "bobby" and m["sender_verified"] is False
    assert j["cursor"] == seqs[0] - 1 and j["last_seq"] == seqs[-1]
    a = ack(relay, w, room, j["claim_id"], m["seq"], ip=ip)
    assert a.status_code == 200 and a.json() == {"ok": True, "advanced": True, "cursor": seqs[0]}
    again = ack(relay, w, room, j["claim_id"], m["seq"], ip=ip)
    assert again.status_code == 200
    assert again.json() == {"ok": True, "advanced": False, "cursor": seqs[0]}
    j2 = claim(relay, w, room, ip=ip).json()
    assert j2["message"]["seq"] == seqs[1] and j2["claim_id"] != j["claim_id"]
    assert j2["cursor"] == seqs[0]
    # seq may be sent as a numeric string (JS-int parsing)
    a2 = ack(relay, w, room, j2["claim_id"], str(seqs[1]), ip=ip)
    assert a2.json() == {"ok": True, "advanced": True, "cursor": seqs[1]}


def test_reclaim_of_live_claim_is_idempotent(relay, ip):
    w = ident(relay)
    room, seqs = seeded(relay, 2, ip=ip)
    j1 = claim(relay, w, room, query="timeout=1&ttl_ms=999999999", ip=ip).json()
    j2 = claim(relay, w, room, query="timeout=1&ttl_ms=300000", ip=ip).json()
    j3 = claim(relay, w, room, query="timeout=1", ip=ip).json()
    assert j1["claim_id"] == j2["claim_id"] == j3["claim_id"]
    assert j1["message"] == j2["message"] == j3["message"]
    assert j1["message"]["seq"] == seqs[0]


def test_stale_or_unknown_claim_is_409_with_cursor(relay, ip):
    w = ident(relay)
    room, seqs = seeded(relay, 2, ip=ip)
    j = claim(relay, w, room, ip=ip).json()
    cur = j["cursor"]
    for cid, seq in ((new_uuid(), seqs[0]), (j["claim_id"], seqs[1]), ("nope", seqs[0]),
                     (j["claim_id"], 0), (j["claim_id"], None)):
        r = ack(relay, w, room, cid, seq, ip=ip)
        assert r.status_code == 409, (cid, seq, r.text)
        assert r.json()["error"] == "stale or unknown claim" and r.json()["cursor"] == cur
    assert ack(relay, w, room, j["claim_id"], seqs[0], ip=ip).json()["advanced"] is True


def test_ack_without_cursor_record(relay, ip):
    w = ident(relay)
    room, seqs = seeded(relay, 1, ip=ip)
    r = ack(relay, w, room, new_uuid(), seqs[0], ip=ip)
    assert r.status_code == 200 and r.json() == {"ok": True, "advanced": False, "cursor": 0}
    r = ack(relay, w, rand_room("never"), new_uuid(), 5, ip=ip)
    assert r.status_code == 200 and r.json() == {"ok": True, "advanced": False, "cursor": 0}


def test_own_and_excluded_senders_are_skipped(relay, ip):
    w = ident(relay)
    room = rand_room("excl")
    own = relay.post_ok(room, w.signed_post_body(room, "mine"), ip=ip)["seq"]
    alias = relay.post_ok(room, message_body("alias", sender="my-alias"), ip=ip)["seq"]
    theirs = relay.post_ok(room, message_body("theirs", sender="carol"), ip=ip)["seq"]
    j = claim(relay, w, room, body={"handle": w.handle, "exclude_senders": ["my-alias", 7, ""]},
              ip=ip).json()
    assert j["message"]["seq"] == theirs, (own, alias, j)
    # without the alias in the exclusions a different worker of another handle sees everything
    other = ident(relay)
    j = claim(relay, other, room, ip=ip).json()
    assert j["message"]["seq"] == own and j["message"]["sender"] == "@" + w.handle


def test_uppercase_body_handle_is_lowercased(relay, ip):
    w = ident(relay)
    room, seqs = seeded(relay, 1, ip=ip)
    r = claim(relay, w, room, body={"handle": w.handle.upper()}, ip=ip)
    assert r.status_code == 200 and r.json()["message"]["seq"] == seqs[0], r.text


def test_claim_and_ack_errors(relay, ip):
    w = ident(relay)
    room, _ = seeded(relay, 1, ip=ip)
    r = claim(relay, w, "ab", ip=ip)
    assert (r.status_code, err(r)) == (400, "bad roomId")
    for bad in ("@" + w.handle, "", "has space", "x" * 33, None):
        r = claim(relay, w, room, body={"handle": bad}, ip=ip)
        assert (r.status_code, err(r)) == (400, "bad handle"), bad
    ghost = Ident(rand_handle("ghost"))
    r = claim(relay, ghost, room, ip=ip)
    assert (r.status_code, err(r)) == (404, "no such handle")
    # no header / another identity's signature / signature over a different query
    r = relay.post(f"/api/rooms/{room}/claim?timeout=1", {"handle": w.handle}, ip=ip)
    assert r.status_code == 401 and r.json()["error"] == BAD_AUTH["error"]
    r = signed(relay, w, "POST", f"/api/rooms/{room}/claim?timeout=1", body={"handle": w.handle},
               auth_as=Ident(), ip=ip)
    assert r.status_code == 401 and err(r) == BAD_AUTH["error"]
    hdr = w.auth("POST", f"/api/rooms/{room}/claim")
    r = relay.post(f"/api/rooms/{room}/claim?timeout=1", {"handle": w.handle}, ip=ip, headers=hdr)
    assert r.status_code == 401 and err(r) == BAD_AUTH["error"]
    r = relay.post(f"/api/rooms/{room}/ack", {"handle": w.handle, "claim_id": "x", "seq": 1}, ip=ip)
    assert r.status_code == 401 and err(r) == BAD_AUTH["error"]
    r = signed(relay, w, "POST", f"/api/rooms/{room}/ack", auth_as=ghost, ip=ip,
               body={"handle": ghost.handle, "claim_id": "x", "seq": 1})
    assert (r.status_code, err(r)) == (404, "no such handle")


def test_empty_claim_is_held_for_its_timeout(relay, ip):
    w = ident(relay)
    room, seqs = seeded(relay, 1, ip=ip)
    j = claim(relay, w, room, ip=ip).json()
    ack(relay, w, room, j["claim_id"], seqs[0], ip=ip)
    t0 = time.monotonic()
    r = claim(relay, w, room, query="timeout=1", ip=ip)
    dt = time.monotonic() - t0
    assert r.status_code == 200
    assert r.json() == {"ok": True, "empty": True, "last_seq": seqs[0], "cursor": seqs[0]}
    assert 0.9 <= dt < 5, dt


def test_claim_on_missing_room_is_held_then_answers_exists_false(relay, ip):
    w = ident(relay)
    room = rand_room("missing")
    t0 = time.monotonic()
    r = claim(relay, w, room, query="timeout=1", ip=ip)
    dt = time.monotonic() - t0
    assert r.status_code == 200, r.text
    assert r.json() == {"ok": True, "empty": True, "last_seq": 0, "cursor": 0, "exists": False}
    assert 0.9 <= dt < 5, f"claim on a missing room was not held for its timeout ({dt:.2f}s)"
    assert relay.status(room)["exists"] is False


class Parked(threading.Thread):
    def __init__(self, relay, w, room, query, ip):
        super().__init__(daemon=True)
        self.args_ = (relay, w, room, query, ip)
        self.resp = self.error = None
        self.t0 = self.t1 = None

    def run(self):
        relay, w, room, query, ip = self.args_
        self.t0 = time.monotonic()
        try:
            self.resp = claim(relay, w, room, query=query, ip=ip, session=requests.Session())
        except Exception as e:  # noqa: BLE001
            self.error = e
        self.t1 = time.monotonic()


def test_parked_claim_ignores_excluded_posts_and_wakes_on_a_claimable_one(relay, ip):
    w = ident(relay)
    room, seqs = seeded(relay, 1, ip=ip)
    j = claim(relay, w, room, ip=ip).json()
    ack(relay, w, room, j["claim_id"], seqs[0], ip=ip)
    p = Parked(relay, w, room, "timeout=6", new_ip())
    p.start()
    time.sleep(0.4)
    relay.post_ok(room, w.signed_post_body(room, "own post"), ip=ip)       # excluded: @handle
    time.sleep(0.6)
    assert p.is_alive(), f"claim answered early on an excluded post: {p.resp and p.resp.text}"
    target = relay.post_ok(room, message_body("for you", sender="dave"), ip=ip)["seq"]
    p.join(10)
    assert p.error is None and p.resp is not None and p.resp.status_code == 200
    jj = p.resp.json()
    assert jj.get("empty") is not True and jj["message"]["seq"] == target, jj
    assert p.t1 - p.t0 < 3, "claimable post did not wake the parked claim promptly"


def test_parked_claim_with_only_excluded_posts_answers_at_timeout(relay, ip):
    w = ident(relay)
    room, seqs = seeded(relay, 1, ip=ip)
    j = claim(relay, w, room, ip=ip).json()
    ack(relay, w, room, j["claim_id"], seqs[0], ip=ip)
    p = Parked(relay, w, room, "timeout=2", new_ip())
    p.start()
    time.sleep(0.3)
    own = relay.post_ok(room, w.signed_post_body(room, "own"), ip=ip)["seq"]
    p.join(10)
    assert p.error is None and p.resp.status_code == 200
    assert p.resp.json() == {"ok": True, "empty": True, "last_seq": own, "cursor": seqs[0]}
    assert p.t1 - p.t0 >= 1.8, f"answered after {p.t1 - p.t0:.2f}s, before its timeout"


def test_lease_extension_and_late_ack(relay, ip):
    """§20.19. Leases are at least 60 s (§5.8), so this test waits ~62 s once for both cases:
    X re-claims half-way (lease extended: the same claim_id after the first lease ended);
    Y does not (its late ack is still accepted because nobody re-claimed)."""
    x, y = ident(relay, "lx"), ident(relay, "ly")
    room_x, sx = seeded(relay, 2, ip=ip)
    room_y, sy = seeded(relay, 2, ip=ip)
    # SSE subscribers keep both rooms (and their buffers) from being evicted meanwhile
    keep = [relay.sse(room_x, ip=new_ip()), relay.sse(room_y, ip=new_ip())]
    try:
        _lease_checks(relay, ip, x, y, room_x, room_y, sx, sy)
    finally:
        for s in keep:
            s.close()


def _lease_checks(relay, ip, x, y, room_x, room_y, sx, sy):
    jx = claim(relay, x, room_x, ip=ip).json()
    jy = claim(relay, y, room_y, ip=ip).json()
    t0 = time.monotonic()
    time.sleep(30)
    assert claim(relay, x, room_x, ip=ip).json()["claim_id"] == jx["claim_id"]
    time.sleep(max(0.0, 62 - (time.monotonic() - t0)))
    # X: the first lease (60 s) is over, the extended one is not
    again = claim(relay, x, room_x, ip=ip).json()
    assert again["claim_id"] == jx["claim_id"], "re-claim did not extend the lease"
    assert again["message"]["seq"] == sx[0]
    # Y: expired, never re-claimed: the late ack is accepted
    r = ack(relay, y, room_y, jy["claim_id"], sy[0], ip=ip)
    assert r.status_code == 200, r.text
    assert r.json() == {"ok": True, "advanced": True, "cursor": sy[0]}
    assert claim(relay, y, room_y, ip=ip).json()["message"]["seq"] == sy[1]
    assert ack(relay, x, room_x, jx["claim_id"], sx[0], ip=ip).json()["advanced"] is True
