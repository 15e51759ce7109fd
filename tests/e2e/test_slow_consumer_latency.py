"""A slow consumer never slows the room (issue 8 scope 5). Two subscribers that never read
(SSE and WebSocket, tiny receive buffers) stay connected while megabytes queue for them —
the queue bound is set high enough that they are *not* dropped during the test — and a
reader in the same room still gets every message promptly: the fan-out never waits for a
socket. (test_slow_subscriber_dropped covers what happens when the bound is reached.)"""

import socket
import statistics
import threading
import time

import requests

from relay_client import SSEStream, new_ip, rand_room, sealed, xff

FLAGS = ["--send-queue-max-bytes", str(256 * 1024 * 1024),
         "--room-rate-burst", "100000", "--room-rate-per-sec", "100000",
         "--global-rate-burst", "100000", "--global-rate-per-sec", "100000"]
POSTS = 150
PLAINTEXT = 30_000  # ~40 KB per event: 6 MB queued for each stalled subscriber


def test_stalled_subscribers_do_not_delay_the_reader(relay_factory):
    relay = relay_factory(*FLAGS)
    room = rand_room("stall")
    reader = relay.sse(room, ip=new_ip())
    reader.read_until_type("ready")
    arrivals = {}
    errors = []

    def read():
        try:
            while len(arrivals) < POSTS:
                ev = reader.next_event(20)
                if ev is None:
                    errors.append("reader stream ended")
                    return
                if ev.get("type") == "message":
                    arrivals[ev["seq"]] = time.monotonic()
        except Exception as e:  # noqa: BLE001
            errors.append(repr(e))

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    stalled_sse = SSEStream(relay.port, f"/api/rooms/{room}/events", headers=xff(new_ip()),
                            rcvbuf=4096, read_head=False)
    stalled_ws = relay.ws(room, ip=new_ip(),
                          sockopt=((socket.SOL_SOCKET, socket.SO_RCVBUF, 4096),))
    deadline = time.monotonic() + 5
    while relay.status(room)["participants"] < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert relay.status(room)["participants"] == 3

    session = requests.Session()
    posted = {}
    body = sealed(size=PLAINTEXT)
    for i in range(POSTS):
        sent = time.monotonic()  # the event may reach the reader before our answer does
        r = relay.post_msg(room, {**body, "sender": f"p{i}"}, session=session)
        assert r.status_code == 200, r.text
        posted[r.json()["seq"]] = sent
        time.sleep(0.01)
    thread.join(30)
    assert not errors, errors
    assert sorted(arrivals) == sorted(posted), \
        f"reader got {len(arrivals)} of {POSTS} messages"
    latency = sorted(arrivals[s] - posted[s] for s in posted)
    median, worst = statistics.median(latency), latency[-1]
    print(f"figure: reader latency with two stalled subscribers: median {median * 1000:.1f} ms, "
          f"max {worst * 1000:.1f} ms over {POSTS} messages of ~40 KB")
    # the stalled subscribers are still there, holding megabytes of undelivered events
    assert relay.status(room)["participants"] == 3
    assert median < 0.1, f"median delivery latency {median:.3f} s"
    assert worst < 2.0, f"worst delivery latency {worst:.3f} s"
    stalled_sse.close()
    stalled_ws.close()
