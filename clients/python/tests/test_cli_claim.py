"""The CLI's one-shots `--claim`, `--ack CLAIM_ID SEQ` and `--next` (CLIENT-PROTOCOL.md
§4.2): one JSON line each, exit 0 = message/ok, 1 = empty, 2 = error; the identity file is
created, registered and saved 0600 on first use with --handle."""

import json
import os
import stat

import bot2bot
from relay_client import rand_room

CLAIM_KEYS = ["claim_id", "seq", "sender", "ts", "text", "cursor", "id", "sender_verified"]


def _handle(prefix="cli"):
    return f"{prefix}-{os.urandom(5).hex()}"


def test_claim_ack_next_exit_codes_and_lines(relay, cli, tmp_path):
    url = f"{relay.base}/room/{rand_room()}#k={bot2bot.b64u(os.urandom(32))}"
    handle = _handle()
    key_file = tmp_path / "id" / "worker.key"
    common = ["--handle", handle, "--identity-file", key_file, "--claim-timeout", "1"]

    # Empty (the room does not even exist yet): exit 1 and {"empty": true}.
    r = cli(url, "--claim", *common)
    assert r.returncode == 1, r.stderr
    assert json.loads(r.stdout) == {"empty": True}
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    ident = bot2bot.Identity.load(str(key_file))
    assert ident.handle == handle
    assert ident.lookup(handle, relay.base)["sign_pub"] == ident.sign_pub

    signer = bot2bot.Identity.generate(base_url=relay.base)
    signer.register()
    bot2bot.Room(url, name=handle, heartbeat=False).send("my own label: never a task")
    first = bot2bot.Room(url, identity=signer, heartbeat=False).send("task \u00e9 one")
    second = bot2bot.Room(url, name="boss", heartbeat=False).send("task two")

    r = cli(url, "--claim", *common)
    assert r.returncode == 0, r.stderr
    line = json.loads(r.stdout)
    assert list(line) == CLAIM_KEYS
    assert (line["seq"], line["id"], line["text"]) == (first["seq"], first["id"], "task \u00e9 one")
    assert line["sender"] == "@" + signer.handle and line["sender_verified"] is True
    assert isinstance(line["ts"], float) and isinstance(line["cursor"], int)
    assert "task \u00e9 one" in r.stdout  # non-ASCII unescaped

    again = json.loads(cli(url, "--claim", *common).stdout)
    assert again["claim_id"] == line["claim_id"], "an unacked claim is handed out again"

    bad = cli(url, "--ack", "00000000-0000-4000-8000-000000000000", line["seq"], *common)
    assert bad.returncode == 2 and "409" in bad.stderr

    r = cli(url, "--ack", line["claim_id"], line["seq"], *common)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == {"ok": True, "advanced": True, "cursor": line["seq"]}
    r = cli(url, "--ack", line["claim_id"], line["seq"], *common)
    assert r.returncode == 0 and json.loads(r.stdout)["advanced"] is False

    r = cli(url, "--next", *common)
    assert r.returncode == 0, r.stderr
    nxt = json.loads(r.stdout)
    assert nxt["text"] == "task two" and nxt["seq"] == second["seq"] and "ack_warning" not in nxt
    assert nxt["sender"] == "boss" and nxt["sender_verified"] is False

    r = cli(url, "--next", *common)
    assert r.returncode == 1 and json.loads(r.stdout) == {"empty": True}


def test_name_is_excluded_and_json_identity_files_work(relay, cli, tmp_path):
    url = f"{relay.base}/room/{rand_room()}#k={bot2bot.b64u(os.urandom(32))}"
    ident = bot2bot.Identity.generate(base_url=relay.base)
    path = ident.save(str(tmp_path / "export.json"))
    bot2bot.Room(url, name="my-label", heartbeat=False).send("mine")
    bot2bot.Room(url, name="someone", heartbeat=False).send("theirs")
    r = cli(url, "--next", "--name", "my-label", "--identity-file", path, "--claim-timeout", "1")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["text"] == "theirs"


def test_identity_errors_exit_2(relay, cli, tmp_path):
    url = f"{relay.base}/room/{rand_room()}#k={bot2bot.b64u(os.urandom(32))}"
    missing = tmp_path / "nope.key"
    for mode in (["--claim"], ["--next"], ["--ack", "x", "1"]):
        r = cli(url, *mode, "--identity-file", missing, "--claim-timeout", "1")
        assert r.returncode == 2 and "--handle" in r.stderr, (mode, r.stdout, r.stderr)
    assert not missing.exists()
    other = bot2bot.Identity.generate()
    other.save(str(missing))
    r = cli(url, "--claim", "--handle", _handle(), "--identity-file", missing)
    assert r.returncode == 2 and other.handle in r.stderr
    bad = tmp_path / "invalid handle"
    r = cli(url, "--claim", "--handle", "No Such Handle!", "--identity-file", bad)
    assert r.returncode == 2


def test_default_identity_file_lives_in_home(relay, cli, tmp_path):
    url = f"{relay.base}/room/{rand_room()}#k={bot2bot.b64u(os.urandom(32))}"
    handle = _handle("home")
    r = cli(url, "--claim", "--handle", handle, "--claim-timeout", "1")
    assert r.returncode == 1, r.stderr
    default = tmp_path / ".config" / "bot2bot" / "cli_identity.key"
    assert bot2bot.Identity.load(str(default)).handle == handle
