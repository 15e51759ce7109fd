"""`bot2bot identity|dm|agents` end to end (IDENTITY.md §2–§4; docs/CLI.md): an identity file
created 0600 and registered, shown without secrets; a signed DM read back with inbox --ack
(and gone afterwards); a profile published, signed, and found by search."""

import json
import os
import stat
import subprocess
import time

from relay_client import binary_path


def cli_env(tmp_path, **extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOT2BOT_")}
    env.update(HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path / "config"))
    env.update(extra)
    return env


def run(tmp_path, *args, **extra):
    return subprocess.run([binary_path(), *args], capture_output=True, text=True, timeout=60,
                          env=cli_env(tmp_path, **extra))


def unique(prefix):
    return f"{prefix}-{os.getpid() % 10000}-{int(time.time() * 1000) % 10**7}"


def test_identity_new_register_show(relay, tmp_path):
    handle = unique("cli")
    r = run(tmp_path, "identity", "new", "--handle", handle)
    assert r.returncode == 0, r.stderr
    path = tmp_path / "config" / "bot2bot" / "identity.json"          # the XDG default
    assert path.exists() and stat.S_IMODE(path.stat().st_mode) == 0o600
    saved = json.loads(path.read_text())
    assert saved["bot2bot_identity_v1"] is True and saved["handle"] == handle
    assert set(saved) == {"bot2bot_identity_v1", "handle", "box_sk_b64u", "sign_seed_b64u"}

    r = run(tmp_path, "identity", "new", "--handle", handle)           # no silent overwrite
    assert r.returncode == 2 and "already exists" in r.stderr

    r = run(tmp_path, "identity", "show", "--json")
    assert r.returncode == 0, r.stderr
    shown = json.loads(r.stdout)
    assert shown["handle"] == handle
    assert saved["box_sk_b64u"] not in r.stdout and saved["sign_seed_b64u"] not in r.stdout

    r = run(tmp_path, "identity", "register", "--base", relay.base, "--bio", "cli test")
    assert r.returncode == 0, r.stderr
    g = relay.get(f"/api/identity/{handle}").json()
    assert (g["box_pub"], g["sign_pub"]) == (shown["box_pub"], shown["sign_pub"])
    assert run(tmp_path, "identity", "register", "--base", relay.base).returncode == 0  # owner

    # someone else's key for the same handle: the relay's 409, exit 2
    other = str(tmp_path / "other.json")
    assert run(tmp_path, "identity", "new", "--handle", handle, "--identity", other).returncode == 0
    r = run(tmp_path, "identity", "register", "--base", relay.base, "--identity", other)
    assert r.returncode == 2 and "handle taken" in r.stderr

    r = run(tmp_path, "identity", "new", "--handle", "Bad Handle!", "--identity", other, "--force")
    assert r.returncode == 2 and "handle" in r.stderr


def make_registered(relay, tmp_path, name):
    path = str(tmp_path / f"{name}.json")
    handle = unique(name)
    r = run(tmp_path, "identity", "new", "--handle", handle, "--register", "--base", relay.base,
            "--identity", path)
    assert r.returncode == 0, r.stderr
    return handle, path


def test_dm_send_and_inbox_ack(relay, tmp_path):
    alice, alice_id = make_registered(relay, tmp_path, "alice")
    bob, bob_id = make_registered(relay, tmp_path, "bob")
    base = ["--base", relay.base]

    r = run(tmp_path, "dm", "inbox", *base, "--identity", alice_id)
    assert r.returncode == 1 and "no DMs" in r.stdout

    assert run(tmp_path, "dm", "send", "@" + alice, "hi alice ü", *base,
               "--identity", bob_id).returncode == 0
    r = run(tmp_path, "dm", "send", alice, "who am i", *base, "--anonymous")
    assert r.returncode == 0, r.stderr

    r = run(tmp_path, "dm", "inbox", *base, "--identity", alice_id, "--json")
    assert r.returncode == 0, r.stderr
    envs = [json.loads(l) for l in r.stdout.splitlines()]
    assert [(e["text"], e["from_handle"], e["from_verified"]) for e in envs] == [
        ("hi alice ü", bob, True), ("who am i", None, False)]

    r = run(tmp_path, "dm", "inbox", *base, "--identity", alice_id, "--ack")
    assert r.returncode == 0 and "@" + bob in r.stdout and "(anonymous)" in r.stdout
    r = run(tmp_path, "dm", "inbox", *base, "--identity", alice_id, "--json")
    assert (r.returncode, r.stdout) == (1, "")

    # a long-poll that something arrives into
    waiter = subprocess.Popen([binary_path(), "dm", "inbox", *base, "--identity", alice_id,
                               "--wait", "20", "--json"], stdout=subprocess.PIPE, text=True,
                              env=cli_env(tmp_path))
    time.sleep(0.5)
    assert run(tmp_path, "dm", "send", alice, "late", *base, "--identity", bob_id).returncode == 0
    out, _ = waiter.communicate(timeout=30)
    assert waiter.returncode == 0 and json.loads(out)["text"] == "late"

    r = run(tmp_path, "dm", "send", unique("nobody"), "x", *base, "--identity", bob_id)
    assert r.returncode == 2 and "no such handle" in r.stderr


def test_agents_publish_and_search(relay, tmp_path):
    handle, ident = make_registered(relay, tmp_path, "pub")
    base = ["--base", relay.base, "--identity", ident]
    cap = unique("cap").replace("-", "")
    r = run(tmp_path, "agents", "publish", *base, "--display-name", "CLI Publisher",
            "--summary", "Publishes from the command line", "--framework", "langgraph",
            "--capability", cap, "--capability", "Market Data", "--language", "en",
            "--homepage", "https://example.com", "--json")
    assert r.returncode == 0, r.stderr
    served = json.loads(r.stdout)
    assert served["handle"] == handle and served["capabilities"] == [cap, "market-data"]
    assert served["homepage_url"] == "https://example.com/"

    profile = tmp_path / "profile.json"
    profile.write_text(json.dumps({"display_name": "From File", "summary": "file profile",
                                   "capabilities": [cap], "topics": ["testing"]}))
    r = run(tmp_path, "agents", "publish", *base, "--file", str(profile))
    assert r.returncode == 0, r.stderr

    r = run(tmp_path, "agents", "search", "--base", relay.base, "--capability", cap, "--json")
    assert r.returncode == 0, r.stderr
    found = json.loads(r.stdout)
    assert [a["handle"] for a in found["agents"]] == [handle]
    assert found["agents"][0]["display_name"] == "From File"

    r = run(tmp_path, "agents", "search", "--base", relay.base, "file", "profile")
    assert r.returncode == 0 and "@" + handle in r.stdout and "From File" in r.stdout
    r = run(tmp_path, "agents", "search", "--base", relay.base, unique("zzz"))
    assert r.returncode == 1 and "no agents" in r.stdout

    r = run(tmp_path, "agents", "publish", *base, "--framework", "v1.2")      # "." survives token()
    assert r.returncode == 2 and "invalid framework" in r.stderr
    r = run(tmp_path, "agents", "publish", *base, "--summary", "join me at /room/ABCDEF")
    assert r.returncode == 2 and "forbidden" in r.stderr
