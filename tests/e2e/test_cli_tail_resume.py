"""`bot2bot room tail` follows a room through a relay restart: the relay is killed by PID and
started again on the same port and --data-dir while tail keeps running; every message posted
before, during and after the outage lands in the --out file exactly once, in seq order
(ROOMS.md §6.2 resume with ?after=, ready.last_seq as the floor)."""

import json
import signal
import subprocess
import time

from cli_helpers import cli_env, read_json_lines, run_cli, wait_for_json_lines
from relay_client import Relay, binary_path


def send(tmp_path, url, text):
    r = run_cli(tmp_path, "room", "send", url, text, "--name", "poster")
    assert r.returncode == 0, r.stderr


def test_tail_survives_a_relay_restart_without_gap_or_duplicate(tmp_path):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    relay = Relay(data_dir=str(data_dir)).start()
    port = relay.port
    url = run_cli(tmp_path, "room", "new", "--base", relay.base).stdout.strip()
    out = tmp_path / "tail.jsonl"
    tail = subprocess.Popen([binary_path(), "room", "tail", url, "--json", "--name", "watcher",
                             "--out", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=cli_env(tmp_path))
    relay2 = None
    try:
        for i in range(5):
            send(tmp_path, url, f"before {i}")
        assert len(wait_for_json_lines(out, 5, timeout=30)) == 5

        relay.proc.send_signal(signal.SIGKILL)         # by PID, no goodbye
        relay.wait_exit(10)
        time.sleep(0.5)                                 # tail sees the break and backs off

        relay2 = Relay(data_dir=str(data_dir), listen=f"127.0.0.1:{port}").start()
        for i in range(5):                              # likely before tail reconnects
            send(tmp_path, url, f"after {i}")
        lines = wait_for_json_lines(out, 10, timeout=30)
        time.sleep(1.0)                                 # and nothing more arrives
        lines = read_json_lines(out)
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
