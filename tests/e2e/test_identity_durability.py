"""Durability (issue 3): every acknowledged write survives `kill -9` — 200 registrations (201),
200 DMs (200) and 200 profile publishes (201) are all there after a restart on the same
--data-dir, and inbox seqs keep rising. Claim cursors and room seq high-water marks survive a
restart too (ROOMS §9.1 with our store, §20.8)."""

import json
import signal
import time

import requests

from identity_client import (Ident, ack, assert_identities_served, claim, inbox_all, kill9,
                             open_dm, rand_handle, rand_token, register, register_ok, seal_dm)
from relay_client import message_body, new_ip, rand_room, ws_close, ws_next, ws_until_type

N = 200


def restart(relay_factory, old, *flags):
    return relay_factory(*flags, data_dir=old.data_dir)


def test_acknowledged_writes_survive_kill_9(relay_factory, tmp_path):
    relay = relay_factory(data_dir=str(tmp_path))
    s = requests.Session()
    # 200 registrations
    ip = new_ip()
    people = [Ident(rand_handle(f"d{i}")) for i in range(N)]
    registered_at = {}
    for p in people:
        registered_at[p.handle] = register_ok(relay, p, ip=ip, session=s)["registered_at"]
    # 200 DMs (signed, so the 32-slot anonymous pool does not apply) to one recipient
    alice, bob = people[0], people[1]
    ip = new_ip()
    dms = []
    for i in range(N):
        r = relay.post(f"/api/dm/{alice.handle}", bob.dm_body_to(alice, text=f"dm {i}"), ip=ip,
                       session=s)
        assert r.status_code == 200, r.text
        dms.append(r.json())
    # 200 profile publishes, one per identity, with a shared capability to find them again
    cap = rand_token("dur")
    ip = new_ip()
    for p in people:
        r = s.put(relay.url(f"/api/agents/{p.handle}/profile"),
                  data=json.dumps(p.profile_body(capabilities=[cap, "python"])),
                  headers={"Content-Type": "application/json", "X-Forwarded-For": ip}, timeout=10)
        assert r.status_code == 201, r.text
    kill9(relay)                                    # right after the last acknowledgement

    relay2 = restart(relay_factory, relay)
    s = requests.Session()
    assert_identities_served(relay2, people, registered_at, session=s)
    envs = inbox_all(relay2, alice, ip=new_ip(), session=s)
    assert [e["id"] for e in envs] == [d["id"] for d in dms]
    assert [e["seq"] for e in envs] == [d["seq"] for d in dms]
    assert all(e["from_handle"] == bob.handle and e["from_verified"] for e in envs)
    assert open_dm(alice, envs[-1]) == f"dm {N - 1}"
    for p in people:
        g = s.get(relay2.url(f"/api/agents/{p.handle}"), timeout=10)
        assert g.status_code == 200, (p.handle, g.status_code)
        assert cap in g.json()["agent"]["capabilities"]
    found, cursor = set(), 0
    for _ in range(5):
        j = s.get(relay2.url("/api/agents"), params={"capability": cap, "limit": 100,
                                                     "cursor": cursor}, timeout=10).json()
        found |= {a["handle"] for a in j["agents"]}
        if j["next_cursor"] is None:
            break
        cursor = j["next_cursor"]
    assert found == {p.handle for p in people}
    # inbox seqs keep rising after the crash
    r = relay2.post(f"/api/dm/{alice.handle}", seal_dm(alice.box_pub, "after"), ip=new_ip())
    assert r.status_code == 200 and r.json()["seq"] > dms[-1]["seq"], r.text
    # ownership survives too: the owner refreshes (201), anybody else gets 409
    assert register(relay2, people[5], ip=new_ip()).status_code == 201
    r = register(relay2, Ident(people[6].handle), ip=new_ip())
    assert r.status_code == 409 and r.json()["error"] == "handle taken"


def test_claim_cursor_survives_a_restart(relay_factory, tmp_path):
    relay = relay_factory(data_dir=str(tmp_path))
    w = Ident(rand_handle("cur"))
    register_ok(relay, w, ip=new_ip())
    room, ip = rand_room("cur"), new_ip()
    seqs = [relay.post_ok(room, message_body(f"m{i}", sender="bob"), ip=ip)["seq"] for i in range(2)]
    j = claim(relay, w, room, ip=ip).json()
    a = ack(relay, w, room, j["claim_id"], seqs[0], ip=ip).json()
    assert a == {"ok": True, "advanced": True, "cursor": seqs[0]}
    relay.signal(signal.SIGTERM)
    assert relay.wait_exit(10) is not None
    relay2 = restart(relay_factory, relay)
    # a stale ack is answered from the stored cursor (no record would answer cursor 0)
    r = ack(relay2, w, room, j["claim_id"], seqs[0], ip=ip)
    assert r.status_code == 200
    assert r.json() == {"ok": True, "advanced": False, "cursor": seqs[0]}, r.text


def test_room_seq_high_water_survives_a_restart(relay_factory, tmp_path):
    fast = ["--room-rate-burst", "100000", "--room-rate-per-sec", "100000",
            "--global-rate-burst", "100000", "--global-rate-per-sec", "100000"]
    relay = relay_factory(*fast, data_dir=str(tmp_path))
    room = rand_room("hw")
    ws = relay.ws(room, ip=new_ip())
    ws_until_type(ws, "ready")
    frame = json.dumps(message_body("burst"))
    for _ in range(2000):
        ws.send(frame)
    got, last = 0, None
    deadline = time.monotonic() + 20
    while got < 2000 and time.monotonic() < deadline:
        f = ws_next(ws, max(0.01, deadline - time.monotonic()))
        assert f["type"] != "error", f
        if f["type"] == "message":
            got += 1
            last = f["seq"]
    assert got == 2000
    ws_close(ws)
    relay.signal(signal.SIGTERM)
    assert relay.wait_exit(10) is not None
    relay2 = restart(relay_factory, relay, *fast)
    new = relay2.post_ok(room)["seq"]
    assert new > last, f"seq went backwards across a restart: {new} <= {last}"
