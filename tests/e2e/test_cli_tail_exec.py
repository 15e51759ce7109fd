"""`bot2bot room tail --exec CMD`: one command per new message from others, in seq order,
never overlapping, the message JSON on stdin and BOT2BOT_ROOM/SEQ/SENDER in the environment;
the cursor advances only after CMD exits 0, so a failing command is retried (0.5 s, doubling)
and a restarted tail neither repeats nor skips. `--status FILE` tells a dead tail from a quiet
room."""

import json
import signal
import subprocess
import time

import pytest

from cli_helpers import cli_env, run_cli
from relay_client import binary_path, poll

# Appends "<seq> <sender> <room>|<stdin line>" to out.txt; fails until `fails` runs happened.
HOOK = ('n=$(cat count 2>/dev/null || echo 0); n=$((n+1)); echo $n > count; '
        'if [ $n -le "${FAILS:-0}" ]; then exit 1; fi; '
        'line=$(cat); echo "$BOT2BOT_SEQ $BOT2BOT_SENDER $BOT2BOT_ROOM|$line" >> out.txt')


def cli(tmp_path, *args):
    r = run_cli(tmp_path, *args)
    assert r.returncode == 0, r.stderr
    return r.stdout


def start_tail(tmp_path, url, fails=0):
    return subprocess.Popen(
        [binary_path(), "room", "tail", url, "--name", "agent", "--exec", HOOK,
         "--status", str(tmp_path / "status.json")],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=cli_env(tmp_path, FAILS=str(fails)))


def delivered(tmp_path):
    path = tmp_path / "out.txt"
    if not path.exists():
        return []
    out = []
    for line in path.read_text().splitlines():
        head, _, body = line.partition("|")
        seq, sender, room = head.split(" ")
        msg = json.loads(body)
        assert int(seq) == msg["seq"] and sender == msg["sender"]
        out.append((msg["seq"], msg["text"], room))
    return out


def stop(proc):
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()


@pytest.fixture
def url(relay, tmp_path):
    return cli(tmp_path, "room", "new", "--base", relay.base).strip()


def send(tmp_path, url, text, name="peer"):
    return json.loads(cli(tmp_path, "room", "send", url, text, "--name", name, "--json"))


def test_one_run_per_message_in_order_with_env_and_status(relay, tmp_path, url):
    send(tmp_path, url, "before the tail started")  # not new: never run
    tail = start_tail(tmp_path, url)
    try:
        assert poll(lambda: (tmp_path / "status.json").exists() and json.loads(
            (tmp_path / "status.json").read_text())["state"] == "connected", timeout=10)
        sent = [send(tmp_path, url, f"m{i}") for i in range(3)]
        send(tmp_path, url, "mine", name="agent")  # own message: no run
        assert poll(lambda: len(delivered(tmp_path)) >= 3, timeout=15)
        time.sleep(0.5)
        room_id = url.split("/room/")[1].split("#")[0]
        assert delivered(tmp_path) == [(s["seq"], f"m{i}", room_id) for i, s in enumerate(sent)]
        status = json.loads((tmp_path / "status.json").read_text())
        assert status["pid"] == tail.pid and status["last_seq"] >= sent[-1]["seq"]
    finally:
        stop(tail)
    assert json.loads((tmp_path / "status.json").read_text())["state"] == "stopped"


def test_a_failing_command_is_retried_then_the_cursor_advances(relay, tmp_path, url):
    tail = start_tail(tmp_path, url, fails=2)
    try:
        time.sleep(1.0)
        first = send(tmp_path, url, "retry me")
        assert poll(lambda: len(delivered(tmp_path)) == 1, timeout=15)
        second = send(tmp_path, url, "then me")
        assert poll(lambda: len(delivered(tmp_path)) == 2, timeout=15)
        time.sleep(0.5)
    finally:
        _, err = stop(tail)
    assert [d[0] for d in delivered(tmp_path)] == [first["seq"], second["seq"]]
    assert (tmp_path / "count").read_text().strip() == "4"  # 2 failures + 2 successes
    assert err.count("retrying in") == 2

    # A restarted tail resumes after the cursor: nothing repeated, nothing skipped.
    third = send(tmp_path, url, "while no tail ran")
    again = start_tail(tmp_path, url)
    try:
        assert poll(lambda: len(delivered(tmp_path)) == 3, timeout=15)
        time.sleep(0.5)
    finally:
        stop(again)
    assert [d[0] for d in delivered(tmp_path)] == [first["seq"], second["seq"], third["seq"]]


def test_exec_needs_a_name(relay, tmp_path, url):
    r = subprocess.run([binary_path(), "room", "tail", url, "--exec", "true"],
                       capture_output=True, text=True, timeout=30, env=cli_env(tmp_path))
    assert r.returncode == 2 and "--exec needs --name" in r.stderr
