"""Running the `bot2bot` CLI from end-to-end tests, each in its own home.

Every CLI test gets a private HOME, XDG_CONFIG_HOME (identity files) and XDG_STATE_HOME
(cursors, budgets) under its tmp_path, and no BOT2BOT_* variable leaks in from the caller,
so that tests cannot see each other's state or the developer's own.
"""

import json
import os
import subprocess
import time

from relay_client import binary_path


def cli_env(tmp_path, **extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOT2BOT_")}
    env.update(HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path / "config"),
               XDG_STATE_HOME=str(tmp_path / "state"))
    env.update(extra)
    return env


def run_cli(tmp_path, *args, timeout=60, **extra):
    """Runs `bot2bot ARGS` to completion; the caller checks the exit code."""
    return subprocess.run([binary_path(), *args], capture_output=True, text=True,
                          timeout=timeout, env=cli_env(tmp_path, **extra))


def read_json_lines(path):
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def wait_for_json_lines(path, n, timeout=15):
    """The JSON lines of `path` once it holds at least n, or what it holds at the timeout."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        lines = read_json_lines(path)
        if len(lines) >= n:
            return lines
        time.sleep(0.05)
    return read_json_lines(path)
