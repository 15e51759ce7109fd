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

@pytest.fixture(scope="module")
def nodes():
    redis = redis_server.RedisServer().start()
    started = redis_server.start_nodes(redis, 3)
    yield started
    for n in started:
        n.stop()
    redis.close()


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
    """The nonce of an `Authorization: Bot2Bot` request accepted by one node reaches the others
    through the change feed within milliseconds; the same header replayed there is a 401, as a
    replay to the same node is."""
    dave = Ident()
    register_ok(nodes[0], dave)
    poll(lambda: nodes[1].get(f"/api/identity/{dave.handle}").status_code == 200, timeout=2)
    target = f"/api/dm/{dave.handle}/inbox/00000000-0000-4000-8000-000000000000"
    header = dave.auth("DELETE", target)
    r = requests.delete(nodes[0].url(target), headers=header, timeout=10)
    assert r.status_code == 200, r.text
    time.sleep(0.2)  # the event's way to the other nodes (milliseconds)
    for node in nodes:
        r = requests.delete(node.url(target), headers=header, timeout=10)
        assert r.status_code == 401 and err(r) == BAD_AUTH["error"], (node.port, r.text)
    fresh = requests.delete(nodes[1].url(target), headers=dave.auth("DELETE", target), timeout=10)
    assert fresh.status_code == 200, fresh.text
