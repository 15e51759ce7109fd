"""`bot2bot backup` and `bot2bot restore` (issue 9, docs/OPERATIONS.md "Backups").

* A backup taken while the relay serves under write load restores into a fresh data dir with
  every identity, profile, DM, claim cursor and room seq mark acknowledged before the backup
  began, and is a consistent snapshot: the DMs of the load are a prefix of their send order.
* restore is refused (exit 4) while a relay serves from the data dir, which stays untouched.
* corrupt, truncated, foreign and too-new files are refused (exit 3) with a message naming the
  file and the problem, leaving the data dir's database as it was.
* a big database reports progress and still round-trips.
"""

import hashlib
import os
import sqlite3
import stat
import subprocess
import threading
import time

import pytest
import requests

from identity_client import (Ident, ack, assert_identities_served, claim, inbox_all, open_dm,
                             put_profile, rand_handle, rand_token, register_ok)
from relay_client import binary_path, message_body, new_ip, rand_room

FAST = ["--room-rate-burst", "100000", "--room-rate-per-sec", "100000",
        "--global-rate-burst", "100000", "--global-rate-per-sec", "100000"]
SEED = 40
LOAD_MAX = 150          # bounded load: iterations
LOAD_MAX_S = 60         # and seconds


def cli(*args, timeout=120):
    return subprocess.run([binary_path(), *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


def serve(relay_factory, data_dir, *flags):
    data_dir.mkdir(exist_ok=True)
    return relay_factory(*flags, data_dir=str(data_dir))


def sha256(path) -> str:
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


class WriteLoad(threading.Thread):
    """One client registering an identity, publishing its profile and sending a signed DM to
    `recipient`, in a loop; records the monotonic time each DM was acknowledged."""

    def __init__(self, relay, recipient: Ident, cap: str):
        super().__init__(daemon=True)
        self.relay, self.recipient, self.cap = relay, recipient, cap
        self.acked = []        # (ack time, Ident, dm id), in send order
        self.errors = []
        self.halt = threading.Event()

    def run(self):
        s = requests.Session()
        ip = new_ip()
        deadline = time.monotonic() + LOAD_MAX_S
        for i in range(LOAD_MAX):
            if self.halt.is_set() or time.monotonic() > deadline:
                return
            try:
                who = Ident(rand_handle(f"ld{i}"))
                register_ok(self.relay, who, ip=ip, session=s)
                r = put_profile(self.relay, who, ip=ip, session=s, capabilities=[self.cap])
                assert r.status_code == 201, r.text
                r = self.relay.post(f"/api/dm/{self.recipient.handle}",
                                    who.dm_body_to(self.recipient, text=f"load {i}"), ip=ip,
                                    session=s)
                assert r.status_code == 200, r.text
                self.acked.append((time.monotonic(), who, r.json()["id"]))
            except Exception as e:  # noqa: BLE001 — reported by the test
                self.errors.append(repr(e))
                return


def directory_handles(relay, cap):
    found, cursor = set(), 0
    for _ in range(20):
        j = requests.get(relay.url("/api/agents"), params={"capability": cap, "limit": 100,
                                                           "cursor": cursor}, timeout=10).json()
        found |= {a["handle"] for a in j["agents"]}
        if j["next_cursor"] is None:
            return found
        cursor = j["next_cursor"]
    raise AssertionError("directory paging did not end")


def test_backup_while_serving_restores_into_a_fresh_data_dir(relay_factory, tmp_path):
    live, fresh, out = tmp_path / "live", tmp_path / "fresh", tmp_path / "snap.db"
    relay = serve(relay_factory, live, *FAST)
    s = requests.Session()
    cap, load_cap = rand_token("bk"), rand_token("bkl")

    people = [Ident(rand_handle(f"bk{i}")) for i in range(SEED)]
    registered_at = {p.handle: register_ok(relay, p, ip=new_ip(), session=s)["registered_at"]
                     for p in people}
    for p in people:
        assert put_profile(relay, p, ip=new_ip(), session=s, capabilities=[cap]).status_code == 201
    alice = people[0]
    seed_dms = []
    for i, p in enumerate(people[1:]):
        r = relay.post(f"/api/dm/{alice.handle}", p.dm_body_to(alice, text=f"seed {i}"),
                       ip=new_ip(), session=s)
        assert r.status_code == 200, r.text
        seed_dms.append(r.json()["id"])
    room, ip = rand_room("bk"), new_ip()
    seqs = [relay.post_ok(room, message_body(f"m{i}", sender="bob"), ip=ip)["seq"]
            for i in range(30)]
    worker = people[1]
    claimed = claim(relay, worker, room, ip=ip).json()
    assert ack(relay, worker, room, claimed["claim_id"], seqs[0], ip=ip).json()["advanced"] is True

    load = WriteLoad(relay, alice, load_cap)
    load.start()
    deadline = time.monotonic() + 20
    while len(load.acked) < 20 and time.monotonic() < deadline and load.is_alive():
        time.sleep(0.02)
    assert len(load.acked) >= 20, load.errors
    began = time.monotonic()
    r = cli("backup", "--data-dir", live, out)
    assert r.returncode == 0, r.stderr
    assert f"wrote {out}" in r.stdout and "integrity ok" in r.stdout, r.stdout
    time.sleep(0.2)                            # the load goes on after the backup too
    load.halt.set()
    load.join(30)
    assert not load.errors, load.errors
    assert load.acked[-1][0] > began, "the load did not overlap the backup"
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    assert not (tmp_path / "snap.db.partial").exists()
    relay.health()                             # still serving
    relay.stop()

    r = cli("restore", "--data-dir", fresh, out)
    assert r.returncode == 0, r.stderr
    assert "restored" in r.stdout and "previous" not in r.stdout, r.stdout
    relay2 = serve(relay_factory, fresh, *FAST)
    s = requests.Session()
    assert_identities_served(relay2, people, registered_at, session=s)
    assert directory_handles(relay2, cap) == {p.handle for p in people}

    envs = inbox_all(relay2, alice, ip=new_ip(), session=s)
    ids = [e["id"] for e in envs]
    assert ids[:len(seed_dms)] == seed_dms
    assert open_dm(alice, envs[len(seed_dms) - 1]) == f"seed {SEED - 2}"
    # A consistent snapshot: the load's DMs in the backup are a prefix of the send order,
    # holding at least every DM acknowledged before the backup began.
    restored_load = ids[len(seed_dms):]
    load_ids = [dm_id for _, _, dm_id in load.acked]
    assert restored_load == load_ids[:len(restored_load)]
    acked_before = sum(1 for t, _, _ in load.acked if t < began)
    assert len(restored_load) >= acked_before >= 20
    for _, who, _ in load.acked[:len(restored_load)]:
        assert s.get(relay2.url(f"/api/identity/{who.handle}"), timeout=10).status_code == 200
    assert {w.handle for _, w, _ in load.acked[:acked_before]} <= directory_handles(relay2,
                                                                                    load_cap)
    # The claim cursor (a stale ack is answered from it) and the room's seq mark came along.
    r = ack(relay2, worker, room, claimed["claim_id"], seqs[0], ip=ip)
    assert r.json() == {"ok": True, "advanced": False, "cursor": seqs[0]}, r.text
    assert relay2.post_ok(room, message_body("after restore"), ip=ip)["seq"] > seqs[-1]


def test_restore_is_refused_while_a_relay_serves_from_the_data_dir(relay_factory, tmp_path):
    live, out = tmp_path / "live", tmp_path / "snap.db"
    relay = serve(relay_factory, live)
    who = Ident(rand_handle("busy"))
    register_ok(relay, who, ip=new_ip())
    assert cli("backup", "--data-dir", live, out).returncode == 0

    r = cli("restore", "--data-dir", live, out)
    assert r.returncode == 4, (r.returncode, r.stdout, r.stderr)
    assert "data dir in use" in r.stderr and "stop it first" in r.stderr, r.stderr
    assert relay.alive()
    assert requests.get(relay.url(f"/api/identity/{who.handle}"), timeout=10).status_code == 200
    assert not (live / "bot2bot.db.bak").exists()
    assert not (live / "bot2bot.db.restoring").exists()
    relay.stop()
    # Once stopped, the same restore goes through and keeps the old database.
    r = cli("restore", "--data-dir", live, out)
    assert r.returncode == 0, r.stderr
    assert (live / "bot2bot.db.bak").exists() and "bot2bot.db.bak" in r.stdout


def make_stopped_data_dir(relay_factory, path):
    relay = serve(relay_factory, path)
    who = Ident(rand_handle("keep"))
    register_ok(relay, who, ip=new_ip())
    assert put_profile(relay, who, ip=new_ip()).status_code == 201
    relay.stop()
    return who


def test_corrupt_or_foreign_backups_are_refused(relay_factory, tmp_path):
    live, good = tmp_path / "live", tmp_path / "good.db"
    who = make_stopped_data_dir(relay_factory, live)
    assert cli("backup", "--data-dir", live, good).returncode == 0
    before = sha256(live / "bot2bot.db")
    data = good.read_bytes()
    page = int.from_bytes(data[16:18], "big")
    page = 65536 if page == 1 else page

    cases = {}
    cases["junk.db"] = (os.urandom(3 * 4096), "not a SQLite database")
    cases["empty.db"] = (b"", "empty")
    cases["truncated.db"] = (data[:2 * page], "corrupt")
    # Garbage over the b-tree page of a table (page 2): the header still says SQLite.
    cases["scrambled.db"] = (data[:page] + os.urandom(page) + data[2 * page:], "corrupt")
    for name, (content, _) in cases.items():
        (tmp_path / name).write_bytes(content)
    newer = tmp_path / "newer.db"
    newer.write_bytes(data)
    with sqlite3.connect(newer) as db:
        db.execute("PRAGMA user_version = 999")
    # Every page well-formed, but an index no longer matches its table's rows.
    inconsistent = tmp_path / "inconsistent.db"
    inconsistent.write_bytes(data)
    with sqlite3.connect(inconsistent) as db:
        db.execute("PRAGMA writable_schema = ON")
        db.execute("UPDATE sqlite_schema SET sql = replace(sql, '(expires_at)', '(updated_at)') "
                   "WHERE name = 'profiles_by_expiry'")
    foreign = tmp_path / "foreign.db"
    with sqlite3.connect(foreign) as db:
        db.execute("CREATE TABLE t(x)")
        db.execute("PRAGMA user_version = 1")
    expected = {**{n: why for n, (_, why) in cases.items()},
                "newer.db": "newer than this build supports",
                "inconsistent.db": "fails PRAGMA integrity_check: ", "foreign.db": "not a bot2bot database"}

    for name, why in expected.items():
        r = cli("restore", "--data-dir", live, tmp_path / name)
        assert r.returncode == 3, (name, r.returncode, r.stdout, r.stderr)
        assert r.stderr.startswith("bot2bot restore: invalid backup ("), (name, r.stderr)
        assert str(tmp_path / name) in r.stderr and why in r.stderr, (name, r.stderr)
        assert "restoring" not in r.stderr, r.stderr   # names the operator's file, not our copy
        assert sha256(live / "bot2bot.db") == before, name
        assert not (live / "bot2bot.db.restoring").exists()
        assert not (live / "bot2bot.db.bak").exists()
    r = cli("restore", "--data-dir", live, tmp_path / "missing.db")
    assert r.returncode == 3 and "no such file" in r.stderr, r.stderr

    relay = serve(relay_factory, live)        # the data dir still serves as before
    assert requests.get(relay.url(f"/api/identity/{who.handle}"), timeout=10).status_code == 200


def test_backup_of_a_missing_database_fails(tmp_path):
    r = cli("backup", "--data-dir", tmp_path / "nothing", tmp_path / "out.db")
    assert r.returncode == 2 and "no database at" in r.stderr, r.stderr
    assert not (tmp_path / "out.db").exists()


def test_backup_never_writes_over_the_live_database(relay_factory, tmp_path):
    live = tmp_path / "live"
    relay = serve(relay_factory, live)
    before = sha256(live / "bot2bot.db")
    for target in (live / "bot2bot.db", live / "." / "bot2bot.db-wal",
                   tmp_path / "live/../live/bot2bot.db"):
        r = cli("backup", "--data-dir", live, target)
        assert r.returncode == 2 and "live database's own file" in r.stderr, (target, r.stderr)
    assert sha256(live / "bot2bot.db") == before
    relay.health()


def test_a_big_database_reports_progress_and_round_trips(relay_factory, tmp_path):
    live, fresh, out = tmp_path / "live", tmp_path / "fresh", tmp_path / "big.db"
    who = make_stopped_data_dir(relay_factory, live)
    # 16 MiB of rows the relay does not know about: the backup copies pages, not tables.
    with sqlite3.connect(live / "bot2bot.db") as db:
        db.execute("CREATE TABLE ballast(b BLOB)")
        db.executemany("INSERT INTO ballast VALUES (?)", [(os.urandom(64 * 1024),)] * 256)
    relay = serve(relay_factory, live)          # serving while the backup runs
    r = cli("backup", "--data-dir", live, out)
    assert r.returncode == 0, r.stderr
    progress = [line for line in r.stderr.splitlines() if line.startswith("bot2bot backup: ")]
    assert progress and progress[-1].startswith("bot2bot backup: 100% ("), r.stderr
    assert os.path.getsize(out) > 16 * 1024 * 1024
    relay.stop()
    assert cli("restore", "--data-dir", fresh, out).returncode == 0
    relay2 = serve(relay_factory, fresh)
    assert requests.get(relay2.url(f"/api/identity/{who.handle}"), timeout=10).status_code == 200


def test_a_restore_run_as_root_hands_the_database_to_the_data_dirs_owner(relay_factory, tmp_path):
    """The packaged relay runs as a systemd DynamicUser; an operator restores as root."""
    if os.geteuid() != 0:
        pytest.skip("needs root to own a directory by another user")
    live, out, target = tmp_path / "live", tmp_path / "snap.db", tmp_path / "svc"
    make_stopped_data_dir(relay_factory, live)
    assert cli("backup", "--data-dir", live, out).returncode == 0
    target.mkdir()
    os.chown(target, 65534, 65534)
    assert cli("restore", "--data-dir", target, out).returncode == 0
    for name in ("bot2bot.db", "bot2bot.lock"):
        st = os.stat(target / name)
        assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (65534, 65534, 0o600), name
