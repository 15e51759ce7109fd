"""Reconnect storm (issue 8 scope 5): thousands of SSE subscribers lose their connections
at once and all come back within one second with ?after=<last seq seen>, while messages
keep arriving. Every client must receive every message after its `after` exactly once, in
order — the replayed ones (posted while it was away) and the live ones (posted during the
storm).

The clients are non-blocking raw sockets on one selector (so 5,000 fit in one Python
thread), bound to many 127.0.x.y source addresses so that each address stays under the
default per-IP stream cap and rate limits: the relay runs with its default flags.
STORM_CLIENTS overrides the client count (default 5000)."""

import json
import os
import random
import selectors
import socket
import threading
import time
import http.client

from relay_client import message_body, rand_room

CLIENTS = int(os.environ.get("STORM_CLIENTS", "5000"))
ROOMS = 50
PER_ADDRESS = 25          # stream cap per IP is 32
BEFORE = 10               # messages per room before the first connection
WHILE_AWAY = 10           # posted while every client is disconnected
DURING = 10               # posted live while the clients reconnect
TIME_LIMIT = 45.0         # per phase


def client_address(i):
    a = 1 + i // PER_ADDRESS
    return f"127.0.{1 + a // 250}.{1 + a % 250}"


class Subscriber:
    """One SSE connection: request, response head, chunked body, `data:` events."""

    def __init__(self, index, room, after):
        self.index = index
        self.room = room
        self.after = after
        self.seqs = []
        self.ready = False
        self.closed = False
        self.error = None
        self.sock = None
        self.raw = bytearray()
        self.body = bytearray()
        self.head_done = False
        self.chunk_left = 0

    def connect(self, port, sel):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        s.bind((client_address(self.index), 0))
        s.connect_ex(("127.0.0.1", port))
        self.sock = s
        self.request = (f"GET /api/rooms/{self.room}/events?after={self.after} HTTP/1.1\r\n"
                        f"Host: 127.0.0.1:{port}\r\nAccept: text/event-stream\r\n\r\n").encode()
        sel.register(s, selectors.EVENT_WRITE, self)

    def on_writable(self, sel):
        err = self.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if err:
            return self.fail(sel, f"connect: {os.strerror(err)}")
        self.sock.send(self.request)  # a fresh socket's buffer takes it whole
        sel.modify(self.sock, selectors.EVENT_READ, self)

    def on_readable(self, sel):
        try:
            data = self.sock.recv(262144)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as e:
            return self.fail(sel, f"recv: {e}")
        if not data:
            return self.fail(sel, "server closed the stream")
        self.raw += data
        if not self.head_done:
            i = self.raw.find(b"\r\n\r\n")
            if i < 0:
                return
            head = bytes(self.raw[:i])
            del self.raw[:i + 4]
            if not head.startswith(b"HTTP/1.1 200"):
                return self.fail(sel, head.split(b"\r\n")[0].decode())
            self.head_done = True
        self.dechunk()
        self.parse_events()

    def dechunk(self):
        raw = self.raw
        while raw:
            if self.chunk_left > 0:
                take = min(self.chunk_left, len(raw))
                self.body += raw[:take]
                del raw[:take]
                self.chunk_left -= take
                if self.chunk_left == 0:
                    self.chunk_left = -2  # the CRLF after the chunk
                continue
            if self.chunk_left == -2:
                if len(raw) < 2:
                    return
                del raw[:2]
                self.chunk_left = 0
                continue
            i = raw.find(b"\r\n")
            if i < 0:
                return
            self.chunk_left = int(bytes(raw[:i]).split(b";")[0], 16)
            del raw[:i + 2]
            if self.chunk_left == 0:
                self.error = "stream ended"
                return

    def parse_events(self):
        while True:
            i = self.body.find(b"\n\n")
            if i < 0:
                return
            block = bytes(self.body[:i])
            del self.body[:i + 2]
            for line in block.split(b"\n"):
                if line.startswith(b"data: "):
                    ev = json.loads(line[6:])
                    if ev.get("type") == "message":
                        self.seqs.append(ev["seq"])
                    elif ev.get("type") == "ready":
                        self.ready = True

    def fail(self, sel, why):
        self.error = why
        self.close(sel)

    def close(self, sel):
        if self.sock is not None and not self.closed:
            sel.unregister(self.sock)
            self.sock.close()
            self.closed = True


def run_until(sel, subs, done, limit):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        for key, mask in sel.select(0.2):
            sub = key.data
            if mask & selectors.EVENT_WRITE:
                sub.on_writable(sel)
            else:
                sub.on_readable(sel)
        if done():
            return True
    return False


def post_messages(port, rooms, count, errors, seqs):
    """`count` messages to every room, one keep-alive connection (own address) per room;
    appends each accepted seq to seqs[room]."""
    conns = {}
    try:
        for n in range(count):
            for r, room in enumerate(rooms):
                c = conns.get(room)
                if c is None:
                    c = conns[room] = http.client.HTTPConnection(
                        "127.0.0.1", port, timeout=10, source_address=(f"127.0.200.{r + 1}", 0))
                c.request("POST", f"/api/rooms/{room}/messages",
                          body=json.dumps(message_body(f"m{n}")),
                          headers={"Content-Type": "application/json"})
                resp = c.getresponse()
                body = resp.read()
                if resp.status != 200:
                    errors.append(f"POST {resp.status} {body[:200]!r}")
                    return
                seqs[room].append(json.loads(body)["seq"])
    finally:
        for c in conns.values():
            c.close()


def test_reconnect_storm_loses_nothing(relay_factory):
    relay = relay_factory()
    port = relay.port
    rooms = [rand_room("storm") for _ in range(ROOMS)]
    errors = []
    posted = {room: [] for room in rooms}
    post_messages(port, rooms, BEFORE, errors, posted)
    assert not errors, errors

    # Everyone subscribed, each having seen some prefix of the room's history (seqs are
    # not consecutive: `after` is a seq the client saw, or 0).
    rng = random.Random(8)
    sel = selectors.DefaultSelector()
    subs = []
    for i in range(CLIENTS):
        room = rooms[i % ROOMS]
        seen = rng.randint(0, BEFORE)
        subs.append(Subscriber(i, room, posted[room][seen - 1] if seen else 0))
    for s in subs:
        s.connect(port, sel)

    def newer(room, after):
        return [q for q in posted[room] if q > after]

    ok = run_until(sel, subs, lambda: all(s.error or len(s.seqs) >= len(newer(s.room, s.after))
                                          for s in subs), TIME_LIMIT)
    failed = [s for s in subs if s.error]
    assert not failed, f"{len(failed)} first connections failed, e.g. {failed[0].error}"
    assert ok, "first subscriptions did not catch up"
    for s in subs:
        assert s.seqs == newer(s.room, s.after), (s.index, s.after, s.seqs)

    # The network blips: every connection dies at once; messages arrive meanwhile.
    for s in subs:
        s.close(sel)
    post_messages(port, rooms, WHILE_AWAY, errors, posted)
    assert not errors, errors

    # The storm: everyone reconnects within a second with after=<last seen>, while more
    # messages are posted live.
    last_seen = {room: posted[room][BEFORE - 1] for room in rooms}
    subs = [Subscriber(i, rooms[i % ROOMS], last_seen[rooms[i % ROOMS]]) for i in range(CLIENTS)]
    poster = threading.Thread(target=post_messages, args=(port, rooms, DURING, errors, posted))
    missed = WHILE_AWAY + DURING
    t0 = time.monotonic()
    started = False
    for i, s in enumerate(subs):
        s.connect(port, sel)
        if not started and i >= CLIENTS // 2:
            poster.start()  # live messages land in the middle of the storm
            started = True
    connect_s = time.monotonic() - t0
    ok = run_until(sel, subs, lambda: all(s.error or len(s.seqs) >= missed for s in subs),
                   TIME_LIMIT)
    caught_up_s = time.monotonic() - t0
    poster.join(30)
    # a moment for any duplicate to show up
    run_until(sel, subs, lambda: False, 0.5)
    failed = [s for s in subs if s.error]
    for s in subs:
        s.close(sel)
    print(f"figure: {CLIENTS} SSE clients reconnected in {connect_s:.2f} s, all caught up "
          f"after {caught_up_s:.2f} s ({CLIENTS * missed} deliveries)")
    assert not errors, errors
    assert connect_s < 1.0, f"reconnects took {connect_s:.2f} s to issue"
    assert not failed, f"{len(failed)} reconnects failed, e.g. {failed[0].error}"
    assert ok, "clients did not receive everything within the time limit"
    bad = [s for s in subs if s.seqs != newer(s.room, s.after)]
    assert not bad, (f"{len(bad)} clients lost, duplicated or reordered messages; e.g. "
                     f"client {bad[0].index}: {bad[0].seqs}")
    relay.health()
