"""A 200-turn dialogue between two clients, separately over SSE, WebSocket and long-poll:
every client sees every turn exactly once, in order (0 drops, 0 duplicates, 0 reorders),
and the plaintexts decrypt to the expected turn sequence. The long-poll variant runs three
pairs at once and starts both partners' /wait loops before the room exists (ROOMS.md
§6.4.2, §20.9a), with p99 delivery under 500 ms (§19)."""

import threading
import time

import requests

from relay_client import (message_body, new_ip, open_sealed, rand_room, ws_close, ws_next,
                          ws_send, ws_until_type, xff)

TURNS = 200


class SseTransport:
    def __init__(self, relay, room, name):
        self.relay, self.room, self.name = relay, room, name
        self.ip = new_ip()
        self.session = requests.Session()
        self.stream = relay.sse(room, ip=self.ip)
        assert self.stream.status == 200
        self.stream.read_until_type("ready")

    def send(self, turn):
        self.relay.post_ok(self.room, message_body(f"turn {turn}", sender=self.name),
                           ip=self.ip, session=self.session)

    def recv(self, timeout):
        deadline = time.monotonic() + timeout
        while True:
            ev = self.stream.next_event(max(0.01, deadline - time.monotonic()))
            assert ev is not None, "SSE stream ended"
            if ev["type"] == "message":
                return ev

    def close(self):
        self.stream.close()


class WsTransport:
    def __init__(self, relay, room, name):
        self.room, self.name = room, name
        self.ws = relay.ws(room, ip=new_ip())
        ws_until_type(self.ws, "ready")

    def send(self, turn):
        ws_send(self.ws, message_body(f"turn {turn}", sender=self.name))

    def recv(self, timeout):
        deadline = time.monotonic() + timeout
        while True:
            ev = ws_next(self.ws, max(0.01, deadline - time.monotonic()))
            assert ev["type"] != "error", ev
            if ev["type"] == "message":
                return ev

    def close(self):
        ws_close(self.ws)


class LongPollTransport:
    def __init__(self, relay, room, name):
        self.relay, self.room, self.name = relay, room, name
        self.ip = new_ip()
        self.session = requests.Session()
        self.post_session = requests.Session()
        self.cursor = 0
        self.queue = []
        self.raw_seen = []  # every seq the server returned, duplicates included

    def send(self, turn):
        self.relay.post_ok(self.room, message_body(f"turn {turn}", sender=self.name),
                           ip=self.ip, session=self.post_session)

    def recv(self, timeout):
        deadline = time.monotonic() + timeout
        while not self.queue:
            remaining = deadline - time.monotonic()
            assert remaining > 0, "no message within the turn timeout"
            r = self.session.get(self.relay.url(f"/api/rooms/{self.room}/wait"),
                                 params={"after": self.cursor, "timeout": 5},
                                 headers=xff(self.ip), timeout=15)
            assert r.status_code == 200, r.text
            for m in r.json()["messages"]:
                self.raw_seen.append(m["seq"])
                self.queue.append(m)
                self.cursor = max(self.cursor, m["seq"])
        return self.queue.pop(0)

    def close(self):
        self.session.close()


def run_pair(relay, transport_cls, room, results, key, start_barrier=None):
    """Two partners A (even turns) and B (odd turns) alternate for TURNS turns."""
    sent_at = {}
    out = {}
    errors = []
    transports = {}

    def client(me, name):
        try:
            tr = transports[name]
            got, recv_at = [], {}
            if start_barrier is not None:
                start_barrier.wait(10)
            for turn in range(TURNS):
                if turn % 2 == me:
                    if me == 0 and turn == 0:
                        time.sleep(0.2)  # let B park its first wait on the missing room
                    tr.send(turn)
                    sent_at[turn] = time.monotonic()
                m = tr.recv(timeout=10)
                recv_at[turn] = time.monotonic()
                got.append(m)
                if open_sealed(m) != f"turn {turn}":
                    errors.append((name, turn, open_sealed(m)))
                    return
            out[name] = (got, recv_at)
        except BaseException as e:  # noqa: BLE001
            errors.append((name, repr(e)))

    transports["A"] = transport_cls(relay, room, "alice")
    transports["B"] = transport_cls(relay, room, "bob")
    threads = [threading.Thread(target=client, args=(0, "A")),
               threading.Thread(target=client, args=(1, "B"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    for tr in transports.values():
        tr.close()
    results[key] = (out, sent_at, errors, transports)


def check_pair(out, sent_at, errors, transports):
    assert not errors, errors[:3]
    assert set(out) == {"A", "B"}
    latencies = []
    for name, (got, recv_at) in out.items():
        seqs = [m["seq"] for m in got]
        assert len(seqs) == TURNS, (name, len(seqs))
        assert len(set(seqs)) == TURNS, f"{name}: duplicate messages"
        assert seqs == list(range(seqs[0], seqs[0] + TURNS)), f"{name}: gap or reorder"
        assert [open_sealed(m) for m in got] == [f"turn {i}" for i in range(TURNS)]
        assert [m["sender"] for m in got] == ["alice" if i % 2 == 0 else "bob"
                                             for i in range(TURNS)]
        me = 0 if name == "A" else 1
        for turn in range(TURNS):
            if turn % 2 != me and turn in sent_at:
                latencies.append(max(0.0, recv_at[turn] - sent_at[turn]))
    for tr in transports.values():
        raw = getattr(tr, "raw_seen", None)
        if raw is not None:
            assert len(raw) == len(set(raw)), "long-poll returned a message twice"
    # both partners agree on the room's history
    assert [m["id"] for m in out["A"][0]] == [m["id"] for m in out["B"][0]]
    return latencies


def test_dialogue_200_turns_over_sse(relay):
    results = {}
    run_pair(relay, SseTransport, rand_room("dsse"), results, "sse")
    check_pair(*results["sse"])


def test_dialogue_200_turns_over_websocket(relay):
    results = {}
    run_pair(relay, WsTransport, rand_room("dws"), results, "ws")
    check_pair(*results["ws"])


def test_dialogue_200_turns_over_long_poll_three_pairs(relay):
    results = {}
    rooms = [rand_room("dlp") for _ in range(3)]
    for rid in rooms:
        assert relay.status(rid)["exists"] is False
    threads = [threading.Thread(target=run_pair, args=(relay, LongPollTransport, rid, results, rid))
               for rid in rooms]
    for t in threads:
        t.start()
    for t in threads:
        t.join(150)
    latencies = []
    for rid in rooms:
        assert rid in results, f"pair {rid} did not finish"
        latencies += check_pair(*results[rid])
    latencies.sort()
    p99 = latencies[int(len(latencies) * 0.99) - 1]
    assert p99 < 0.5, f"long-poll p99 delivery {p99 * 1000:.0f} ms"
