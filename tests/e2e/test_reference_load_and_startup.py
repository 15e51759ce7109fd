"""Remaining expectations of the reference test suites (ROOMS.md §19 "Reference test suites"):
the process start line within 6 s when configured through PORT/HOST, and the per-IP SSE load
pattern (20 SSE streams + 100 concurrent SDK-style senders × 10 posts over 20 rooms, ≥ 95 %
delivered, with the SDK's retry-on-429/5xx behaviour)."""

import socket
import threading
import time

import requests

from relay_client import Relay, message_body, rand_room


def _free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_start_line_within_6s_with_port_and_host_env():
    port = _free_port()
    relay = Relay(listen=None, env={"PORT": str(port), "HOST": "127.0.0.1"})
    t0 = time.monotonic()
    relay.start(timeout=6)
    try:
        assert time.monotonic() - t0 < 6
        assert relay.port == port
        assert "Bot2Bot.chat listening" in relay.output()
        relay.health()
    finally:
        relay.stop()


def test_listen_flag_with_fixed_port():
    port = _free_port()
    relay = Relay(listen=f"127.0.0.1:{port}").start(timeout=6)
    try:
        assert relay.port == port
        relay.health()
    finally:
        relay.stop()


def sdk_post(session, relay, room, body, attempts=4):
    """Python SDK behaviour (§19): retry 5xx/429 with the same body, up to 4 retries."""
    r = None
    for attempt in range(attempts + 1):
        r = session.post(relay.url(f"/api/rooms/{room}/messages"), json=body, timeout=15)
        if r.status_code != 429 and r.status_code < 500:
            return r
        delay = float(r.headers.get("Retry-After", "1") or 1)
        time.sleep(min(delay, 2.0) + 0.05 * attempt)
    return r


def test_sse_fanout_load_pattern_from_one_ip(relay):
    rooms = [rand_room("load") for _ in range(20)]
    streams = [relay.sse(rid) for rid in rooms]
    for s in streams:
        assert s.status == 200
        s.read_until_type("ready")
    received = {rid: set() for rid in rooms}
    stop = threading.Event()

    def reader(rid, stream):
        while not stop.is_set():
            try:
                ev = stream.next_event(0.5)
            except TimeoutError:
                continue
            if ev is None:
                return
            if ev["type"] == "message":
                received[rid].add(ev["seq"])

    readers = [threading.Thread(target=reader, args=(rid, s), daemon=True)
               for rid, s in zip(rooms, streams)]
    for t in readers:
        t.start()
    accepted, failed = [], []
    lock = threading.Lock()

    def sender(k):
        s = requests.Session()
        for i in range(10):
            rid = rooms[(k + i) % 20]
            r = sdk_post(s, relay, rid, message_body(f"{k}-{i}", sender=f"s{k}"))
            with lock:
                (accepted if r.status_code == 200 else failed).append(
                    (rid, r.json().get("seq")) if r.status_code == 200 else r.status_code)

    senders = [threading.Thread(target=sender, args=(k,)) for k in range(100)]
    t0 = time.monotonic()
    for t in senders:
        t.start()
    for t in senders:
        t.join(120)
    duration = time.monotonic() - t0
    deadline = time.monotonic() + 10
    while sum(len(v) for v in received.values()) < len(accepted) and time.monotonic() < deadline:
        time.sleep(0.1)
    stop.set()
    for t in readers:
        t.join(5)
    for s in streams:
        s.close()
    assert not [c for c in failed if c >= 500], failed[:5]
    delivered = sum(len(v) for v in received.values())
    assert len(accepted) >= 950, f"only {len(accepted)} of 1000 posts accepted ({failed[:5]})"
    assert delivered >= 950, f"only {delivered} of 1000 delivered in {duration:.1f}s"
    for rid, seq in accepted:
        assert seq in received[rid], "an accepted message never reached the room's stream"
