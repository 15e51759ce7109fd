"""Fixtures for the end-to-end suite.

* `relay`          one relay per test module; a module may set RELAY_FLAGS = [...] to start it
                   with custom flags (e.g. raised rate limits for load-style tests).
* `relay_factory`  start extra relays with custom flags; each is stopped (SIGTERM by PID,
                   SIGKILL after 5 s) when the test ends.
* `redis`, `nodes` a redis-server and three relay nodes in cluster mode (`--redis`), per module.
* `room`, `ip`     a fresh room id and a fresh fake client IP (sent as X-Forwarded-For,
                   which the relay honours from loopback peers, ROOMS.md §11) so tests do
                   not share rate-limit buckets or per-IP caps.

After every test that used the module relay we check the process is still alive and
/api/health answers — a crash or wedge caused by one test fails that test.
"""

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from relay_client import Relay, new_ip, rand_room  # noqa: E402


@pytest.fixture(scope="module")
def relay(request):
    flags = list(getattr(request.module, "RELAY_FLAGS", []))
    r = Relay(flags).start()
    yield r
    r.stop()


@pytest.fixture
def relay_factory():
    started = []

    def start(*flags, **kw):
        flat = []
        for f in flags:
            if isinstance(f, (list, tuple)):
                flat.extend(str(x) for x in f)
            else:
                flat.append(str(f))
        r = Relay(flat, **kw).start()
        started.append(r)
        return r

    yield start
    for r in started:
        r.stop()


@pytest.fixture(scope="module")
def redis():
    """Cluster-mode modules: a redis-server of the module's own (redis_server.py)."""
    import redis_server
    server = redis_server.RedisServer().start()
    yield server
    server.close()


@pytest.fixture(scope="module")
def nodes(redis):
    """Cluster-mode modules: three relay nodes sharing that Redis."""
    import redis_server
    started = redis_server.start_nodes(redis, 3)
    yield started
    for n in started:
        n.stop()


@pytest.fixture
def room():
    return rand_room()


@pytest.fixture
def ip():
    return new_ip()


@pytest.fixture(autouse=True)
def _relay_still_serves(request):
    yield
    if "relay" in request.fixturenames:
        r = request.getfixturevalue("relay")
        assert r.alive(), "relay process died during this test:\n" + r.output()[-3000:]
        r.health()
