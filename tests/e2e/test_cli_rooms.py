"""`bot2bot room …` end to end: the real CLI against the real relay (docs/CLI.md).

room new → send → tail --json --out (file grows, is_self right, envelopes hidden), status and
transcript, claim/ack/next exit codes (CLIENT-PROTOCOL.md §4.2), --help everywhere, and the
exit-2 errors (bad URL, bad key, relay down, relay refusals)."""

import json
import os
import signal
import socket
import subprocess
import time

import pytest

from cli_helpers import cli_env, read_json_lines, run_cli, wait_for_json_lines
from relay_client import binary_path

HELP_PATHS = [
    [], ["room"], ["room", "new"], ["room", "send"], ["room", "tail"], ["room", "wait"], ["room", "status"],
    ["room", "transcript"], ["room", "claim"], ["room", "ack"], ["room", "next"],
    ["identity"], ["identity", "new"], ["identity", "register"], ["identity", "show"],
    ["dm"], ["dm", "send"], ["dm", "inbox"], ["agents"], ["agents", "search"],
    ["agents", "publish"],
]


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def new_room(relay, tmp_path):
    r = run_cli(tmp_path, "room", "new", "--base", relay.base)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


def test_room_new_prints_a_fresh_invite_url(relay, tmp_path):
    a, b = new_room(relay, tmp_path), new_room(relay, tmp_path)
    assert a != b
    prefix = relay.base + "/room/"
    assert a.startswith(prefix)
    room_id, key = a[len(prefix):].split("#k=")
    assert len(room_id) == 10 and set(room_id) <= set("ABCDEFGHJKLMNPQRSTUVWXYZ23456789")
    assert len(key) == 43 and "=" not in key
    # BOT2BOT_BASE is the default base
    r = run_cli(tmp_path, "room", "new", "--json", BOT2BOT_BASE=relay.base)
    j = json.loads(r.stdout)
    assert j["url"].startswith(prefix) and len(j["fingerprint"]) == 19


def test_send_and_tail_json_out_file_grows_with_is_self(relay, tmp_path):
    url = new_room(relay, tmp_path)
    out = tmp_path / "tail.jsonl"
    r = run_cli(tmp_path, "room", "send", url, "before tail", "--name", "alice")
    assert r.returncode == 0, r.stderr
    assert "seq=" in r.stdout and "message_id=" in r.stdout
    tail = subprocess.Popen([binary_path(), "room", "tail", url, "--json", "--name", "alice",
                             "--include-self", "--out", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=cli_env(tmp_path))
    try:
        lines = wait_for_json_lines(out, 1)
        assert [l["text"] for l in lines] == ["before tail"]
        assert run_cli(tmp_path, "room", "send", url, "from bob ü", "--name", "bob").returncode == 0
        envelope = json.dumps({"bot2bot_react_v1": True, "target_id": lines[0]["id"],
                               "emoji": "+", "op": "add"})
        assert run_cli(tmp_path, "room", "send", url, envelope, "--name", "bob").returncode == 0
        r = run_cli(tmp_path, "room", "send", url, "reply", "--name", "alice", "--reply-to",
                lines[0]["id"], "--json")
        sent = json.loads(r.stdout)
        lines = wait_for_json_lines(out, 3)
        time.sleep(0.3)
        lines = read_json_lines(out)
        assert [l["text"] for l in lines] == ["before tail", "from bob ü", "reply"]
        assert [l["is_self"] for l in lines] == [True, False, True]
        assert [l["sender"] for l in lines] == ["alice", "bob", "alice"]
        first = lines[0]
        assert list(first)[:5] == ["seq", "ts", "sender", "text", "is_self"]
        assert isinstance(first["ts"], float) and abs(first["ts"] - time.time()) < 60
        assert first["sender_verified"] is False and len(first["id"]) == 36
        assert lines[2]["reply_to"] == first["id"] and lines[2]["seq"] == sent["seq"]
        seqs = [l["seq"] for l in lines]
        assert seqs == sorted(seqs) and len(set(seqs)) == 3
    finally:
        tail.send_signal(signal.SIGTERM)
        rc = tail.wait(10)
    assert rc == 0, tail.stderr.read()


def test_tail_hides_own_messages_without_include_self_and_prints_human_lines(relay, tmp_path):
    url = new_room(relay, tmp_path)
    run_cli(tmp_path, "room", "send", url, "mine", "--name", "me")
    run_cli(tmp_path, "room", "send", url, "theirs", "--name", "other")
    tail = subprocess.Popen([binary_path(), "room", "tail", url, "--name", "me"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=cli_env(tmp_path))
    try:
        line = tail.stdout.readline()
    finally:
        tail.send_signal(signal.SIGINT)
        assert tail.wait(10) == 0
    hhmmss, rest = line.split("  ", 1)
    assert len(hhmmss) == 8 and hhmmss[2] == ":" and hhmmss[5] == ":"
    assert rest.split() == ["other", "theirs"]


def test_status_and_transcript(relay, tmp_path):
    url = new_room(relay, tmp_path)
    r = run_cli(tmp_path, "room", "status", url)
    assert r.returncode == 1 and "does not currently exist" in r.stdout
    assert run_cli(tmp_path, "room", "transcript", url).returncode == 1
    for i in range(3):
        assert run_cli(tmp_path, "room", "send", url, f"m{i}", "--name", "s").returncode == 0
    run_cli(tmp_path, "room", "send", url, json.dumps({"bot2bot_delete_v1": True, "target_id": "x"}))
    r = run_cli(tmp_path, "room", "status", url, "--json")
    assert r.returncode == 0, r.stderr
    st = json.loads(r.stdout)
    assert st["exists"] is True and st["recent_count"] == 4
    r = run_cli(tmp_path, "room", "transcript", url, "--json", "--name", "s")
    assert r.returncode == 0
    lines = [json.loads(l) for l in r.stdout.splitlines()]
    assert [l["text"] for l in lines] == ["m0", "m1", "m2"]          # envelope hidden
    assert all(l["is_self"] for l in lines)
    r = run_cli(tmp_path, "room", "transcript", url, "--after", str(lines[0]["seq"]))
    assert r.returncode == 0 and r.stdout.count("\n") == 2 and "m0" not in r.stdout


def test_claim_ack_next_exit_codes(relay, tmp_path):
    url = new_room(relay, tmp_path)
    ident = str(tmp_path / "worker.json")
    handle = f"w{os.getpid() % 100000}x{int(time.time() * 1000) % 100000}"
    r = run_cli(tmp_path, "identity", "new", "--handle", handle, "--register", "--base", relay.base,
            BOT2BOT_IDENTITY=ident)
    assert r.returncode == 0, r.stderr
    env = {"BOT2BOT_IDENTITY": ident}

    r = run_cli(tmp_path, "room", "claim", url, "--timeout", "1", "--json", **env)
    assert (r.returncode, r.stdout.strip()) == (1, '{"empty":true}'), r.stderr

    run_cli(tmp_path, "room", "send", url, "task 1", "--name", "boss")
    run_cli(tmp_path, "room", "send", url, "my own note", "--name", handle)     # excluded: own label
    r = run_cli(tmp_path, "room", "claim", url, "--timeout", "5", "--json", **env)
    assert r.returncode == 0, r.stderr
    c = json.loads(r.stdout)
    assert (c["text"], c["sender"], c["sender_verified"]) == ("task 1", "boss", False)
    assert set(c) >= {"claim_id", "seq", "sender", "ts", "text", "cursor", "id"}
    # an unacked claim comes back with the same claim_id
    again = json.loads(run_cli(tmp_path, "room", "claim", url, "--json", **env).stdout)
    assert again["claim_id"] == c["claim_id"]
    r = run_cli(tmp_path, "room", "ack", url, c["claim_id"], str(c["seq"]), "--json", **env)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == {"ok": True, "advanced": True, "cursor": c["seq"]}
    r = run_cli(tmp_path, "room", "ack", url, c["claim_id"], str(c["seq"]), **env)
    assert r.returncode == 0 and "no change" in r.stdout

    # envelopes are acked and skipped, never handed out as tasks
    run_cli(tmp_path, "room", "send", url,
        json.dumps({"bot2bot_react_v1": True, "target_id": c["id"], "emoji": "+", "op": "add"}),
        "--name", "boss")
    r = run_cli(tmp_path, "room", "claim", url, "--timeout", "1", **env)
    assert r.returncode == 1 and "no new messages" in r.stdout

    run_cli(tmp_path, "room", "send", url, "task 2", "--name", "boss")
    r = run_cli(tmp_path, "room", "next", url, "--json", **env)
    assert r.returncode == 0, r.stderr
    n = json.loads(r.stdout)
    assert n["text"] == "task 2" and "ack_warning" not in n
    assert run_cli(tmp_path, "room", "next", url, "--timeout", "1", **env).returncode == 1

    # a stale ack is the relay's 409: exit 2 with its error text on stderr
    r = run_cli(tmp_path, "room", "ack", url, "00000000-0000-4000-8000-000000000000",
            str(n["seq"] + 10**6), **env)
    assert r.returncode == 2 and "stale or unknown claim" in r.stderr and "409" in r.stderr

    # no identity: exit 2 with a hint
    r = run_cli(tmp_path, "room", "claim", url, BOT2BOT_IDENTITY=str(tmp_path / "none.json"))
    assert r.returncode == 2 and "identity new" in r.stderr


@pytest.mark.parametrize("path", HELP_PATHS, ids=lambda p: " ".join(p) or "top")
def test_help_of_every_command_exits_0(tmp_path, path):
    r = run_cli(tmp_path, *path, "--help")
    assert r.returncode == 0, r.stderr
    assert "Usage" in r.stdout or "Commands" in r.stdout
    if path:
        assert "Exit codes" in r.stdout


def test_errors_exit_2_with_a_clear_message(relay, tmp_path):
    key = "CgsMDQ4PEBESExQVFhcYGRobHB0eHyAhIiMkJSYnKCk"
    cases = [
        (["room", "send", f"{relay.base}/rooms/ABCDEF#k={key}", "x"], "bad room URL"),
        (["room", "send", f"{relay.base}/room/ABC#k={key}", "x"], "bad room URL"),
        (["room", "tail", f"{relay.base}/room/ABCDEF#k=tooshort"], "bad room key"),
        (["room", "status", f"{relay.base}/room/ABCDEF"], "bad room key"),
        (["room", "send", f"https://example.com/room/ABCDEF#k={key}", "x"], "https"),
        (["room", "send"], "required"),
        (["room", "send", f"{relay.base}/room/ABCDEF#k={key}", "x", "--name", "@admin"],
         "cannot start with '@'"),
        (["room", "frobnicate"], ""),
        (["nosuchcommand"], "unknown command"),
        (["identity", "show", "--identity", str(tmp_path / "missing.json")], "no identity"),
    ]
    for args, needle in cases:
        r = run_cli(tmp_path, *args, timeout=30)
        assert r.returncode == 2, (args, r.returncode, r.stdout, r.stderr)
        assert needle in r.stderr, (args, r.stderr)

    down = f"http://127.0.0.1:{free_port()}"
    for args in (["room", "status", f"{down}/room/ABCDEF#k={key}"],
                 ["room", "tail", f"{down}/room/ABCDEF#k={key}"],
                 ["agents", "search", "--base", down]):
        t0 = time.time()
        r = run_cli(tmp_path, *args, timeout=60)
        assert r.returncode == 2, (args, r.stdout, r.stderr)
        assert "relay unreachable" in r.stderr and "127.0.0.1" in r.stderr
        assert time.time() - t0 < 30
