"""`bot2bot room wait` end to end: a wait resumes from a saved cursor, so an agent that forgot
to re-arm (or whose monitor died) never loses a message.

Covers: first use starts at the room's end; five messages posted while no wait runs all come
back from the next wait, in order, and the wait after that blocks until a sixth; a wait whose
stdout nobody reads exits non-zero and leaves the cursor where it was; two waits with separate
cursors each see every message once; the caller's own messages and protocol envelopes never
end a wait; timeout exits 3 with no output; the cursor file is JSON with the last seq."""

import json
import os
import subprocess
import time

from cli_helpers import cli_env, run_cli
from relay_client import binary_path


def new_room(relay, tmp_path):
    r = run_cli(tmp_path, "room", "new", "--base", relay.base)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


def send(tmp_path, url, text, name="peer"):
    r = run_cli(tmp_path, "room", "send", url, text, "--name", name, "--json")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def wait(tmp_path, url, *extra, name="agent", timeout=5):
    return run_cli(tmp_path, "room", "wait", url, "--name", name, "--timeout", str(timeout), *extra,
               timeout=timeout + 30)


def lines(result):
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


def test_first_use_starts_at_the_room_end_and_times_out_with_exit_3(relay, tmp_path):
    url = new_room(relay, tmp_path)
    send(tmp_path, url, "history before the agent arrived")
    started = time.monotonic()
    r = wait(tmp_path, url, timeout=1)
    assert r.returncode == 3, r.stderr
    assert r.stdout == ""
    assert time.monotonic() - started >= 0.9
    cursor_files = list((tmp_path / "state" / "bot2bot" / "cursors").iterdir())
    assert len(cursor_files) == 1
    saved = json.loads(cursor_files[0].read_text())
    status = relay.get(f"/api/rooms/{url.split('/room/')[1].split('#')[0]}/status").json()
    assert saved["seq"] == status["last_seq"] > 0


def test_forgotten_rearm_returns_everything_then_blocks_until_the_next(relay, tmp_path):
    url = new_room(relay, tmp_path)
    assert wait(tmp_path, url, timeout=1).returncode == 3  # arms the cursor, nothing new
    posted = [send(tmp_path, url, f"message {i}") for i in range(5)]

    r = wait(tmp_path, url)
    assert r.returncode == 0, r.stderr
    got = lines(r)
    assert [m["text"] for m in got] == [f"message {i}" for i in range(5)]
    assert [m["seq"] for m in got] == [p["seq"] for p in posted]
    assert list(got[0])[:5] == ["seq", "ts", "sender", "text", "is_self"]
    assert all(m["sender"] == "peer" and m["is_self"] is False for m in got)
    assert all(m["id"] == p["id"] and m["sender_verified"] is False for m, p in zip(got, posted))
    assert all(abs(m["ts"] - time.time()) < 60 for m in got)  # Unix seconds, not ms

    blocked = subprocess.Popen(
        [binary_path(), "room", "wait", url, "--name", "agent", "--timeout", "30"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=cli_env(tmp_path))
    try:
        time.sleep(1.0)
        assert blocked.poll() is None, "the wait returned without a new message"
        sixth = send(tmp_path, url, "message 5")
        out, err = blocked.communicate(timeout=20)
    finally:
        if blocked.poll() is None:
            blocked.kill()
    assert blocked.returncode == 0, err
    assert [json.loads(x)["seq"] for x in out.splitlines()] == [sixth["seq"]]


def test_a_closed_pipe_leaves_the_cursor_so_the_next_wait_repeats(relay, tmp_path):
    url = new_room(relay, tmp_path)
    assert wait(tmp_path, url, timeout=1).returncode == 3
    cursor_file = next((tmp_path / "state" / "bot2bot" / "cursors").iterdir())
    before = cursor_file.read_text()
    first = send(tmp_path, url, "do not lose me")

    # The monitor died: its end of the pipe is closed before the wait writes anything.
    read_end, write_end = os.pipe()
    os.close(read_end)
    dead = subprocess.run([binary_path(), "room", "wait", url, "--name", "agent",
                           "--timeout", "5"], stdout=write_end, stderr=subprocess.PIPE,
                          text=True, timeout=30, env=cli_env(tmp_path))
    os.close(write_end)
    assert dead.returncode not in (0, 3), dead.stderr
    assert "cursor left at" in dead.stderr
    assert cursor_file.read_text() == before

    again = wait(tmp_path, url)
    assert again.returncode == 0, again.stderr
    assert [m["seq"] for m in lines(again)] == [first["seq"]]
    assert json.loads(cursor_file.read_text())["seq"] == first["seq"]


def test_two_waits_with_their_own_cursors_each_see_every_message_once(relay, tmp_path):
    url = new_room(relay, tmp_path)
    a, b = str(tmp_path / "a.json"), str(tmp_path / "b.json")
    for cursor in (a, b):
        assert wait(tmp_path, url, "--cursor", cursor, timeout=1).returncode == 3
    sent = [send(tmp_path, url, f"m{i}")["seq"] for i in range(3)]
    seen = {a: [], b: []}
    for cursor in (a, b, a, b):
        r = wait(tmp_path, url, "--cursor", cursor, timeout=1)
        assert r.returncode in (0, 3), r.stderr
        seen[cursor] += [m["seq"] for m in lines(r)]
    assert seen[a] == sent and seen[b] == sent


def test_own_messages_and_envelopes_do_not_end_a_wait(relay, tmp_path):
    url = new_room(relay, tmp_path)
    assert wait(tmp_path, url, timeout=1).returncode == 3
    send(tmp_path, url, "my own words", name="agent")
    send(tmp_path, url, '{"bot2bot_react_v1":true,"target_id":"abcdefgh","emoji":"+","op":"add"}')
    assert wait(tmp_path, url, timeout=2).returncode == 3

    mine = send(tmp_path, url, "mine again", name="agent")
    r = wait(tmp_path, url, "--include-self", timeout=5)
    assert r.returncode == 0, r.stderr
    assert [(m["seq"], m["is_self"]) for m in lines(r)] == [(mine["seq"], True)]


def test_bad_cursor_file_is_an_error_that_says_how_to_recover(relay, tmp_path):
    url = new_room(relay, tmp_path)
    bad = tmp_path / "bad.json"
    bad.write_text("not json")
    r = wait(tmp_path, url, "--cursor", str(bad), timeout=1)
    assert r.returncode == 2
    assert "delete it to start over" in r.stderr


def test_a_cursor_behind_the_replay_window_gets_a_gap_line_first(relay_factory, tmp_path):
    small = relay_factory("--room-buffer-max", "3")
    url = new_room(small, tmp_path)
    assert wait(tmp_path, url, timeout=1).returncode == 3
    cursor = json.loads(next((tmp_path / "state" / "bot2bot" / "cursors").iterdir()).read_text())
    posted = [send(tmp_path, url, f"m{i}")["seq"] for i in range(5)]  # m0, m1 fall out

    r = wait(tmp_path, url)
    assert r.returncode == 0, r.stderr
    got = lines(r)
    assert got[0] == {"type": "gap", "after": cursor["seq"], "first_available": posted[2]}
    assert [m["text"] for m in got[1:]] == ["m2", "m3", "m4"]
    assert wait(tmp_path, url, timeout=1).returncode == 3  # the gap is reported once


def test_messages_lost_with_an_evicted_room_are_a_gap_not_silence(relay_factory, tmp_path):
    fast = relay_factory("--janitor-ms", "100", "--room-grace-ms", "300", "--room-retain-ms", "0")
    url = new_room(fast, tmp_path)
    room_id = url.split("/room/")[1].split("#")[0]
    assert wait(tmp_path, url, timeout=0).returncode == 3
    send(tmp_path, url, "said while nobody listened")
    deadline = time.time() + 10
    while fast.get(f"/api/rooms/{room_id}/status").json()["exists"] and time.time() < deadline:
        time.sleep(0.1)
    assert fast.get(f"/api/rooms/{room_id}/status").json()["exists"] is False

    r = wait(tmp_path, url, timeout=1)
    assert r.returncode == 0, r.stderr
    gap = lines(r)
    assert len(gap) == 1 and gap[0]["type"] == "gap" and gap[0]["first_available"] is None
    assert wait(tmp_path, url, timeout=1).returncode == 3

    # A newcomer to the evicted room is not told of a loss it never had.
    fresh = run_cli(tmp_path, "room", "wait", url, "--name", "newcomer", "--timeout", "1")
    assert fresh.returncode == 3 and fresh.stdout == ""


def test_an_unattended_room_keeps_its_messages_for_a_late_wait(relay_factory, tmp_path):
    """Nobody listens and nobody waits: the room outlives the idle grace because it holds
    messages, so a wait re-armed late still gets them (the retention is shortened here)."""
    slow = relay_factory("--janitor-ms", "100", "--room-grace-ms", "300",
                         "--room-retain-ms", "4000")
    url = new_room(slow, tmp_path)
    room_id = url.split("/room/")[1].split("#")[0]
    assert wait(tmp_path, url, timeout=0).returncode == 3
    sent = [send(tmp_path, url, f"while you were away {i}")["seq"] for i in range(3)]
    time.sleep(1.5)  # five janitor passes past the idle grace
    assert slow.get(f"/api/rooms/{room_id}/status").json()["exists"] is True
    r = wait(tmp_path, url, timeout=2)
    assert r.returncode == 0, r.stderr
    assert [m["seq"] for m in lines(r)] == sent
    # Past the retention the room goes, and a wait behind it is told of the loss.
    send(tmp_path, url, "said just before the room was dropped")
    deadline = time.time() + 15
    while slow.get(f"/api/rooms/{room_id}/status").json()["exists"] and time.time() < deadline:
        time.sleep(0.2)
    assert slow.get(f"/api/rooms/{room_id}/status").json()["exists"] is False
    gap = lines(wait(tmp_path, url, timeout=1))
    assert gap and gap[0]["type"] == "gap"


def test_a_pipe_nobody_reads_leaves_the_cursor(relay, tmp_path):
    url = new_room(relay, tmp_path)
    assert wait(tmp_path, url, timeout=1).returncode == 3
    cursor_file = next((tmp_path / "state" / "bot2bot" / "cursors").iterdir())
    before = cursor_file.read_text()
    stuck = subprocess.Popen(
        [binary_path(), "room", "wait", url, "--name", "agent", "--timeout", "10",
         "--drain-timeout", "1"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=cli_env(tmp_path))
    try:
        time.sleep(0.5)
        posted = send(tmp_path, url, "read me, please")
        assert stuck.wait(timeout=20) == 2  # the monitor is alive but never reads its pipe
        assert b"nobody read the messages" in stuck.stderr.read()
    finally:
        if stuck.poll() is None:
            stuck.kill()
        stuck.stdout.close()
        stuck.stderr.close()
    assert cursor_file.read_text() == before
    again = wait(tmp_path, url)
    assert [m["seq"] for m in lines(again)] == [posted["seq"]]
