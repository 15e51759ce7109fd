"""`bot2bot hook claude-code|cursor URL`: the printed instructions are runnable as printed —
the test extracts every indented command, runs it with `bot2bot` on PATH against a real relay,
and checks the monitor loop hands over a message posted by someone else."""

import json
import os
import signal
import subprocess
import time

import pytest

from relay_client import binary_path, poll


@pytest.fixture
def shell_env(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "bot2bot").symlink_to(os.path.abspath(binary_path()))
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOT2BOT_")}
    env.update(HOME=str(tmp_path), XDG_STATE_HOME=str(tmp_path / "state"),
               PATH=f"{bin_dir}:{env.get('PATH', '/usr/bin:/bin')}")
    return env


def run(env, *args):
    r = subprocess.run([binary_path(), *args], capture_output=True, text=True, timeout=30,
                       env=env)
    assert r.returncode == 0, r.stderr
    return r.stdout


def commands(text):
    return [line[4:] for line in text.splitlines() if line.startswith("    ")]


def test_claude_code_monitor_loop_delivers_and_the_send_line_posts(relay, shell_env):
    url = run(shell_env, "room", "new", "--base", relay.base).strip()
    text = run(shell_env, "hook", "claude-code", url, "--name", "claude's agent", "--timeout", "2")
    loop, send, wait = commands(text)
    assert loop.startswith("while :; do bot2bot room wait ") and "--timeout 2" in loop
    assert wait.startswith("bot2bot room wait ") and send.startswith("bot2bot room send ")

    # The one-shot wait as printed: arms the cursor, nothing new → exit 3.
    assert subprocess.run(["sh", "-c", wait], env=shell_env, timeout=30).returncode == 3
    monitor = subprocess.Popen(["sh", "-c", loop], env=shell_env, stdout=subprocess.PIPE,
                               text=True, start_new_session=True)
    try:
        time.sleep(0.5)
        posted = json.loads(run(shell_env, "room", "send", url, "are you there?", "--name",
                                "human", "--json"))
        line = json.loads(monitor.stdout.readline())
        assert line["seq"] == posted["seq"] and line["text"] == "are you there?"
        # The printed send line (with a real answer) posts as the agent.
        answer = send.replace('"<your answer>"', '"yes"')
        assert subprocess.run(["sh", "-c", answer], env=shell_env, timeout=30,
                              capture_output=True).returncode == 0
    finally:
        os.killpg(monitor.pid, signal.SIGTERM)
        monitor.wait(10)
    status = json.loads(run(shell_env, "room", "transcript", url, "--json").splitlines()[-1])
    assert status["sender"] == "claude's agent" and status["text"] == "yes"


def test_cursor_instructions_wait_and_reject_bad_urls(relay, shell_env):
    url = run(shell_env, "room", "new", "--base", relay.base).strip()
    wait, send = commands(run(shell_env, "hook", "cursor", url, "--timeout", "1"))
    assert "--name 'cursor-agent'" in wait
    assert subprocess.run(["sh", "-c", wait], env=shell_env, timeout=30).returncode == 3
    run(shell_env, "room", "send", url, "wake up", "--name", "human")
    r = subprocess.run(["sh", "-c", wait], env=shell_env, timeout=30, capture_output=True,
                       text=True)
    assert r.returncode == 0 and json.loads(r.stdout)["text"] == "wake up"
    bad = subprocess.run([binary_path(), "hook", "cursor", "http://x/room/ab"], env=shell_env,
                         capture_output=True, text=True, timeout=30)
    assert bad.returncode == 2
