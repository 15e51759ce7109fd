"""ROOMS.md §18 invariants with --threads 2: concurrent posters (HTTP and WebSocket) into one
room while SSE and WS subscribers join mid-stream and long-pollers loop. Every subscriber sees
strictly increasing seqs, each exactly once, no gap between its replay and its live part; the
room's seqs are consecutive overall; /wait never misses a wake-up; slot counters return to 0."""

import json
import threading
import time

import requests

from relay_client import (message_body, new_ip, rand_room, sealed, ws_close, ws_next,
                          ws_send, ws_until_type, xff)

RELAY_FLAGS = ["--threads", "2",
               "--room-rate-burst", "100000", "--room-rate-per-sec", "100000",
               "--global-rate-burst", "100000", "--global-rate-per-sec", "100000"]

HTTP_POSTERS = 4
PER_POSTER = 150
WS_POSTS = 150
TOTAL = HTTP_POSTERS * PER_POSTER + WS_POSTS


class Progress:
    def __init__(self):
        self.lock = threading.Lock()
        self.count = 0
        self.posted = {}  # seq -> id

    def add(self, seq, mid):
        with self.lock:
            self.count += 1
            self.posted[seq] = mid

    def wait_for(self, n, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if self.count >= n:
                    return True
            time.sleep(0.005)
        return False


class Subscriber(threading.Thread):
    """Joins when `progress` reaches `join_at`, then reads until it has seen `final`."""

    def __init__(self, relay, room, kind, progress, join_at, final, after_from=None):
        super().__init__(daemon=True)
        self.relay, self.room, self.kind = relay, room, kind
        self.progress, self.join_at, self.final = progress, join_at, final
        self.after_from = after_from
        self.after = None
        self.replay, self.live, self.ids = [], [], {}
        self.ready = None
        self.error = None
        self.joined = threading.Event()
        self.stop = threading.Event()

    def _next(self, conn, timeout):
        if self.kind == "ws":
            return ws_next(conn, timeout)
        ev = conn.next_event(timeout)
        if ev is None:
            raise AssertionError("SSE stream ended")
        return ev

    def run(self):
        conn = None
        try:
            if self.join_at:
                assert self.progress.wait_for(self.join_at), "posters stalled"
            if self.stop.is_set():
                return
            query = ""
            if self.after_from is not None:
                with self.progress.lock:
                    seqs = sorted(self.progress.posted)
                self.after = seqs[len(seqs) // 2]
                query = f"after={self.after}"
            if self.kind == "ws":
                conn = self.relay.ws(self.room, ip=new_ip())
            else:
                conn = self.relay.sse(self.room, query, ip=new_ip())
                assert conn.status == 200
            self.joined.set()
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and not self.stop.is_set():
                if "seq" in self.final and self.seqs and self.seqs[-1] >= self.final["seq"]:
                    return
                try:
                    ev = self._next(conn, 0.5)
                except TimeoutError:
                    continue
                if ev["type"] == "ready":
                    assert self.ready is None, "second ready"
                    self.ready = ev
                elif ev["type"] == "message":
                    (self.replay if self.ready is None else self.live).append(ev["seq"])
                    self.ids[ev["seq"]] = ev["id"]
                elif ev["type"] == "error":
                    raise AssertionError(f"error event {ev}")
            raise AssertionError("did not reach the final seq in time")
        except BaseException as e:  # noqa: BLE001
            self.error = repr(e)
        finally:
            self.joined.set()
            if conn is not None:
                ws_close(conn) if self.kind == "ws" else conn.close()

    @property
    def seqs(self):
        return self.replay + self.live


def test_concurrent_posters_and_joiners_see_a_consistent_room(relay):
    room = rand_room("inv")
    progress = Progress()
    final = {}
    errors = []

    subs = [
        Subscriber(relay, room, "sse", progress, 0, final),
        Subscriber(relay, room, "sse", progress, 150, final),
        Subscriber(relay, room, "ws", progress, 300, final),
        Subscriber(relay, room, "sse", progress, 450, final, after_from=True),
        Subscriber(relay, room, "ws", progress, 600, final),
    ]
    subs[0].start()
    try:
        assert subs[0].joined.wait(10)
        time.sleep(0.2)
        for s in subs[1:]:
            s.start()
        _run_and_check(relay, room, progress, final, errors, subs)
    finally:
        final.setdefault("seq", 0)  # releases the background long-poller on failure
        for s in subs:
            s.stop.set()
        for s in subs:
            s.join(5)


def _run_and_check(relay, room, progress, final, errors, subs):
    poll_seqs, poll_raw = [], []

    def long_poller():
        s = requests.Session()
        after = 0
        deadline = time.monotonic() + 60
        try:
            while time.monotonic() < deadline:
                if "seq" in final and after >= final["seq"]:
                    return
                r = s.get(relay.url(f"/api/rooms/{room}/wait"),
                          params={"after": after, "timeout": 5}, timeout=20)
                assert r.status_code == 200, r.text
                for m in r.json()["messages"]:
                    poll_raw.append(m["seq"])
                    if m["seq"] > after:
                        poll_seqs.append(m["seq"])
                        after = m["seq"]
        except BaseException as e:  # noqa: BLE001
            errors.append(("poller", repr(e)))

    def http_poster(k):
        s = requests.Session()
        ip = new_ip()
        try:
            for i in range(PER_POSTER):
                j = relay.post_ok(room, message_body(f"h{k}-{i}", sender=f"http{k}"), ip=ip,
                                  session=s)
                progress.add(j["seq"], j["id"])
                if i % 5 == 0:
                    time.sleep(0.003)
        except BaseException as e:  # noqa: BLE001
            errors.append((f"http{k}", repr(e)))

    ws_echo = {}

    def ws_poster():
        ws = relay.ws(room, ip=new_ip())
        try:
            ws_until_type(ws, "ready")
            sent = {}
            frames = []
            for i in range(WS_POSTS):
                b = {**sealed(f"w{i}"), "sender": "wsposter"}
                sent[b["ciphertext"]] = i
                frames.append(json.dumps(b))
            reader_done = threading.Event()

            def reader():
                try:
                    deadline = time.monotonic() + 60
                    while len(ws_echo) < WS_POSTS and time.monotonic() < deadline:
                        ev = ws_next(ws, max(0.01, deadline - time.monotonic()))
                        if ev["type"] == "error":
                            errors.append(("wsposter", ev))
                            return
                        if ev["type"] == "message" and ev["ciphertext"] in sent:
                            ws_echo[ev["seq"]] = ev["id"]
                            progress.add(ev["seq"], ev["id"])
                except BaseException as e:  # noqa: BLE001
                    errors.append(("wsreader", repr(e)))
                finally:
                    reader_done.set()

            t = threading.Thread(target=reader, daemon=True)
            t.start()
            for i, f in enumerate(frames):
                ws.send(f)
                if i % 5 == 0:
                    time.sleep(0.003)
            reader_done.wait(60)
        finally:
            ws_close(ws)

    poller = threading.Thread(target=long_poller, daemon=True)
    poller.start()
    posters = [threading.Thread(target=http_poster, args=(k,)) for k in range(HTTP_POSTERS)]
    posters.append(threading.Thread(target=ws_poster))
    for t in posters:
        t.start()
    for t in posters:
        t.join(90)
    assert not errors, errors[:5]
    assert len(progress.posted) == TOTAL, len(progress.posted)
    seqs = sorted(progress.posted)
    first = seqs[0]
    final["seq"] = seqs[-1]
    # 1. consecutive overall, shared by HTTP and WS (§2.4, §18.1)
    assert seqs == list(range(first, first + TOTAL)), "seqs are not consecutive"
    st = relay.status(room)
    assert st["last_seq"] == seqs[-1] and st["recent_count"] == TOTAL

    for s in subs:
        s.join(60)
    poller.join(30)
    assert not errors, errors[:5]
    for s in subs:
        assert s.error is None, (s.kind, s.join_at, s.error)
        got = s.seqs
        assert got, (s.kind, s.join_at)
        assert len(got) == len(set(got)), f"{s.kind}@{s.join_at}: duplicate delivery"
        assert all(b == a + 1 for a, b in zip(got, got[1:])), \
            f"{s.kind}@{s.join_at}: gap or reorder (replay {len(s.replay)}, live {len(s.live)})"
        expected_first = (s.after + 1) if s.after is not None else first
        assert got[0] == expected_first, (s.kind, s.join_at, got[0], expected_first)
        assert got[-1] == final["seq"]
        assert s.ready is not None
        if s.kind == "sse":
            expected_last = s.replay[-1] if s.replay else (s.after or 0)
            assert s.ready["last_seq"] == expected_last, "ready.last_seq != newest replayed seq"
        for seq, mid in s.ids.items():
            assert progress.posted[seq] == mid, f"seq {seq} carries the wrong message id"
    # late joiners really joined mid-stream (both replay and live parts were exercised)
    assert any(s.replay and s.live for s in subs[1:])
    # 3. long-poll saw everything once, in order (§18.3)
    assert poll_seqs == seqs, f"long-poller got {len(poll_seqs)} of {TOTAL}"
    assert len(poll_raw) == len(set(poll_raw)), "long-poll returned a message twice"


def test_wait_never_misses_a_wakeup_under_concurrency(relay):
    room = rand_room("wake")
    n_posts, n_waiters = 200, 12
    relay.post_ok(room, ip=new_ip())
    start = relay.status(room)["last_seq"]
    results, misses, errors = {}, [], []

    def waiter(k):
        s = requests.Session()
        ip = new_ip()
        after, got = start, []
        deadline = time.monotonic() + 40
        try:
            while len(got) < n_posts and time.monotonic() < deadline:
                r = s.get(relay.url(f"/api/rooms/{room}/wait"),
                          params={"after": after, "timeout": 8}, headers=xff(ip), timeout=20)
                assert r.status_code == 200, r.text
                msgs = r.json()["messages"]
                if not msgs:
                    misses.append((k, after))
                for m in msgs:
                    assert m["seq"] > after, "message at or below `after`"
                    got.append(m["seq"])
                    after = m["seq"]
            results[k] = got
        except BaseException as e:  # noqa: BLE001
            errors.append(repr(e))

    def poster(k):
        s = requests.Session()
        ip = new_ip()
        for i in range(n_posts // 2):
            relay.post_ok(room, message_body(f"{k}-{i}"), ip=ip, session=s)
            time.sleep(0.004)

    ws = [threading.Thread(target=waiter, args=(k,)) for k in range(n_waiters)]
    ps = [threading.Thread(target=poster, args=(k,)) for k in range(2)]
    for t in ws:
        t.start()
    time.sleep(0.2)
    for t in ps:
        t.start()
    for t in ps + ws:
        t.join(60)
    assert not errors, errors[:3]
    assert not misses, f"{len(misses)} waits sat out their timeout while messages were flowing"
    expected = list(range(start + 1, start + 1 + n_posts))
    for k in range(n_waiters):
        assert results.get(k) == expected, f"waiter {k} saw a gap/duplicate"


def test_join_leave_storm_leaves_no_subscribers_behind(relay):
    room = rand_room("storm")
    stop = threading.Event()
    errors = []

    def churn(kind):
        ip = new_ip()
        while not stop.is_set():
            try:
                if kind == "sse":
                    s = relay.sse(room, ip=ip)
                    s.read_until_type("ready", timeout=10)
                    s.abort()
                else:
                    w = relay.ws(room, ip=ip)
                    ws_until_type(w, "ready", timeout=10)
                    w.sock.close()
            except BaseException as e:  # noqa: BLE001
                errors.append(repr(e))
                return

    threads = [threading.Thread(target=churn, args=(k,)) for k in ["sse", "ws", "sse", "ws"]]
    for t in threads:
        t.start()
    s = requests.Session()
    for i in range(150):
        relay.post_ok(room, message_body(f"{i}"), ip=new_ip(), session=s)
    stop.set()
    for t in threads:
        t.join(20)
    assert not errors, errors[:3]
    deadline = time.monotonic() + 5
    while relay.status(room)["participants"] != 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert relay.status(room)["participants"] == 0, "stream subscribers leaked"
    # the connection gauges for streams return to zero as well
    def live_streams():
        m = relay.metrics()
        return sum(v for (n, lbl), v in m.items() if n == "bot2bot_connections"
                   and (("transport", "sse") in lbl or ("transport", "ws") in lbl))
    deadline = time.monotonic() + 5
    while live_streams() != 0 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert live_streams() == 0, "bot2bot_connections for sse/ws not back to 0"


def test_every_transport_reaches_the_same_room_instance(relay):
    """With several threads a room must still be one room: what HTTP posts, SSE and WS
    replay; what WS posts, /transcript and /status report (20 ids, so any id-dependent
    routing mismatch between transports shows up)."""
    for _ in range(20):
        room = rand_room("one")
        a = relay.post_ok(room, message_body("via http"), ip=new_ip())
        with relay.sse(room) as s:
            evs = s.read_until_type("ready")
            assert [e["seq"] for e in evs[:-1]] == [a["seq"]], f"SSE of {room} saw another room"
            assert relay.status(room)["participants"] == 1
        ws = relay.ws(room, ip=new_ip())
        try:
            frames = ws_until_type(ws, "ready")
            assert [f["seq"] for f in frames[:-1]] == [a["seq"]], f"WS of {room} saw another room"
            ws_send(ws, message_body("via ws"))
            echo = ws_until_type(ws, "message")[-1]
            assert echo["seq"] == a["seq"] + 1
        finally:
            ws_close(ws)
        t = relay.transcript(room)
        assert [m["seq"] for m in t["messages"]] == [a["seq"], a["seq"] + 1]
