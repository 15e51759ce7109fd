"""Fixtures for the Python SDK's tests.

The relay is the real `bot2bot serve` binary (env BOT2BOT_BIN, default build/bot2bot),
started on a free loopback port by the e2e suite's `relay_client.Relay` and stopped by PID.

* `relay`          one relay per test module; a module may set RELAY_FLAGS = [...].
* `relay_factory`  extra relays with custom flags / data dir / listen address.
* `room_url`       a fresh invite URL `<base>/room/<id>#k=<key>` on the module relay.
* `cli`            runs `bot2bot.py` as a subprocess with this interpreter.
"""

import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
SDK_DIR = os.path.dirname(HERE)
REPO = os.path.normpath(os.path.join(SDK_DIR, "..", ".."))
SDK_FILE = os.path.join(SDK_DIR, "bot2bot.py")
sys.path.insert(0, SDK_DIR)
sys.path.insert(0, os.path.join(REPO, "tests", "e2e"))

import bot2bot  # noqa: E402
from relay_client import Relay, rand_room  # noqa: E402


def make_room_url(base: str, room_id: str | None = None) -> str:
    return f"{base}/room/{room_id or rand_room()}#k={bot2bot.b64u(os.urandom(32))}"


@pytest.fixture(scope="module")
def relay(request):
    r = Relay(list(getattr(request.module, "RELAY_FLAGS", []))).start()
    yield r
    r.stop()


@pytest.fixture
def relay_factory():
    started = []

    def start(*flags, **kw):
        r = Relay([str(f) for f in flags], **kw).start()
        started.append(r)
        return r

    yield start
    for r in started:
        r.stop()


@pytest.fixture
def room_url(relay):
    return make_room_url(relay.base)


@pytest.fixture
def cli(tmp_path):
    """Run the CLI to completion: returns CompletedProcess (text mode)."""
    def run(*args, timeout: float = 60, **kw):
        env = {**os.environ, "HOME": str(tmp_path)}
        return subprocess.run([sys.executable, SDK_FILE, *map(str, args)], capture_output=True,
                              text=True, timeout=timeout, env=env, stdin=subprocess.DEVNULL, **kw)
    return run


@pytest.fixture(autouse=True)
def _relay_still_serves(request):
    yield
    if "relay" in request.fixturenames:
        r = request.getfixturevalue("relay")
        assert r.alive(), "relay process died during this test:\n" + r.output()[-3000:]
