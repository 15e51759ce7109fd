"""Issue 8 §6: faults of the store.

* A full store (SQLite's SQLITE_FULL, reached for real through `--store-max-bytes`, which sets
  PRAGMA max_page_count): writes answer 503 `{"error":"storage full"}` with Retry-After, refused
  writes leave nothing behind, reads and rooms keep working; once there is room again (restart
  with a larger cap) writes succeed, every acknowledged write is there, and
  `PRAGMA integrity_check` says ok.
* A corrupt or unusable database at start: one line on stderr naming the file, exit code 1,
  never a crash (a signal) and never a listening socket.
"""

import os
import sqlite3
import subprocess

import requests

from identity_client import (Ident, ack, claim, err, inbox_all, put_profile, rand_handle,
                             register, register_ok)
from relay_client import binary_path, message_body, new_ip, rand_room

CAP_BYTES = 100 * 1024  # the empty schema takes ~68 KiB: about 32 KiB left for writes
MAX_WRITES = 3000       # bound on the fill loop (it takes a few hundred)


def integrity(db_path: str) -> str:
    con = sqlite3.connect(db_path)
    try:
        return con.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        con.close()


def stored_claim_cursors(db_path: str) -> dict:
    """handle -> persisted claim cursor (all rooms; the tests use one)."""
    con = sqlite3.connect(db_path)
    try:
        return dict(con.execute("SELECT handle, cursor FROM claim_cursors").fetchall())
    finally:
        con.close()


def fill_until_full(relay, session):
    """Register identities until one answers 503; returns (acknowledged idents, the 503)."""
    acked = []
    for i in range(MAX_WRITES):
        ident = Ident(rand_handle(f"f{i}"))
        r = register(relay, ident, ip=new_ip() if i % 100 == 0 else fill_until_full.ip,
                     session=session)
        if i % 100 == 0:
            fill_until_full.ip = r.request.headers.get("X-Forwarded-For")
        if r.status_code == 201:
            acked.append(ident)
            continue
        return acked, ident, r
    raise AssertionError(f"no 503 after {MAX_WRITES} registrations under a {CAP_BYTES}-byte cap")


fill_until_full.ip = None


def test_full_store_answers_503_keeps_rooms_and_recovers(relay_factory, tmp_path):
    data = str(tmp_path)
    relay = relay_factory("--store-max-bytes", CAP_BYTES, data_dir=data)
    s = requests.Session()
    acked, refused, r = fill_until_full(relay, s)
    assert len(acked) >= 10, f"only {len(acked)} registrations fit under the cap"
    assert r.status_code == 503, (r.status_code, r.text)
    assert err(r) == "storage full"
    assert r.headers.get("Retry-After") == "5"
    assert r.headers["Content-Type"].startswith("application/json")
    db_bytes = os.path.getsize(os.path.join(data, "bot2bot.db"))
    print(f"store full after {len(acked)} registrations (cap {CAP_BYTES} bytes, "
          f"database file {db_bytes} bytes before checkpoint)")

    # The refused registration left nothing behind: unknown, and the handle can be taken later.
    assert relay.get(f"/api/identity/{refused.handle}").status_code == 404

    # DMs fill the last partly used pages, then answer 503 too; every 200 is remembered.
    alice, bob = acked[0], acked[1]
    dm_acked, dm_refused = [], 0
    ip = new_ip()
    for i in range(200):
        r = relay.post(f"/api/dm/{alice.handle}", bob.dm_body_to(alice, text=f"dm {i}"), ip=ip,
                       session=s)
        if r.status_code == 200:
            dm_acked.append(r.json()["id"])
            continue
        assert r.status_code == 503, r.text
        assert err(r) == "storage full" and r.headers.get("Retry-After") == "5"
        dm_refused += 1
        if dm_refused >= 3:
            break
    assert dm_refused >= 3, "DMs never hit the cap"
    live = [e["id"] for e in inbox_all(relay, alice, ip=new_ip(), session=s)]
    assert live == dm_acked, "a DM answered 503 is in the inbox anyway (its sender will retry)"

    # A profile publish refused with 503 is not served either (it would vanish on restart).
    refused_profiles = 0
    ip = new_ip()
    for ident in acked[2:12]:
        r = put_profile(relay, ident, ip=ip, session=s)
        if r.status_code == 201:
            continue
        assert r.status_code == 503 and err(r) == "storage full", r.text
        refused_profiles += 1
        assert relay.get(f"/api/agents/{ident.handle}").status_code == 404
    assert refused_profiles > 0, "profiles never hit the cap"

    # Claim cursors fill up too. An ack answered 503 is not durable, so its retry must not be
    # answered 200 (a restart would deliver the task again after the worker saw success).
    task_room = rand_room()
    task_seq = relay.post_ok(task_room, message_body("task"), ip=new_ip())["seq"]
    acked_workers, refused_worker = [], None
    for ident in acked[12:]:
        ip = new_ip()
        c = claim(relay, ident, task_room, ip=ip, session=s)
        assert c.status_code == 200 and c.json()["message"]["seq"] == task_seq, c.text
        r = ack(relay, ident, task_room, c.json()["claim_id"], task_seq, ip=ip, session=s)
        if r.status_code == 200:
            acked_workers.append(ident)
            continue
        assert r.status_code == 503 and err(r) == "storage full", r.text
        retry = ack(relay, ident, task_room, c.json()["claim_id"], task_seq, ip=ip, session=s)
        assert retry.status_code == 503, f"a retried ack of an unpersisted cursor: {retry.text}"
        refused_worker = ident
        break
    assert refused_worker is not None, "acks never hit the cap"

    # Rooms never touch the store: posting, reading and waiting all work while it is full.
    room = rand_room()
    ip = new_ip()
    seqs = [relay.post_ok(room, message_body(f"m{i}"), ip=ip)["seq"] for i in range(20)]
    assert seqs == sorted(seqs) and len(set(seqs)) == 20
    assert [m["seq"] for m in relay.transcript(room)["messages"]] == seqs
    w = relay.get(f"/api/rooms/{room}/wait?after={seqs[-2]}&timeout=1", ip=ip)
    assert w.status_code == 200 and [m["seq"] for m in w.json()["messages"]] == seqs[-1:]
    relay.health()
    # Reads of stored state keep working as well.
    assert relay.get(f"/api/identity/{acked[-1].handle}").status_code == 200
    assert relay.stop() == 0
    # Every acknowledged ack is on disk; the refused one, answered 503 twice, is not.
    cursors = stored_claim_cursors(os.path.join(data, "bot2bot.db"))
    assert all(cursors.get(w.handle) == task_seq for w in acked_workers), cursors
    assert refused_worker.handle not in cursors

    # Space returns (a larger cap): writes succeed again and nothing acknowledged was lost.
    relay2 = relay_factory("--store-max-bytes", 64 * 1024 * 1024, data_dir=data)
    s = requests.Session()
    for ident in acked:
        assert s.get(relay2.url(f"/api/identity/{ident.handle}"), timeout=10).status_code == 200
    assert s.get(relay2.url(f"/api/identity/{refused.handle}"), timeout=10).status_code == 404
    register_ok(relay2, refused, ip=new_ip(), session=s)
    more = [Ident(rand_handle("after")) for _ in range(50)]
    ip = new_ip()
    for ident in more:
        register_ok(relay2, ident, ip=ip, session=s)
    r = relay2.post(f"/api/dm/{alice.handle}", bob.dm_body_to(alice, text="room again"),
                    ip=new_ip(), session=s)
    assert r.status_code == 200, r.text
    envs = inbox_all(relay2, alice, ip=new_ip(), session=s)
    ids = [e["id"] for e in envs]
    assert ids[:len(dm_acked)] == dm_acked, "an acknowledged DM is missing after the restart"
    assert ids[-1] == r.json()["id"]
    assert len(ids) == len(dm_acked) + 1, "a DM refused with 503 was delivered anyway"
    assert relay2.stop() == 0
    assert integrity(os.path.join(data, "bot2bot.db")) == "ok"


# ------------------------------------------------------------------------------------------
# A database that cannot be used at start
# ------------------------------------------------------------------------------------------


def serve_once(data_dir: str, timeout: float = 15):
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOT2BOT_")}
    return subprocess.run([binary_path(), "serve", "--listen", "127.0.0.1:0", "--data-dir",
                           data_dir], stdin=subprocess.DEVNULL, capture_output=True,
                          timeout=timeout, env=env)


def assert_refuses_to_start(data_dir: str, names: str):
    p = serve_once(data_dir)
    out, errs = p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")
    assert p.returncode == 1, f"exit {p.returncode} (negative = killed by a signal)\n{errs}"
    assert "listening on" not in out
    lines = [ln for ln in errs.splitlines() if ln.strip()]
    assert len(lines) == 1, f"expected one line on stderr, got:\n{errs}"
    assert names in lines[0], f"{names!r} not named in {lines[0]!r}"
    return lines[0]


def populated_database(relay_factory, tmp_path) -> bytes:
    """The bytes of a real, checkpointed database holding a few identities."""
    (tmp_path / "source").mkdir()
    d = str(tmp_path / "source")
    relay = relay_factory(data_dir=d)
    ip = new_ip()
    for _ in range(30):
        register_ok(relay, Ident(rand_handle("src")), ip=ip)
    assert relay.stop() == 0
    with open(os.path.join(d, "bot2bot.db"), "rb") as f:
        return f.read()


def test_garbage_database_file(tmp_path):
    d = tmp_path / "garbage"
    d.mkdir()
    (d / "bot2bot.db").write_bytes(os.urandom(16384))
    line = assert_refuses_to_start(str(d), str(d / "bot2bot.db"))
    assert "not a database" in line


def test_database_path_is_a_directory(tmp_path):
    d = tmp_path / "dir"
    (d / "bot2bot.db").mkdir(parents=True)
    assert_refuses_to_start(str(d), str(d / "bot2bot.db"))


def test_data_dir_is_a_file(tmp_path):
    f = tmp_path / "plain-file"
    f.write_text("not a directory")
    assert_refuses_to_start(str(f), str(f))


def test_truncated_and_damaged_databases(relay_factory, tmp_path):
    good = populated_database(relay_factory, tmp_path)
    assert len(good) >= 8 * 4096
    cases = {
        "header_only": good[:100],                        # cut inside the first page
        "cut_mid_file": good[:len(good) // 2 + 1000],     # pages missing, size not whole pages
        "bad_header": b"SQLite format 3\x00" + os.urandom(4080) + good[4096:],
        # every page after the first two overwritten: schema readable, tables are not
        "pages_scrambled": good[:8192] + os.urandom(len(good) - 8192),
    }
    for name, data in cases.items():
        d = tmp_path / name
        d.mkdir()
        (d / "bot2bot.db").write_bytes(data)
        assert_refuses_to_start(str(d), str(d / "bot2bot.db"))


def test_unreadable_database_when_not_root(tmp_path):
    if os.geteuid() == 0:
        # root reads a mode-000 file anyway; the directory case above covers "cannot open".
        return
    d = tmp_path / "unreadable"
    d.mkdir()
    (d / "bot2bot.db").write_bytes(b"")
    os.chmod(d / "bot2bot.db", 0)
    assert_refuses_to_start(str(d), str(d / "bot2bot.db"))
