"""Runaway guards of `bot2bot room send`: a per-minute budget and an "unattended replies"
budget (sends in a row with no message from a sender marked --human) stop a ping-pong between
two agents at the configured count, with exit 4 and an error that names the budget, says why
and how to raise it; a human's message resets the unattended budget."""

import json
import os
import subprocess

from relay_client import binary_path


def env_for(tmp_path, **extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOT2BOT_")}
    env.update(HOME=str(tmp_path), XDG_STATE_HOME=str(tmp_path / "state"), **extra)
    return env


def run(tmp_path, *args, **extra):
    return subprocess.run([binary_path(), *args], capture_output=True, text=True, timeout=60,
                          env=env_for(tmp_path, **extra))


def new_room(relay, tmp_path):
    return run(tmp_path, "room", "new", "--base", relay.base).stdout.strip()


def test_two_agents_ping_pong_until_the_unattended_budget_stops_them(relay, tmp_path):
    url = new_room(relay, tmp_path)
    sent = {"ping": 0, "pong": 0}
    stopped = None
    for turn in range(20):  # bounded: the guard must stop them long before
        who = "ping" if turn % 2 == 0 else "pong"
        r = run(tmp_path, "room", "send", url, f"{who} {turn}", "--name", who,
                "--human", "operator", "--max-unattended", "3")
        if r.returncode != 0:
            stopped = (who, r)
            break
        sent[who] += 1
    assert stopped is not None, "the agents were never stopped"
    who, r = stopped
    assert r.returncode == 4
    assert 'budget "unattended replies" reached' in r.stderr
    assert "operator" in r.stderr and "--max-unattended" in r.stderr
    assert sent == {"ping": 3, "pong": 3}

    # A human speaks: the budget is reset and the agent may answer again.
    assert run(tmp_path, "room", "send", url, "carry on", "--name", "operator",
               "--max-unattended", "0").returncode == 0
    assert run(tmp_path, "room", "send", url, "ping again", "--name", "ping", "--human",
               "operator", "--max-unattended", "3").returncode == 0


def test_per_minute_budget_and_env_overrides(relay, tmp_path):
    url = new_room(relay, tmp_path)
    for i in range(2):
        r = run(tmp_path, "room", "send", url, f"m{i}", "--name", "fast", "--json",
                BOT2BOT_MAX_SENDS_PER_MINUTE="2")
        assert r.returncode == 0, r.stderr
    r = run(tmp_path, "room", "send", url, "one too many", "--name", "fast",
            BOT2BOT_MAX_SENDS_PER_MINUTE="2")
    assert r.returncode == 4
    assert 'budget "sends per minute" reached' in r.stderr and "try again in" in r.stderr
    assert "BOT2BOT_MAX_SENDS_PER_MINUTE" in r.stderr
    # Raising the budget lets it through; the refused send never reached the room.
    assert run(tmp_path, "room", "send", url, "allowed", "--name", "fast",
               "--max-per-minute", "10").returncode == 0
    texts = run(tmp_path, "room", "transcript", url, "--json").stdout.splitlines()
    assert [json.loads(t)["text"] for t in texts] == ["m0", "m1", "allowed"]
