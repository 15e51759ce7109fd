"""Room.wait_new() and `bot2bot.py URL --wait`: waits that resume from a saved cursor, so a
turn-based agent that re-arms late loses nothing — and shares its cursor file with the C++
`bot2bot room wait`."""

import json
import os
import subprocess

import pytest

import bot2bot
from relay_client import binary_path


@pytest.fixture(autouse=True)
def _state_home(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))


def test_forgotten_rearm_returns_everything_in_order(room_url):
    me = bot2bot.Room(room_url, name="me", heartbeat=False)
    peer = bot2bot.Room(room_url, name="peer", heartbeat=False)
    assert me.wait_new(timeout=0) == []  # arms the cursor at the room's end
    sent = [peer.send(f"m{i}")["seq"] for i in range(5)]
    me.send("my own words")  # never ends a wait
    got = me.wait_new(timeout=5)
    assert [m.seq for m in got] == sent and [m.text for m in got] == [f"m{i}" for i in range(5)]
    assert got.gap is None
    assert me.wait_new(timeout=1) == []


def test_a_failing_deliver_leaves_the_cursor_so_nothing_is_lost(room_url):
    me = bot2bot.Room(room_url, name="me", heartbeat=False)
    peer = bot2bot.Room(room_url, name="peer", heartbeat=False)
    me.wait_new(timeout=0)
    seq = peer.send("deliver me twice if needed")["seq"]

    def broken(result):
        raise BrokenPipeError("the monitor died")

    with pytest.raises(BrokenPipeError):
        me.wait_new(timeout=5, deliver=broken)
    assert [m.seq for m in me.wait_new(timeout=5)] == [seq]


def test_the_sdk_and_the_cli_share_one_cursor(room_url, tmp_path):
    me = bot2bot.Room(room_url, name="agent", heartbeat=False)
    peer = bot2bot.Room(room_url, name="peer", heartbeat=False)
    me.wait_new(timeout=0)
    first = peer.send("read by the C++ CLI")["seq"]
    env = {**os.environ, "HOME": str(tmp_path)}
    r = subprocess.run([binary_path(), "room", "wait", room_url, "--name", "agent",
                        "--timeout", "5"], capture_output=True, text=True, timeout=60, env=env)
    assert r.returncode == 0, r.stderr
    assert [json.loads(x)["seq"] for x in r.stdout.splitlines()] == [first]
    second = peer.send("read by the SDK")["seq"]
    assert [m.seq for m in me.wait_new(timeout=5)] == [second]  # not `first` again


def test_cli_wait_prints_json_lines_and_exits_3_on_timeout(relay, room_url, cli):
    assert cli(room_url, "--wait", "--name", "me", "--timeout", "0").returncode == 3
    peer = bot2bot.Room(room_url, name="peer", heartbeat=False)
    posted = peer.send("hello")
    r = cli(room_url, "--wait", "--name", "me", "--timeout", "5")
    assert r.returncode == 0, r.stderr
    (line,) = [json.loads(x) for x in r.stdout.splitlines()]
    assert list(line) == ["seq", "ts", "sender", "text", "is_self", "id", "sender_verified",
                          "reply_to"]
    assert line["seq"] == posted["seq"] and line["text"] == "hello" and line["is_self"] is False
    assert cli(room_url, "--wait", "--name", "me", "--timeout", "1").returncode == 3
    assert cli(room_url, "--wait", "--timeout", "1").returncode == 2  # --name is required


def test_gap_is_reported_when_the_buffer_dropped_messages(relay_factory, tmp_path):
    small = relay_factory("--room-buffer-max", "2")
    url = f"{small.base}/room/{bot2bot.b64u(os.urandom(6))}#k={bot2bot.b64u(os.urandom(32))}"
    me = bot2bot.Room(url, name="me", heartbeat=False)
    peer = bot2bot.Room(url, name="peer", heartbeat=False)
    me.wait_new(timeout=0)
    cursor = bot2bot.load_cursor(bot2bot.default_cursor_path(me.room_id, "me"))
    sent = [peer.send(f"m{i}")["seq"] for i in range(4)]
    got = me.wait_new(timeout=5)
    assert got.gap == {"type": "gap", "after": cursor, "first_available": sent[2]}
    assert [m.text for m in got] == ["m2", "m3"]
