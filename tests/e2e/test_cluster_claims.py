"""Claim/ack in cluster mode (`serve --redis`, ROOMS.md §9, §20.19, IDENTITY.md §5.8): the cursor
and lease of (handle, room) are shared by every node through Redis. Workers with the SAME handle
claiming round-robin through three nodes get every message under exactly one claim id and ack
each exactly once; an ack repeated on another node answers as on the claiming node; a parked
claim on one node is woken by a post on another; a lease that ran out on one node lets another
node hand the message out again; while Redis is down claim and ack answer 503 + Retry-After."""

import threading
import time
from collections import defaultdict

import pytest
import requests

import redis_server
from identity_client import Ident, ack, claim, new_uuid, rand_handle, register_ok
from relay_client import Relay, message_body, new_ip, poll, rand_room

pytestmark = pytest.mark.skipif(not redis_server.available(), reason="redis-server not installed")



def worker(nodes, prefix="cw") -> Ident:
    """A handle registered on the first node and known to every node (the change feed)."""
    w = Ident(rand_handle(prefix))
    register_ok(nodes[0], w, ip=new_ip())
    for node in nodes[1:]:
        known = poll(lambda node=node: node.get(f"/api/identity/{w.handle}",
                                                ip=new_ip()).status_code == 200,
                     timeout=5, interval=0.1)
        assert known, (f"node {node.port} did not learn {w.handle}: "
                       f"{node.get(f'/api/identity/{w.handle}').text}")
    return w


def seed(node, n, sender="bobby"):
    room = rand_room("ccl")
    return room, [node.post_ok(room, message_body(f"m{i}", sender=sender))["seq"]
                  for i in range(n)]


def test_one_handle_claiming_through_three_nodes_gets_each_message_once(nodes):
    w = worker(nodes)
    n = 30
    room = rand_room("ccl")
    seqs = [nodes[i % 3].post_ok(room, message_body(f"m{i}", sender="bobby"))["seq"]
            for i in range(n)]
    claim_ids = defaultdict(set)    # seq -> claim ids it was handed out under
    advanced = defaultdict(int)     # seq -> acks that advanced the cursor
    errors: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()

    def run(i):
        s = requests.Session()
        deadline = time.monotonic() + 60
        k = i
        while not stop.is_set() and time.monotonic() < deadline:
            via, ack_via = nodes[k % 3], nodes[(k + 1) % 3]
            k += 1
            r = claim(via, w, room, query="timeout=1", session=s)
            if r.status_code == 503 and r.headers.get("Retry-After"):
                continue  # six claimers of one handle lost the compare-and-set 8 times: retry
            if r.status_code != 200:
                errors.append(f"claim -> {r.status_code} {r.text}")
                return
            j = r.json()
            if j.get("empty"):
                if j["cursor"] == seqs[-1]:
                    stop.set()
                continue
            seq = j["message"]["seq"]
            with lock:
                claim_ids[seq].add(j["claim_id"])
            a = ack(ack_via, w, room, j["claim_id"], seq, session=s)
            if a.status_code == 409:
                continue  # another worker's ack got there first and the cursor moved on
            if a.status_code != 200:
                errors.append(f"ack -> {a.status_code} {a.text}")
                return
            if a.json()["advanced"]:
                with lock:
                    advanced[seq] += 1

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(90)
    assert not errors, errors[:3]
    assert sorted(claim_ids) == seqs, "every message was handed out"
    doubled = {seq: ids for seq, ids in claim_ids.items() if len(ids) != 1}
    assert not doubled, f"messages leased twice at once: {doubled}"
    assert dict(advanced) == {seq: 1 for seq in seqs}, "each ack advanced exactly once"
    for node in nodes:  # every node sees the end of the room for this handle
        j = claim(node, w, room, query="timeout=1").json()
        assert j.get("empty") is True and j["cursor"] == seqs[-1], j


def test_acks_answer_alike_on_every_node(nodes):
    w = worker(nodes)
    room, seqs = seed(nodes[0], 2)
    j = claim(nodes[0], w, room).json()
    assert j["message"]["seq"] == seqs[0]
    # The lease is shared: a re-claim through another node is the same claim (§20.19).
    again = claim(nodes[2], w, room).json()
    assert again["claim_id"] == j["claim_id"] and again["message"] == j["message"]
    first = ack(nodes[1], w, room, j["claim_id"], seqs[0])
    assert first.status_code == 200
    assert first.json() == {"ok": True, "advanced": True, "cursor": seqs[0]}
    for node in nodes:  # the repeat, on the claiming node and on the others
        r = ack(node, w, room, j["claim_id"], seqs[0])
        assert r.status_code == 200
        assert r.json() == {"ok": True, "advanced": False, "cursor": seqs[0]}
    nxt = claim(nodes[1], w, room).json()
    assert nxt["message"]["seq"] == seqs[1] and nxt["cursor"] == seqs[0]
    for node in nodes:  # a claim id that is not current is stale everywhere
        r = ack(node, w, room, new_uuid(), seqs[1])
        assert r.status_code == 409, r.text
        assert r.json()["error"] == "stale or unknown claim" and r.json()["cursor"] == seqs[0]
    # No cursor at all: the same 200 as on one node.
    other = worker(nodes, "cx")
    for node in nodes:
        r = ack(node, other, room, new_uuid(), seqs[0])
        assert r.status_code == 200
        assert r.json() == {"ok": True, "advanced": False, "cursor": 0}


class Parked(threading.Thread):
    def __init__(self, node, w, room, query):
        super().__init__(daemon=True)
        self.args_ = (node, w, room, query)
        self.resp = self.error = None
        self.t0 = self.t1 = None

    def run(self):
        node, w, room, query = self.args_
        self.t0 = time.monotonic()
        try:
            self.resp = claim(node, w, room, query=query, session=requests.Session())
        except Exception as e:  # noqa: BLE001 - reported by the test
            self.error = e
        self.t1 = time.monotonic()


def test_a_parked_claim_on_one_node_is_woken_by_a_post_on_another(nodes):
    w = worker(nodes)
    room, seqs = seed(nodes[0], 1)
    j = claim(nodes[1], w, room).json()
    assert ack(nodes[1], w, room, j["claim_id"], seqs[0]).json()["advanced"] is True
    p = Parked(nodes[1], w, room, "timeout=8")
    p.start()
    time.sleep(0.5)
    nodes[0].post_ok(room, w.signed_post_body(room, "own post"))  # excluded: its own
    time.sleep(0.5)
    assert p.is_alive(), f"claim answered on an excluded post: {p.resp and p.resp.text}"
    target = nodes[2].post_ok(room, message_body("for you", sender="dave"))["seq"]
    p.join(15)
    assert p.error is None and p.resp is not None and p.resp.status_code == 200, p.resp
    got = p.resp.json()
    assert got.get("empty") is not True and got["message"]["seq"] == target, got
    assert p.t1 - p.t0 < 4, "the post on another node did not wake the parked claim promptly"
    # The woken claim holds the one lease: the other nodes hand out the same claim.
    assert claim(nodes[0], w, room).json()["claim_id"] == got["claim_id"]


def test_redis_down_claim_and_ack_answer_503_then_recover(redis):
    a = redis_server.start_nodes(redis, 1)[0]
    b = redis_server.start_nodes(redis, 1)[0]
    try:
        # The change feed subscribes just after the listening line: an identity registered on
        # a before b's feed is up would never reach b (startup race, cluster_sync).
        time.sleep(1)
        w = worker([a, b], "cd")
        room, seqs = seed(a, 2)
        j = claim(b, w, room).json()
        redis.stop()
        time.sleep(0.3)
        for r in (claim(b, w, room), claim(a, w, room),
                  ack(a, w, room, j["claim_id"], seqs[0])):
            assert r.status_code == 503, r.text
            assert r.headers.get("Retry-After") == "1"
            assert r.json()["error"] == "redis unavailable"
        redis.start()
        back = poll(lambda: ack(a, w, room, j["claim_id"], seqs[0]).status_code == 200, timeout=10)
        assert back, "acks not accepted within 10 s of Redis coming back"
        # Each node reconnects on its own backoff: b answers once its connection is back.
        r = poll(lambda: (lambda r: r if r.status_code == 200 else None)(claim(b, w, room)),
                 timeout=10)
        assert r is not None, "claims through the other node not served within 10 s"
        assert r.json()["message"]["seq"] == seqs[1], r.text
    finally:
        a.stop()
        b.stop()


def test_a_lease_run_out_on_one_node_lets_another_claim_again(nodes):
    """Leases are at least 60 s (§5.8): this test waits ~61 s."""
    w = worker(nodes)
    room, seqs = seed(nodes[0], 2)
    keep = [node.sse(room, ip=new_ip()) for node in nodes]  # the rooms stay loaded meanwhile
    try:
        first = claim(nodes[0], w, room).json()
        assert first["message"]["seq"] == seqs[0]
        time.sleep(61)
        second = claim(nodes[1], w, room).json()
        assert second["message"]["seq"] == seqs[0], "the unacked message is handed out again"
        assert second["claim_id"] != first["claim_id"], "a lease that ran out was renewed"
        # The late ack of the old claim is stale now that someone re-claimed (§20.19) ...
        r = ack(nodes[0], w, room, first["claim_id"], seqs[0])
        assert r.status_code == 409, r.text
        # ... and the new one acks through the third node.
        r = ack(nodes[2], w, room, second["claim_id"], seqs[0])
        assert r.json() == {"ok": True, "advanced": True, "cursor": seqs[0]}
    finally:
        for s in keep:
            s.close()


def test_a_claim_held_on_a_missing_room_is_woken_by_its_first_post_elsewhere(nodes):
    w = worker(nodes)
    room = rand_room("cmiss")
    p = Parked(nodes[1], w, room, "timeout=8")
    p.start()
    time.sleep(0.5)
    assert p.is_alive(), f"claim on a missing room answered early: {p.resp and p.resp.text}"
    target = nodes[0].post_ok(room, message_body("first", sender="dave"))["seq"]
    p.join(15)
    assert p.error is None and p.resp is not None and p.resp.status_code == 200, p.resp
    got = p.resp.json()
    assert got.get("empty") is not True and got["message"]["seq"] == target, got
    assert p.t1 - p.t0 < 4, "the first post on another node did not wake the held claim"


def test_a_claim_that_times_out_answers_as_on_one_node(nodes):
    """Only the claimer's own posts: nothing claimable, and the empty answer's cursor is raised
    to the replay window as on one node."""
    w = worker(nodes)
    room = rand_room("ctime")
    own = [nodes[0].post_ok(room, w.signed_post_body(room, f"own {i}"))["seq"] for i in range(2)]
    single = Relay(redis_server.UNLIMITED).start()
    try:
        ws = Ident(rand_handle("cs"))
        register_ok(single, ws, ip=new_ip())
        room_s = rand_room("ctime")
        own_s = [single.post_ok(room_s, ws.signed_post_body(room_s, f"own {i}"))["seq"]
                 for i in range(2)]
        expected = claim(single, ws, room_s, query="timeout=1").json()
    finally:
        single.stop()
    assert expected == {"ok": True, "empty": True, "last_seq": own_s[-1], "cursor": own_s[0] - 1}
    for node in nodes:
        got = claim(node, w, room, query="timeout=1").json()
        assert got == {"ok": True, "empty": True, "last_seq": own[-1], "cursor": own[0] - 1}, got
