"""Slow consumers (ROOMS.md §18.6, §20.15): a subscriber that never reads (raw socket, tiny
SO_RCVBUF, never recv) is disconnected once its queued live bytes exceed
--send-queue-max-bytes, counted in bot2bot_slow_consumers_dropped_total, while a reader in
the same room keeps receiving every message in order."""

import socket
import threading
import time

import requests

from relay_client import (SSEStream, message_body, metric_sum, new_ip, rand_room, sealed,
                          xff)

# Far below what 400 posts push at a stalled socket (~48 MB), far above what a reading
# subscriber lags by on a loaded box (a sanitizer relay and a Python reader: ~35 messages).
QUEUE_MAX = 4 * 1024 * 1024
FLAGS = ["--send-queue-max-bytes", str(QUEUE_MAX),
         "--room-rate-burst", "100000", "--room-rate-per-sec", "100000",
         "--global-rate-burst", "100000", "--global-rate-per-sec", "100000"]
PLAINTEXT = 90_000          # ~120 KB of base64 per message
MAX_POSTS = 400             # ~48 MB upper bound, far above any socket buffering
SMALL_RCVBUF = 4096


class Reader(threading.Thread):
    def __init__(self, stream):
        super().__init__(daemon=True)
        self.stream = stream
        self.seqs = []
        self.error = None
        self.stop = threading.Event()

    def run(self):
        try:
            while not self.stop.is_set():
                try:
                    ev = self.stream.next_event(0.5)
                except TimeoutError:
                    continue
                if ev is None:
                    self.error = "reader stream ended"
                    return
                if ev["type"] == "message":
                    self.seqs.append(ev["seq"])
        except Exception as e:  # noqa: BLE001
            self.error = repr(e)


def _slow_sse(relay, room):
    s = SSEStream(relay.port, f"/api/rooms/{room}/events", headers=xff(new_ip()),
                  rcvbuf=SMALL_RCVBUF, read_head=False)
    return s  # never read from


def _slow_ws(relay, room):
    return relay.ws(room, ip=new_ip(),
                    sockopt=((socket.SOL_SOCKET, socket.SO_RCVBUF, SMALL_RCVBUF),))


def test_never_reading_subscribers_are_dropped_reader_gets_everything(relay_factory):
    relay = relay_factory(*FLAGS)
    room = rand_room("slow")
    reader_stream = relay.sse(room, ip=new_ip())
    reader_stream.read_until_type("ready")
    reader = Reader(reader_stream)
    reader.start()
    slow_sse = _slow_sse(relay, room)
    slow_ws = _slow_ws(relay, room)
    deadline = time.monotonic() + 5
    while relay.status(room)["participants"] < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert relay.status(room)["participants"] == 3
    dropped_before = metric_sum(relay.metrics(), "bot2bot_slow_consumers_dropped_total")

    session = requests.Session()
    posted = []
    body = sealed(size=PLAINTEXT)
    t_end = time.monotonic() + 60
    while len(posted) < MAX_POSTS and time.monotonic() < t_end:
        posted.append(relay.post_ok(room, {**body, "sender": "bulk"}, session=session)["seq"])
        if len(posted) % 10 == 0:
            time.sleep(0.02)  # let the reader keep pace on a loaded box
            if relay.status(room)["participants"] == 1:
                break
    dropped = relay.status(room)["participants"] == 1
    # a few more after the drop: the reader must still get them
    for i in range(20):
        posted.append(relay.post_ok(room, message_body(f"tail {i}"), session=session)["seq"])

    deadline = time.monotonic() + 30
    while len(reader.seqs) < len(posted) and time.monotonic() < deadline and reader.error is None:
        time.sleep(0.05)
    reader.stop.set()
    reader.join(5)

    assert dropped, f"slow subscribers were not dropped after {len(posted)} posts " \
                    f"(~{len(posted) * PLAINTEXT * 4 // 3 // 1_000_000} MB): " \
                    f"{relay.status(room)['participants']} participants, reader error " \
                    f"{reader.error}, {len(reader.seqs)} read, dropped_total " \
                    f"{metric_sum(relay.metrics(), 'bot2bot_slow_consumers_dropped_total')}"
    assert reader.error is None, reader.error
    assert reader.seqs == posted, (
        f"reader lost/duplicated/reordered messages: got {len(reader.seqs)} of {len(posted)}")
    dropped_after = metric_sum(relay.metrics(), "bot2bot_slow_consumers_dropped_total")
    assert dropped_after - dropped_before >= 2

    # the dropped SSE socket really was closed by the server: drain it to EOF
    slow_sse.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    got_eof = False
    drain_deadline = time.monotonic() + 15
    total = 0
    while time.monotonic() < drain_deadline:
        slow_sse.sock.settimeout(max(0.01, drain_deadline - time.monotonic()))
        try:
            chunk = slow_sse.sock.recv(1 << 20)
        except (ConnectionResetError, socket.timeout):
            got_eof = True  # reset also means the server dropped us
            break
        if not chunk:
            got_eof = True
            break
        total += len(chunk)
        assert total < 64 * 1024 * 1024
    assert got_eof, "dropped SSE connection was not closed by the server"
    slow_sse.close()
    try:
        slow_ws.shutdown()
    except Exception:  # noqa: BLE001
        pass
    reader_stream.close()
    relay.health()


def test_fast_subscribers_are_not_dropped(relay_factory):
    relay = relay_factory(*FLAGS)
    room = rand_room("fast")
    streams = [relay.sse(room, ip=new_ip()) for _ in range(3)]
    for s in streams:
        s.read_until_type("ready")
    readers = [Reader(s) for s in streams]
    for r in readers:
        r.start()
    session = requests.Session()
    body = sealed(size=20_000)
    posted = []
    for _ in range(150):
        posted.append(relay.post_ok(room, body, session=session)["seq"])
        time.sleep(0.002)
    deadline = time.monotonic() + 20
    while any(len(r.seqs) < len(posted) for r in readers) and time.monotonic() < deadline:
        time.sleep(0.05)
    for r in readers:
        r.stop.set()
        r.join(5)
        assert r.error is None, r.error
        assert r.seqs == posted
    assert relay.status(room)["participants"] == 3
    assert metric_sum(relay.metrics(), "bot2bot_slow_consumers_dropped_total") == 0
    for s in streams:
        s.close()
