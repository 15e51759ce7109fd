"""Cluster mode (`serve --redis`) webhooks (docs/SCALING.md "Webhooks"): a hook registered
through one node fires exactly once for a DM or room post accepted by any node; deleting or
replacing it on another node stops it everywhere; a stored delivery is sent by the node that
owns it — a node that starts meanwhile does not send it too — and when the owner is killed
(kill -9) or stopped, exactly one other node takes it over once its lease lapsed; after
Redis was away for longer than the lease no live node's delivery is taken over."""

import json
import signal
import time

import pytest

import redis_server
from identity_client import Ident, register_ok, seal_dm, signed
from relay_client import message_body, new_ip, poll, rand_room
from webhook_receiver import Receiver, expected_signature

pytestmark = pytest.mark.skipif(not redis_server.available(), reason="redis-server not installed")

LEASE_MS = 1500  # a node's delivery lease; renewed (and the others' checked) every LEASE_MS / 3
FLAGS = ["--webhook-allow-private", "--webhook-lease-ms", str(LEASE_MS)]
QUIET_S = 2.5  # how long "no further delivery" is watched


@pytest.fixture(scope="module")
def wnodes(redis):
    started = redis_server.start_nodes(redis, 3, *FLAGS)
    yield started
    codes = [n.stop() for n in started]
    # A clean exit: no crash, and under ThreadSanitizer (halt_on_error) no race report.
    assert codes == [0, 0, 0], [n.output()[-3000:] for n in started]


def extra_node(relay_factory, redis):
    return relay_factory("--redis", redis.url, *redis_server.UNLIMITED, *FLAGS)


def known_everywhere(nodes, who: Ident) -> None:
    for node in nodes:
        assert poll(lambda node=node: node.get(f"/api/identity/{who.handle}").status_code == 200,
                    timeout=5), f"node {node.port} did not learn {who.handle}"


def registered(nodes) -> Ident:
    who = Ident()
    register_ok(nodes[0], who, ip=new_ip())
    known_everywhere(nodes, who)
    return who


def dm_hook_seen(node, who: Ident, hook_id: str | None) -> bool:
    """Whether `node` serves `who`'s DM hook as `hook_id` (None: as having none)."""
    g = signed(node, who, "GET", f"/api/identity/{who.handle}/webhook", ip=new_ip())
    if hook_id is None:
        return g.status_code == 404
    return g.status_code == 200 and g.json()["hook_id"] == hook_id


def dm_hook_id(node, who: Ident) -> str:
    g = signed(node, who, "GET", f"/api/identity/{who.handle}/webhook", ip=new_ip())
    return g.json().get("hook_id", "") if g.status_code == 200 else ""


def set_dm_hook(nodes, node, who: Ident, url: str) -> dict:
    r = signed(node, who, "PUT", f"/api/identity/{who.handle}/webhook", {"url": url}, ip=new_ip())
    assert r.status_code == 200, r.text
    hook = r.json()
    for n in nodes:
        assert poll(lambda n=n: dm_hook_seen(n, who, hook["hook_id"]), timeout=5), \
            f"node {n.port} did not learn the hook"
    return hook


def send_dm(node, to: Ident, text: str) -> dict:
    r = node.post(f"/api/dm/{to.handle}", seal_dm(to.box_pub, text), ip=new_ip())
    assert r.status_code == 200, r.text
    return r.json()


def by_delivery(posts) -> dict:
    out: dict = {}
    for p in posts:
        out.setdefault(p["headers"]["X-Bot2Bot-Delivery"], []).append(p)
    return out


def settle(rx: Receiver, n: int, timeout: float = 10) -> list:
    """At least `n` POSTs, then QUIET_S more so that a duplicate would have arrived too."""
    rx.wait_posts(n, timeout=timeout)
    time.sleep(QUIET_S)
    return rx.wait_posts(0, timeout=0)


def test_a_dm_hook_set_on_one_node_fires_once_for_dms_taken_by_the_others(wnodes):
    alice = registered(wnodes)
    with Receiver() as rx:
        hook = set_dm_hook(wnodes, wnodes[0], alice, rx.url)
        sent = [send_dm(wnodes[1], alice, "via node 1"), send_dm(wnodes[2], alice, "via node 2")]
        posts = settle(rx, 2)
        assert len(posts) == 2, [json.loads(p["body"]).get("id") for p in posts]
        assert sorted(json.loads(p["body"])["id"] for p in posts) == \
            sorted(s["id"] for s in sent)
        assert len(by_delivery(posts)) == 2
        for p in posts:
            assert p["status"] == 200
            assert p["headers"]["X-Bot2Bot-Signature"] == expected_signature(hook["secret"],
                                                                               p["body"])


def test_a_dm_hook_deleted_on_another_node_stops_on_every_node(wnodes):
    bob = registered(wnodes)
    with Receiver() as rx:
        set_dm_hook(wnodes, wnodes[0], bob, rx.url)
        d = signed(wnodes[2], bob, "DELETE", f"/api/identity/{bob.handle}/webhook", ip=new_ip())
        assert d.status_code == 200 and d.json()["removed"] == 1, d.text
        for n in wnodes:
            assert poll(lambda n=n: dm_hook_seen(n, bob, None), timeout=5), n.port
        for n in wnodes:
            send_dm(n, bob, f"after delete via {n.port}")
        assert rx.wait_posts(1, timeout=QUIET_S) == []


def test_a_dm_hook_replaced_on_another_node_leaves_one_hook(wnodes):
    carol = registered(wnodes)
    with Receiver() as old, Receiver() as new:
        first = set_dm_hook(wnodes, wnodes[0], carol, old.url)
        second = set_dm_hook(wnodes, wnodes[1], carol, new.url)
        assert second["hook_id"] != first["hook_id"]
        for n in wnodes:
            send_dm(n, carol, f"after replace via {n.port}")
        assert len(settle(new, 3)) == 3
        assert old.wait_posts(1, timeout=0) == []


def test_a_room_hook_set_on_one_node_fires_once_per_post_on_any_node(wnodes):
    dave = registered(wnodes)
    room = rand_room()
    target = f"/api/rooms/{room}/webhooks?handle={dave.handle}"
    with Receiver() as rx:
        r = signed(wnodes[0], dave, "POST", target, {"url": rx.url}, ip=new_ip())
        assert r.status_code == 200, r.text
        hook_id = r.json()["hook_id"]
        # A room hook has no GET: wait until a post on node 2 reaches it, then count.
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not rx.wait_posts(1, timeout=0.2):
            wnodes[2].post_ok(room, message_body("probe"), ip=new_ip())
        assert rx.wait_posts(1, timeout=5), "node 2 never delivered to the hook"
        base = len(settle(rx, 1))
        posted = [wnodes[i].post_ok(room, message_body(f"via {i}"), ip=new_ip()) for i in (1, 2)]
        posts = settle(rx, base + 2)
        assert len(posts) == base + 2
        bodies = [json.loads(p["body"]) for p in posts[base:]]
        assert sorted(b["id"] for b in bodies) == sorted(p["id"] for p in posted)
        assert all(b["hook_id"] == hook_id and b["type"] == "message" for b in bodies)

        d = signed(wnodes[1], dave, "DELETE",
                   f"/api/rooms/{room}/webhooks/{hook_id}?handle={dave.handle}", ip=new_ip())
        assert d.status_code == 200, d.text
        time.sleep(0.5)  # the change event reaches the other nodes within milliseconds
        for n in wnodes:
            n.post_ok(room, message_body("after delete"), ip=new_ip())
        assert len(rx.wait_posts(base + 3, timeout=QUIET_S)) == base + 2


def pending_delivery(rx: Receiver, owner, who: Ident) -> tuple[str, dict]:
    """A DM through `owner` whose first attempt the receiver answers 500: stored, pending."""
    sent = send_dm(owner, who, "stays pending")
    first = rx.wait_posts(1, timeout=10)
    assert first and first[0]["status"] == 500, "the first attempt did not arrive"
    assert json.loads(first[0]["body"])["id"] == sent["id"]
    return first[0]["headers"]["X-Bot2Bot-Delivery"], sent


def attempts_of(rx: Receiver, delivery: str) -> list:
    return [p["status"] for p in by_delivery(rx.wait_posts(0, timeout=0)).get(delivery, [])]


def delivered_once(rx: Receiver, delivery: str, timeout: float) -> list:
    """Waits (bounded) for the 200 of `delivery`, then QUIET_S more; its statuses in order."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and 200 not in attempts_of(rx, delivery):
        rx.wait_posts(len(rx.posts) + 1, timeout=0.5)
    time.sleep(QUIET_S)
    return attempts_of(rx, delivery)


def test_a_node_starting_while_the_owner_lives_does_not_send_its_delivery(wnodes, redis,
                                                                         relay_factory):
    """The gap this closes: every node resumed every pending delivery it loaded at start."""
    erin = registered(wnodes)
    with Receiver(script=[500]) as rx:
        set_dm_hook(wnodes, wnodes[0], erin, rx.url)
        delivery, _ = pending_delivery(rx, wnodes[1], erin)
        late = extra_node(relay_factory, redis)  # loads the pending delivery from Redis
        assert late.alive()
        assert delivered_once(rx, delivery, timeout=15) == [500, 200]


def test_a_delivery_of_a_killed_node_is_sent_once_by_another_after_the_lease(wnodes, redis,
                                                                           relay_factory):
    frank = registered(wnodes)
    owner = extra_node(relay_factory, redis)
    known_everywhere([owner], frank)
    with Receiver(script=[500]) as rx:
        hook = set_dm_hook(wnodes + [owner], wnodes[0], frank, rx.url)
        delivery, sent = pending_delivery(rx, owner, frank)
        owner.signal(signal.SIGKILL)
        assert owner.wait_exit(5) is not None
        assert delivered_once(rx, delivery, timeout=20) == [500, 200]
        ok = by_delivery(rx.wait_posts(0, timeout=0))[delivery][-1]
        assert ok["headers"]["X-Bot2Bot-Signature"] == expected_signature(hook["secret"],
                                                                            ok["body"])
        assert json.loads(ok["body"])["id"] == sent["id"]


def test_a_delivery_of_a_stopped_node_is_sent_once_by_another(wnodes, redis, relay_factory):
    gina = registered(wnodes)
    owner = extra_node(relay_factory, redis)
    known_everywhere([owner], gina)
    with Receiver(script=[500]) as rx:
        set_dm_hook(wnodes + [owner], wnodes[0], gina, rx.url)
        delivery, _ = pending_delivery(rx, owner, gina)
        assert owner.stop() == 0
        assert delivered_once(rx, delivery, timeout=15) == [500, 200]


def test_rooms_evicted_on_a_node_leave_its_live_routing_table(redis, relay_factory):
    """Not a webhook: ClusterRooms' table of the rooms whose live messages a node takes (room
    key -> id) drops rooms the node evicted and rooms it only looked up, instead of growing
    with every room it ever loaded. Seen in its debug line after the presence refresh (10 s)."""
    node = relay_factory("--redis", redis.url, *redis_server.UNLIMITED, "--threads", "1",
                         "--janitor-ms", "200", "--room-grace-ms", "200", "--room-retain-ms",
                         "300", "--log-level", "debug")
    rooms = [rand_room() for _ in range(5)]
    for r in rooms:
        node.post_ok(r, message_body("soon evicted"), ip=new_ip())
    for _ in range(5):  # rooms nobody has: looked up in Redis, never served
        assert node.get(f"/api/rooms/{rand_room()}/status", ip=new_ip()).status_code in (200, 404)
    line = poll(lambda: next((ln for ln in node.output().splitlines()
                              if "evicted rooms;" in ln), None), timeout=15, interval=0.2)
    assert line, node.output()[-2000:]
    assert "forgot 5 evicted rooms; 0 rooms served" in line, line


def test_after_redis_was_away_longer_than_the_lease_nothing_is_sent_twice(wnodes, redis):
    """Every lease lapsed during the outage; the nodes are alive, so none takes another's
    delivery over. Hooks set after Redis is back still reach every node (the feed resubscribed)."""
    hana, ivan = registered(wnodes), registered(wnodes)
    with Receiver(script=[500]) as rx, Receiver() as later:
        set_dm_hook(wnodes, wnodes[0], hana, rx.url)
        delivery, _ = pending_delivery(rx, wnodes[1], hana)
        redis.stop()
        time.sleep(LEASE_MS / 1000 * 1.5)
        redis.start()
        assert delivered_once(rx, delivery, timeout=20) == [500, 200]
        time.sleep(LEASE_MS / 1000)  # a few renewals: a wrong take-over would show now
        assert attempts_of(rx, delivery) == [500, 200]

        def hook_set():
            r = signed(wnodes[2], ivan, "PUT", f"/api/identity/{ivan.handle}/webhook",
                       {"url": later.url}, ip=new_ip())
            return r.json() if r.status_code == 200 else None
        assert poll(hook_set, timeout=10), "no hook could be set after Redis came back"
        assert poll(lambda: all(n.get(f"/api/identity/{ivan.handle}").status_code == 200
                                and dm_hook_seen(n, ivan, dm_hook_id(wnodes[2], ivan))
                                for n in wnodes), timeout=10)
        send_dm(wnodes[0], ivan, "after the outage")
        assert len(settle(later, 1)) == 1
