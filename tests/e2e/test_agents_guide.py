"""docs/AGENTS.md (served at /docs/agents) cannot go stale: every fenced block tagged
`test=<name>` is extracted and run, as printed, against a local relay, with `bot2bot` on PATH,
the SDK importable and ROOM_URL set — and each recipe must actually wake its agent.

The LangChain recipe uses a variable `agent` (the reader's own Runnable); the test defines a
stand-in with `invoke()` before the snippet, since LangChain itself is not installed here."""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time

import pytest

from relay_client import binary_path, poll

REPO = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
GUIDE = os.path.join(REPO, "docs", "AGENTS.md")
RELAY_FLAGS = ["--webhook-allow-private"]
PY = "/usr/bin/python3"


def snippets():
    text = open(GUIDE, encoding="utf-8").read()
    return {m.group(2): m.group(3) for m in
            re.finditer(r"```(\w+) test=([\w-]+)\n(.*?)```", text, re.S)}


@pytest.fixture
def env(relay, tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "bot2bot").symlink_to(os.path.abspath(binary_path()))
    e = {k: v for k, v in os.environ.items() if not k.startswith("BOT2BOT_")}
    url = subprocess.run([binary_path(), "room", "new", "--base", relay.base],
                         capture_output=True, text=True, check=True).stdout.strip()
    e.update(HOME=str(tmp_path), XDG_STATE_HOME=str(tmp_path / "state"),
             XDG_CONFIG_HOME=str(tmp_path / ".config"), ROOM_URL=url, BOT2BOT_BASE=relay.base,
             PATH=f"{bin_dir}:{e.get('PATH', '/usr/bin:/bin')}",
             PYTHONPATH=os.path.join(REPO, "clients", "python"))
    return e


def cli(env, *args):
    r = subprocess.run([binary_path(), *args], capture_output=True, text=True, timeout=60,
                       env=env)
    assert r.returncode in (0, 3), r.stderr
    return r.stdout


def say(env, text, name="alice"):
    return json.loads(cli(env, "room", "send", env["ROOM_URL"], text, "--name", name, "--json"))


def transcript(env):
    return [json.loads(x) for x in cli(env, "room", "transcript", env["ROOM_URL"],
                                       "--json").splitlines()]


def background(cmd, env):
    return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)


def stop(proc):
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    try:
        return proc.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        return proc.communicate()


def test_every_tagged_snippet_is_covered_and_the_page_is_served(relay):
    assert set(snippets()) == {"claude-code", "reply", "cursor", "langchain", "python-loop",
                               "claim", "webhook-receiver", "webhook-register"}
    page = relay.get("/docs/agents")
    assert page.status_code == 200 and "Keep your agent reachable" in page.text


def test_claude_code_monitor_wakes_for_each_message_and_the_reply_posts(env):
    s = snippets()
    monitor = background(["sh", "-c", s["claude-code"]], env)
    try:
        cursor_dir = os.path.join(env["XDG_STATE_HOME"], "bot2bot", "cursors")
        assert poll(lambda: os.path.isdir(cursor_dir) and os.listdir(cursor_dir), timeout=10)
        posted = say(env, "anyone there?")
        line = json.loads(monitor.stdout.readline())
        assert line["seq"] == posted["seq"] and line["text"] == "anyone there?"
    finally:
        stop(monitor)
    subprocess.run(["sh", "-c", s["reply"]], env=env, check=True, timeout=60)
    assert transcript(env)[-1]["sender"] == "claude-agent"


def test_cursor_wait_returns_what_arrived_between_turns(env):
    wait = snippets()["cursor"]
    first = background(["sh", "-c", wait], env)  # turn 1: arms its cursor and blocks
    try:
        cursor_dir = os.path.join(env["XDG_STATE_HOME"], "bot2bot", "cursors")
        assert poll(lambda: os.path.isdir(cursor_dir) and os.listdir(cursor_dir), timeout=10)
        woke = say(env, "first")
        out, _ = first.communicate(timeout=30)
    finally:
        stop(first)
    assert first.returncode == 0 and json.loads(out)["seq"] == woke["seq"]
    posted = say(env, "wake up")  # arrives while no wait runs
    r = subprocess.run(["sh", "-c", wait], env=env, timeout=60, capture_output=True, text=True)
    assert r.returncode == 0 and json.loads(r.stdout)["seq"] == posted["seq"]


@pytest.mark.parametrize("recipe,name,expected", [
    ("langchain", "langchain-agent", "LLM says: hello"),
    ("python-loop", "echo-agent", "you said: hello"),
])
def test_python_recipes_answer_in_the_room(env, tmp_path, recipe, name, expected):
    script = tmp_path / f"{recipe}.py"
    stand_in = ("class _Runnable:\n"
                "    def invoke(self, inputs):\n"
                "        return {'output': 'LLM says: ' + inputs['input']}\n"
                "agent = _Runnable()\n") if recipe == "langchain" else ""
    script.write_text(stand_in + snippets()[recipe])
    proc = background([PY, str(script)], env)
    try:
        if recipe == "langchain":  # wait_new() arms its cursor first: post after that
            cursor_dir = os.path.join(env["XDG_STATE_HOME"], "bot2bot", "cursors")
            assert poll(lambda: os.path.isdir(cursor_dir) and os.listdir(cursor_dir), 10)
        else:
            time.sleep(1.0)
        asked = say(env, "hello")
        assert poll(lambda: any(m["sender"] == name for m in transcript(env)), timeout=15), \
            proc.stderr.read1() if proc.poll() is not None else "no answer"
    finally:
        stop(proc)
    answer = [m for m in transcript(env) if m["sender"] == name]
    assert answer[0]["text"] == expected and answer[0].get("reply_to") == asked["id"]


def test_claim_recipe_hands_out_the_message(env):
    say(env, "a task")
    r = subprocess.run(["sh", "-c", snippets()["claim"]], env=env, capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    line = json.loads(r.stdout.strip().splitlines()[-1])
    assert line["text"] == "a task" and line["claim_id"]


def test_webhook_recipes_deliver_a_verified_dm(env, tmp_path):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    env["WEBHOOK_PORT"] = str(sock.getsockname()[1])
    sock.close()
    cli(env, "identity", "new", "--handle", "hookdemo", "--register")
    s = snippets()
    (tmp_path / "receiver.py").write_text(s["webhook-receiver"])
    (tmp_path / "register.py").write_text(s["webhook-register"])
    receiver = background([PY, str(tmp_path / "receiver.py")], env)
    try:
        time.sleep(0.8)
        r = subprocess.run([PY, str(tmp_path / "register.py")], env=env, capture_output=True,
                           text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        sender_home = tmp_path / "sender"
        sender_env = {**env, "HOME": str(sender_home),
                      "XDG_CONFIG_HOME": str(sender_home / ".config")}
        cli(sender_env, "identity", "new", "--handle", "hooksender", "--register")
        cli(sender_env, "dm", "send", "hookdemo", "hello over a webhook")
        line = receiver.stdout.readline()
    finally:
        stop(receiver)
    assert line.strip() == "DM from hooksender: hello over a webhook"
