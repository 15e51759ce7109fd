"""The CLI's streaming modes as a subprocess (CLIENT-PROTOCOL.md §4.2): `--tail --out FILE`
appends one JSON line per message with exactly {seq, ts, sender, text, is_self}, flushed
per line, non-ASCII unescaped, and keeps going through disconnects; `--watch`, `--say`."""

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time

import pytest

import bot2bot
from conftest import SDK_FILE, make_room_url
from relay_client import HOST, Relay

KEYS = ["seq", "ts", "sender", "text", "is_self"]


def _start(*args, stdout=subprocess.DEVNULL):
    return subprocess.Popen([sys.executable, SDK_FILE, *map(str, args)], stdin=subprocess.DEVNULL,
                            stdout=stdout, stderr=subprocess.PIPE, text=True)


def _stop(proc) -> int:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)
        raise


def _lines(path, n, timeout=15.0):
    deadline = time.monotonic() + timeout
    while True:
        lines = open(path, encoding="utf-8").read().splitlines() if os.path.exists(path) else []
        if len(lines) >= n or time.monotonic() > deadline:
            return lines
        time.sleep(0.05)


def _wait_subscribed(room: bot2bot.Room, n: int = 1) -> None:
    deadline = time.monotonic() + 15
    while room.status().get("participants", 0) < n:
        assert time.monotonic() < deadline, "CLI never opened its stream"
        time.sleep(0.05)


@pytest.mark.parametrize("include_self", [False, True])
def test_tail_appends_exact_json_lines_with_is_self(relay, room_url, tmp_path, include_self):
    out = tmp_path / "room.jsonl"
    out.write_text('{"earlier": "line kept"}\n', encoding="utf-8")
    extra = ["--include-self"] if include_self else []
    proc = _start(room_url, "--name", "tailer", "--tail", "--out", out, *extra)
    poster = bot2bot.Room(room_url, name="poster", heartbeat=False)
    same_label = bot2bot.Room(room_url, name="tailer", heartbeat=False)
    try:
        poster.send("create")  # the stream may start before the room exists
        _wait_subscribed(poster)
        sent = [poster.send("one"), poster.send("h\u00e9llo \u2713 \U0001F600"),
                same_label.send("from my own label"), poster.send("two")]
        expected = [("poster", "create", False), ("poster", "one", False),
                    ("poster", "h\u00e9llo \u2713 \U0001F600", False)]
        if include_self:
            expected.append(("tailer", "from my own label", True))
        expected.append(("poster", "two", False))
        lines = _lines(out, 1 + len(expected))
        time.sleep(0.3)
        assert _stop(proc) == 0, proc.stderr.read()
        lines = open(out, encoding="utf-8").read().splitlines()
        assert lines[0] == '{"earlier": "line kept"}', "--out must append"
        rows = [json.loads(line) for line in lines[1:]]
        assert [list(r) for r in rows] == [KEYS] * len(rows)
        assert [(r["sender"], r["text"], r["is_self"]) for r in rows] == expected
        assert "h\u00e9llo \u2713 \U0001F600" in lines[3] and "\\u" not in lines[3]
        by_text = {r["text"]: r for r in rows}
        assert by_text["two"]["seq"] == sent[3]["seq"]
        assert all(type(r["seq"]) is int and type(r["ts"]) is float for r in rows)
        assert abs(by_text["two"]["ts"] - time.time()) < 60
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)


def test_tail_keeps_going_through_disconnects(relay_factory, tmp_path):
    # Keepalives every 10 s and --max-idle 1: the CLI's stream times out and reconnects
    # about once a second; nothing may be lost or repeated across those reconnects.
    relay = relay_factory("--keepalive-ms", "10000")
    url = make_room_url(relay.base)
    poster = bot2bot.Room(url, name="poster", heartbeat=False)
    poster.send("m0")
    out = tmp_path / "t.jsonl"
    proc = _start(url, "--name", "tailer", "--tail", "--out", out, "--max-idle", "1")
    try:
        for i in range(1, 6):
            time.sleep(0.7)
            poster.send(f"m{i}")
        lines = _lines(out, 6)
        time.sleep(2.5)  # at least one more idle reconnect: must not replay anything
        assert _stop(proc) == 0
        rows = [json.loads(x) for x in open(out, encoding="utf-8").read().splitlines()]
        assert [r["text"] for r in rows] == [f"m{i}" for i in range(6)], lines
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)


def test_tail_survives_a_relay_kill_and_restart(tmp_path):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    first = Relay(data_dir=str(data_dir)).start()
    second = None
    url = make_room_url(first.base)
    out = tmp_path / "t.jsonl"
    proc = _start(url, "--name", "tailer", "--tail", "--out", out)
    try:
        poster = bot2bot.Room(url, name="poster", heartbeat=False)
        poster.send("before")
        assert len(_lines(out, 1)) == 1
        first.signal(signal.SIGKILL)
        assert first.wait_exit(10) is not None
        second = Relay(data_dir=str(data_dir), listen=f"{HOST}:{first.port}").start()
        poster.send("after 1")
        poster.send("after 2")
        _lines(out, 3)
        time.sleep(0.3)
        assert _stop(proc) == 0
        rows = [json.loads(x) for x in open(out, encoding="utf-8").read().splitlines()]
        assert [r["text"] for r in rows] == ["before", "after 1", "after 2"]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)
        first.stop()
        if second is not None:
            second.stop()


def test_tail_to_stdout_and_watch_lines(relay, room_url):
    poster = bot2bot.Room(room_url, name="poster", heartbeat=False)
    poster.send("hello watchers")
    for mode in ("--tail", "--watch"):
        proc = _start(room_url, "--name", "viewer", mode, stdout=subprocess.PIPE)
        got = []
        reader = threading.Thread(target=lambda: got.append(proc.stdout.readline()), daemon=True)
        reader.start()
        reader.join(15)
        assert _stop(proc) == 0
        assert got and got[0], f"{mode} printed nothing"
        line = got[0].rstrip("\n")
        if mode == "--tail":
            assert list(json.loads(line)) == KEYS and json.loads(line)["text"] == "hello watchers"
        else:
            assert re.fullmatch(r"\d\d:\d\d:\d\d {16}poster  hello watchers", line), line


def test_say_sends_once_and_prints_the_answer(relay, room_url, cli):
    r = cli(room_url, "--name", "sayer", "--say", "said once")
    assert r.returncode == 0, r.stderr
    answer = json.loads(r.stdout)
    assert answer["ok"] is True and isinstance(answer["seq"], int)
    r2 = cli(room_url, "--name", "sayer", "--send", "alias")
    assert r2.returncode == 0, r2.stderr
    texts = [(m.sender, m.text) for m in bot2bot.Room(room_url, name="x", heartbeat=False).transcript()]
    assert texts == [("sayer", "said once"), ("sayer", "alias")]


def test_no_mode_prints_help_and_exits_0(cli):
    r = cli()
    assert r.returncode == 0 and "--tail" in r.stdout and "--claim" in r.stdout


def test_bad_room_key_exits_2(cli):
    r = cli("http://127.0.0.1:9/room/abcd#k=" + bot2bot.b64u(os.urandom(16)), "--say", "x")
    assert r.returncode == 2 and "key" in r.stderr
