"""Issue 8 §6: `kill -9` under mixed write load. Six workers write at once — registrations,
signed DMs, profile publishes, signed room posts, claim/ack, WebSocket bursts into fresh
rooms — and the relay is SIGKILLed while they are mid-flight. After a restart on the same
--data-dir every write that was acknowledged (its 2xx, or for WebSocket posts the echoed
message, reached the client) is there, and no room hands out a seq at or below one it handed
out before the crash.

Bounded: each worker stops after its count or LOAD_SECONDS; the kill comes after KILL_AFTER_S."""

import json
import threading
import time

import requests
import websocket

from identity_client import (Ident, ack, claim, inbox_all, kill9, put_profile, rand_handle,
                             register, register_ok)
from relay_client import (WsClosed, message_body, new_ip, rand_room, ws_close, ws_next,
                          ws_until_type)

FAST = ["--room-rate-burst", "100000", "--room-rate-per-sec", "100000",
        "--global-rate-burst", "100000", "--global-rate-per-sec", "100000",
        "--nonces-per-handle-max", "100000", "--nonces-total-max", "100000"]
KILL_AFTER_S = 2.0
LOAD_SECONDS = 15.0    # a worker gives up by then even if the kill never came
RECIPIENTS = 4         # DMs spread so no inbox reaches its 256-envelope cap
MAX_DMS_PER_RECIPIENT = 200
MAX_OPS = 2000


class Worker(threading.Thread):
    """Runs `step(i)` until the relay dies, MAX_OPS or LOAD_SECONDS; step records its own acks."""

    def __init__(self, name, step, max_ops=MAX_OPS):
        super().__init__(name=name, daemon=True)
        self.step, self.max_ops = step, max_ops
        self.ops = 0
        self.unexpected = []

    def run(self):
        deadline = time.monotonic() + LOAD_SECONDS
        for i in range(self.max_ops):
            if time.monotonic() >= deadline:
                return
            try:
                self.step(i)
            except (requests.ConnectionError, requests.Timeout, ConnectionError, OSError,
                    TimeoutError, websocket.WebSocketConnectionClosedException):
                # The relay is gone: nothing after this was acknowledged. (websocket-client
                # reports a socket that died mid-frame as WebSocketConnectionClosedException.)
                return
            except WsClosed as e:
                if e.code not in (None, 1006):  # a close frame, not a dead peer
                    self.unexpected.append(repr(e))
                return
            except Exception as e:  # noqa: BLE001 — surfaced by the test
                self.unexpected.append(repr(e))
                return
            self.ops += 1


def test_acknowledged_writes_survive_kill_9_under_mixed_load(relay_factory, tmp_path):
    data = str(tmp_path)
    relay = relay_factory(*FAST, data_dir=data)
    setup_ip = new_ip()
    recipients = [Ident(rand_handle(f"rcp{i}")) for i in range(RECIPIENTS)]
    sender, poster, claimer = (Ident(rand_handle(p)) for p in ("snd", "pst", "clm"))
    publishers = [Ident(rand_handle(f"pub{i}")) for i in range(10)]
    for ident in [*recipients, sender, poster, claimer, *publishers]:
        register_ok(relay, ident, ip=setup_ip)

    registered = {}       # handle -> Ident, acknowledged with 201
    dms = {r.handle: [] for r in recipients}   # recipient -> acknowledged DM ids, in order
    profiles = {}         # handle -> updated_at of the last acknowledged publish
    posted = {}           # room -> highest acknowledged seq (signed posts, claim rooms, ws rooms)
    claimed = {}          # (handle, room) -> (claim_id, highest acknowledged cursor)
    lock = threading.Lock()
    sessions = {}

    def session():
        name = threading.current_thread().name
        if name not in sessions:
            sessions[name] = requests.Session()
        return sessions[name]

    def note_seq(room, seq):
        with lock:
            posted[room] = max(posted.get(room, 0), seq)

    def registration(i):
        ident = Ident(rand_handle(f"reg{i}"))
        r = register(relay, ident, ip=new_ip(), session=session())
        assert r.status_code == 201, r.text
        registered[ident.handle] = ident

    def dm(i):
        to = recipients[i % RECIPIENTS]
        r = relay.post(f"/api/dm/{to.handle}", sender.dm_body_to(to, text=f"crash {i}"),
                       ip=new_ip(), session=session())
        assert r.status_code == 200, r.text
        dms[to.handle].append(r.json()["id"])

    def profile(i):
        p = publishers[i % len(publishers)]
        updated_at = int(time.time() * 1000) + i  # strictly rising per publisher
        r = put_profile(relay, p, ip=new_ip(), session=session(), updated_at=updated_at)
        assert r.status_code == 201, r.text
        profiles[p.handle] = updated_at

    signed_room = rand_room("sig")

    def signed_post(i):
        r = relay.post(f"/api/rooms/{signed_room}/messages",
                       poster.signed_post_body(signed_room, f"signed {i}"), ip=new_ip(),
                       session=session())
        assert r.status_code == 200, r.text
        note_seq(signed_room, r.json()["seq"])

    claim_room = rand_room("clm")

    def claim_ack(i):
        s = session()
        ip = new_ip()
        r = relay.post(f"/api/rooms/{claim_room}/messages", message_body(f"job {i}", sender="boss"),
                       ip=ip, session=s)
        assert r.status_code == 200, r.text
        note_seq(claim_room, r.json()["seq"])
        c = claim(relay, claimer, claim_room, ip=ip, session=s)
        assert c.status_code == 200, c.text
        j = c.json()
        if "claim_id" not in j:
            return
        a = ack(relay, claimer, claim_room, j["claim_id"], j["message"]["seq"], ip=ip, session=s)
        assert a.status_code == 200, a.text
        claimed[(claimer.handle, claim_room)] = (j["claim_id"], a.json()["cursor"])

    def ws_burst(i):
        room = rand_room("ws")
        ws = relay.ws(room, ip=new_ip())
        try:
            ws_until_type(ws, "ready")
            frame = json.dumps(message_body("burst"))
            for _ in range(300):
                ws.send(frame)
            for _ in range(300):
                f = ws_next(ws, 5)
                if f.get("type") == "message":
                    note_seq(room, f["seq"])  # the echo is the acknowledgement
        finally:
            ws_close(ws)

    workers = [Worker("registration", registration),
               Worker("dm", dm, max_ops=RECIPIENTS * MAX_DMS_PER_RECIPIENT),
               Worker("profile", profile), Worker("signed_post", signed_post),
               Worker("claim_ack", claim_ack, max_ops=500), Worker("ws_burst", ws_burst, 100)]
    for w in workers:
        w.start()
    time.sleep(KILL_AFTER_S)
    kill9(relay)
    for w in workers:
        w.join(LOAD_SECONDS + 10)
        assert not w.is_alive(), f"worker {w.name} did not stop"
    for w in workers:
        assert not w.unexpected, f"{w.name}: {w.unexpected}"
    counts = {w.name: w.ops for w in workers}
    total_dms = sum(len(v) for v in dms.values())
    print(f"acknowledged before kill -9: {len(registered)} registrations, {total_dms} DMs, "
          f"{len(profiles)} publishers' latest profiles, {len(posted)} rooms' seqs, "
          f"{len(claimed)} claim cursors; worker ops {counts}")
    assert len(registered) > 0 and total_dms > 0 and profiles and claimed
    assert signed_room in posted and claim_room in posted

    relay2 = relay_factory(*FAST, data_dir=data)
    s = requests.Session()
    for handle, ident in list(registered.items()):
        g = s.get(relay2.url(f"/api/identity/{handle}"), timeout=10)
        assert g.status_code == 200, f"acknowledged registration {handle} lost"
        assert (g.json()["box_pub"], g.json()["sign_pub"]) == (ident.box_pub, ident.sign_pub)
    for to in recipients:
        got = [e["id"] for e in inbox_all(relay2, to, ip=new_ip(), session=s)]
        missing = set(dms[to.handle]) - set(got)
        assert not missing, f"{len(missing)} acknowledged DMs to {to.handle} lost"
        # order of the acknowledged ones is kept
        assert [x for x in got if x in set(dms[to.handle])] == dms[to.handle]
    for handle, updated_at in profiles.items():
        g = s.get(relay2.url(f"/api/agents/{handle}"), timeout=10)
        assert g.status_code == 200, f"acknowledged profile of {handle} lost"
        assert g.json()["agent"]["updated_at"] >= updated_at
    for (handle, room), (claim_id, cursor) in claimed.items():
        r = ack(relay2, claimer, room, claim_id, cursor, ip=new_ip(), session=s)
        assert r.status_code == 200, r.text
        assert r.json()["cursor"] >= cursor, f"claim cursor went back: {r.json()} < {cursor}"
    backwards = {}
    ip = new_ip()
    for room, seq in posted.items():
        new = relay2.post_ok(room, message_body("after the crash"), ip=ip, session=s)["seq"]
        if new <= seq:
            backwards[room] = (seq, new)
    assert not backwards, f"room seqs went backwards after kill -9: {backwards}"
    print(f"verified after restart: {len(registered)} registrations, {total_dms} DMs, "
          f"{len(profiles)} profiles, {len(claimed)} cursors, {len(posted)} rooms' seqs")
