"""Cluster mode (`serve --redis`): identities, directory profiles and DM inboxes written on one
node are served by every other node within 2 s (ROOMS.md cluster guarantees in docs/SCALING.md):
a handle registered on node A is known to node B, a DM sent through node B lands in the inbox
read on node C (and wakes a long-poll parked there), a deleted DM leaves every node, and a
profile published on A is listed by C."""

import threading
import time

import pytest

import redis_server
import requests

from identity_client import BAD_AUTH, Ident, err, inbox_all, inbox_wait, register_ok, signed
from relay_client import poll

pytestmark = pytest.mark.skipif(not redis_server.available(), reason="redis-server not installed")

def within_two_seconds(fn):
    began = time.monotonic()
    got = poll(fn, timeout=2.0, interval=0.02)
    return got, time.monotonic() - began


def test_a_handle_registered_on_one_node_is_known_on_the_others(nodes):
    alice = Ident()
    register_ok(nodes[0], alice)
    for node in nodes[1:]:
        got, took = within_two_seconds(
            lambda node=node: node.get(f"/api/identity/{alice.handle}").status_code == 200)
        assert got, f"node {node.port} did not know {alice.handle} after {took:.2f} s"
        j = node.get(f"/api/identity/{alice.handle}").json()
        assert j["sign_pub"] == alice.sign_pub and j["box_pub"] == alice.box_pub


def send_dm(node, sender: Ident, to: Ident, text: str) -> dict:
    r = node.post(f"/api/dm/{to.handle}", sender.dm_body_to(to, text=text))
    assert r.status_code == 200, r.text
    return r.json()


def test_a_dm_sent_through_one_node_is_read_on_another_and_wakes_a_wait(nodes):
    alice, bob = Ident(), Ident()
    register_ok(nodes[0], alice)
    register_ok(nodes[0], bob)
    poll(lambda: nodes[1].get(f"/api/identity/{alice.handle}").status_code == 200, timeout=2)
    poll(lambda: nodes[2].get(f"/api/identity/{alice.handle}").status_code == 200, timeout=2)

    woke = {}

    def parked_wait():
        began = time.monotonic()
        r = inbox_wait(nodes[2], alice, after=0, timeout=10)
        woke["status"], woke["messages"] = r.status_code, r.json().get("messages", [])
        woke["after"] = time.monotonic() - began

    waiter = threading.Thread(target=parked_wait)
    waiter.start()
    time.sleep(0.3)  # parked on node 2
    sent = send_dm(nodes[1], bob, alice, "through node 1")
    waiter.join(timeout=15)
    assert woke["status"] == 200
    assert [m["id"] for m in woke["messages"]] == [sent["id"]]
    assert woke["after"] < 2.5, woke

    second = send_dm(nodes[0], bob, alice, "through node 0")
    got, took = within_two_seconds(lambda: len(inbox_all(nodes[1], alice)) == 2)
    assert got, f"node 1 did not see both DMs after {took:.2f} s"
    seqs = [m["seq"] for m in inbox_all(nodes[1], alice)]
    assert seqs == sorted(seqs) and len(set(seqs)) == 2

    r = signed(nodes[2], alice, "DELETE", f"/api/dm/{alice.handle}/inbox/{second['id']}")
    assert r.status_code == 200, r.text
    got, took = within_two_seconds(lambda: [m["id"] for m in inbox_all(nodes[0], alice)]
                                   == [sent["id"]])
    assert got, f"the deleted DM was still on node 0 after {took:.2f} s"


def test_a_profile_published_on_one_node_is_listed_on_another(nodes):
    carol = Ident()
    register_ok(nodes[0], carol)
    poll(lambda: nodes[0].get(f"/api/identity/{carol.handle}").status_code == 200, timeout=2)
    r = signed(nodes[0], carol, "PUT", f"/api/agents/{carol.handle}/profile",
               carol.profile_body())
    assert r.status_code == 201, r.text
    got, took = within_two_seconds(
        lambda: nodes[2].get(f"/api/agents/{carol.handle}").status_code == 200)
    assert got, f"node 2 did not list {carol.handle} after {took:.2f} s"
    assert nodes[2].get(f"/api/agents/{carol.handle}").json()["agent"]["handle"] == carol.handle


def test_a_signed_request_replayed_to_another_node_is_refused(nodes):
    """The nonce of an `Authorization: Bot2Bot` request accepted by one node is claimed in Redis;
    the same header replayed to any node, right away, is a 401, as a replay to the same node is."""
    dave = Ident()
    register_ok(nodes[0], dave)
    poll(lambda: nodes[1].get(f"/api/identity/{dave.handle}").status_code == 200, timeout=2)
    target = f"/api/dm/{dave.handle}/inbox/00000000-0000-4000-8000-000000000000"
    header = dave.auth("DELETE", target)
    r = requests.delete(nodes[0].url(target), headers=header, timeout=10)
    assert r.status_code == 200, r.text
    for node in nodes:
        r = requests.delete(node.url(target), headers=header, timeout=10)
        assert r.status_code == 401 and err(r) == BAD_AUTH["error"], (node.port, r.text)
    fresh = requests.delete(nodes[1].url(target), headers=dave.auth("DELETE", target), timeout=10)
    assert fresh.status_code == 200, fresh.text


def all_at_once(calls):
    """Runs every call in its own thread, released together; returns their results in order."""
    gate = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(i, call):
        gate.wait(timeout=10)
        results[i] = call()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=20)
    assert all(r is not None for r in results), "a request did not finish"
    return results


def test_one_signed_request_sent_to_every_node_at_once_is_accepted_once(nodes):
    """Nodes do not learn each other's nonces by gossip: the first use is claimed atomically in
    Redis, so the same header arriving at three nodes in the same millisecond succeeds once."""
    erin = Ident()
    register_ok(nodes[0], erin)
    assert poll(lambda: all(n.get(f"/api/identity/{erin.handle}").status_code == 200
                            for n in nodes), timeout=2)
    target = f"/api/dm/{erin.handle}/inbox/00000000-0000-4000-8000-000000000001"
    for round_ in range(8):
        header = erin.auth("DELETE", target)
        got = all_at_once([lambda n=n: requests.delete(n.url(target), headers=header, timeout=10)
                           for n in nodes])
        codes = sorted(r.status_code for r in got)
        assert codes == [200, 401, 401], (round_, [(r.status_code, r.text[:80]) for r in got])


def test_one_signed_dm_sent_to_every_node_at_once_lands_once(nodes):
    """A signed DM envelope is single-use across nodes (IDENTITY.md §4.2): three copies posted at
    once to three nodes give one 200 and two 401s, and the inbox holds it once."""
    sender, to = Ident(), Ident()
    register_ok(nodes[0], sender)
    register_ok(nodes[1], to)
    assert poll(lambda: all(n.get(f"/api/identity/{h}").status_code == 200
                            for n in nodes for h in (sender.handle, to.handle)), timeout=2)
    for round_ in range(5):
        body = sender.dm_body_to(to, text=f"once {round_}")
        got = all_at_once([lambda n=n: n.post(f"/api/dm/{to.handle}", body) for n in nodes])
        codes = sorted(r.status_code for r in got)
        assert codes == [200, 401, 401], (round_, [(r.status_code, r.text[:80]) for r in got])
    assert poll(lambda: len(inbox_all(nodes[2], to)) == 5, timeout=2), inbox_all(nodes[2], to)


def test_one_handle_registered_on_three_nodes_at_once_has_one_owner(nodes):
    """Three agents claim one new handle through three nodes at the same moment: exactly one gets
    201, the others 409, and every node then serves the winner's keys."""
    for round_ in range(5):
        rivals = [Ident() for _ in nodes]
        handle = rivals[0].handle
        for r in rivals:
            r.handle = handle
        got = all_at_once([lambda n=n, r=r: n.post("/api/identity/register", r.register_body())
                           for n, r in zip(nodes, rivals)])
        codes = [r.status_code for r in got]
        assert sorted(codes) == [201, 409, 409], (round_, [(r.status_code, r.text[:80]) for r in got])
        winner = rivals[codes.index(201)]

        def served_by_all():
            keys = [n.get(f"/api/identity/{handle}") for n in nodes]
            return all(k.status_code == 200 and k.json()["sign_pub"] == winner.sign_pub
                       for k in keys)

        got_it, took = within_two_seconds(served_by_all)
        assert got_it, f"round {round_}: the nodes did not agree on the owner after {took:.2f} s"
