"""`bot2bot room tail` follows a room through a relay restart: the relay is killed by PID and
started again on the same port and --data-dir while tail keeps running; every message posted
before, during and after the outage lands in the --out file exactly once, in seq order
(ROOMS.md §6.2 resume with ?after=, ready.last_seq as the floor)."""

import json
import os
import signal
import subprocess
import time

from relay_client import Relay, binary_path


def cli_env(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOT2BOT_")}
    env.update(HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path / "config"))
    return env


def run(tmp_path, *args):
    return subprocess.run([binary_path(), *args], capture_output=True, text=True, timeout=60,
                          env=cli_env(tmp_path))


def read_lines(path):
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def wait_for_lines(path, n, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        lines = read_lines(path)
        if len(lines) >= n:
            return lines
        time.sleep(0.05)
    return read_lines(path)


def send(tmp_path, url, text):
    r = run(tmp_path, "room", "send", url, text, "--name", "poster")
    assert r.returncode == 0, r.stderr


def test_tail_survives_a_relay_restart_without_gap_or_duplicate(tmp_path):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    relay = Relay(data_dir=str(data_dir)).start()
    port = relay.port
    url = run(tmp_path, "room", "new", "--base", relay.base).stdout.strip()
    out = tmp_path / "tail.jsonl"
    tail = subprocess.Popen([binary_path(), "room", "tail", url, "--json", "--name", "watcher",
                             "--out", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=cli_env(tmp_path))
    relay2 = None
    try:
        for i in range(5):
            send(tmp_path, url, f"before {i}")
        assert len(wait_for_lines(out, 5)) == 5

        relay.proc.send_signal(signal.SIGKILL)         # by PID, no goodbye
        relay.wait_exit(10)
        time.sleep(0.5)                                 # tail sees the break and backs off

        relay2 = Relay(data_dir=str(data_dir), listen=f"127.0.0.1:{port}").start()
        for i in range(5):                              # likely before tail reconnects
            send(tmp_path, url, f"after {i}")
        lines = wait_for_lines(out, 10)
        time.sleep(1.0)                                 # and nothing more arrives
        lines = read_lines(out)
        texts = [l["text"] for l in lines]
        assert texts == [f"before {i}" for i in range(5)] + [f"after {i}" for i in range(5)]
        seqs = [l["seq"] for l in lines]
        assert seqs == sorted(set(seqs))
        assert not any(l["is_self"] for l in lines)
        assert tail.poll() is None, "tail exited during the outage"
    finally:
        tail.send_signal(signal.SIGTERM)
        rc = tail.wait(10)
        err = tail.stderr.read()
        relay.stop()
        if relay2 is not None:
            relay2.stop()
    assert rc == 0, err
    assert "resuming" in err and "reconnected" in err
