"""Cluster mode: `--global-rate-limits` shares the §10.1 rate buckets between nodes through Redis
(docs/SCALING.md). A client spreading its posts over three nodes gets about one bucket's budget
with the flag, and one budget per node without it (the documented default). Redis holds hashed
bucket names only, never the client's address or the room id."""

import subprocess
import time

import pytest
import requests

import redis_server
from relay_client import Relay, binary_path, message_body, rand_room

pytestmark = pytest.mark.skipif(not redis_server.available(), reason="redis-server not installed")

BURST, PER_SEC, SECONDS = 10, 5, 4
LIMITS = ["--room-rate-burst", str(BURST), "--room-rate-per-sec", str(PER_SEC),
          "--global-rate-burst", "100000", "--global-rate-per-sec", "100000"]


def spray(nodes, room: str, seconds: float, max_posts: int = 20000) -> tuple[int, int, set]:
    """Posts round-robin over the nodes for `seconds`; (accepted, refused, other statuses)."""
    sessions = [requests.Session() for _ in nodes]
    accepted = refused = 0
    other = set()
    deadline = time.monotonic() + seconds
    for i in range(max_posts):
        if time.monotonic() > deadline:
            break
        k = i % len(nodes)
        r = nodes[k].post_msg(room, message_body(f"m{i}"), session=sessions[k])
        if r.status_code == 200:
            accepted += 1
        elif r.status_code == 429:
            refused += 1
        else:
            other.add(r.status_code)
    return accepted, refused, other


def cluster(*flags):
    redis = redis_server.RedisServer().start()
    nodes = []
    try:
        for _ in range(3):
            nodes.append(Relay(["--redis", redis.url, *LIMITS, *flags]).start())
    except Exception:
        for n in nodes:
            n.stop()
        redis.close()
        raise
    return redis, nodes


def close(redis, nodes):
    for n in nodes:
        assert n.stop() == 0, n.output()[-2000:]
    redis.close()


def test_with_global_rate_limits_three_nodes_share_one_bucket():
    redis, nodes = cluster("--global-rate-limits")
    try:
        room = rand_room("grl")
        accepted, refused, other = spray(nodes, room, SECONDS)
        assert not other, other
        # One bucket: BURST + PER_SEC × SECONDS, plus what each other node's own full bucket let
        # through before the first sync charged it (paid back as a debt).
        one_bucket = BURST + PER_SEC * SECONDS
        assert refused > 0
        assert one_bucket * 0.6 <= accepted <= one_bucket + 2 * BURST + 5, (accepted, refused)
        names = redis.cli("--scan", "--pattern", "b2b:rl:*").split()
        assert names, "no shared bucket in Redis"
        for name in names:
            assert room not in name and "127.0.0.1" not in name, name
    finally:
        close(redis, nodes)


def test_without_the_flag_each_node_limits_on_its_own():
    redis, nodes = cluster()
    try:
        room = rand_room("nrl")
        accepted, refused, other = spray(nodes, room, SECONDS)
        assert not other, other
        per_node = BURST + PER_SEC * SECONDS
        assert accepted >= 3 * per_node * 0.8, (accepted, refused)
        assert not redis.cli("--scan", "--pattern", "b2b:rl:*").split()
    finally:
        close(redis, nodes)


def test_the_flag_needs_redis():
    r = subprocess.run([binary_path(), "serve", "--listen", "127.0.0.1:0", "--global-rate-limits"],
                       capture_output=True, text=True, timeout=10)
    assert r.returncode == 2
    assert "--global-rate-limits" in r.stderr and "--redis" in r.stderr, r.stderr
