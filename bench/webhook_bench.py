#!/usr/bin/env python3
"""Webhook delivery bench (issue 10), loopback only, bounded in count and time.

1. Latency: one handle with a DM webhook; DMs are posted one at a time and the time from
   sending the DM POST to the receiver seeing the webhook POST is measured (p50/p99). A DM
   is delivered once it is durable, so this includes the store's fsync. The same for a
   room subscription (no disk on that path).
2. Throughput to 100 receivers: 100 webhook receivers (one port each, asyncio, in a separate
   process so they do not share the GIL with the load generator):
   a. room fan-out: one room with 100 subscriptions, M posts -> 100*M deliveries (in memory);
   b. durable DMs: 100 handles with a DM webhook each, N DMs posted by 8 threads
      (each DM: a store write for the envelope and for the delivery record, one for its end).

Usage: BOT2BOT_BIN=build/bot2bot python3 bench/webhook_bench.py [--latency-n 300] [--posts 200]
       [--dms 2000]
Prints a Markdown summary."""

import argparse
import asyncio
import multiprocessing as mp
import os
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qs, urlsplit

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "e2e"))

import requests  # noqa: E402

from identity_client import Ident, rand_handle, register_ok, seal_dm, signed  # noqa: E402
from relay_client import Relay, message_body, new_ip, rand_room  # noqa: E402
from webhook_receiver import Receiver  # noqa: E402

RECEIVERS = 100
HARD_TIMEOUT_S = 120


# -- the 100 receivers (child process) ---------------------------------------------------------

def _receivers_main(conn, n):
    counts = {"posts": 0, "first": None, "last": None}

    async def handle(reader, writer):
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, target = lines[0].split(" ")[:2]
            length = 0
            for line in lines[1:]:
                if line.lower().startswith("content-length:"):
                    length = int(line.split(":", 1)[1])
            if length:
                await reader.readexactly(length)
            body = b""
            if method == "GET":
                body = parse_qs(urlsplit(target).query).get("challenge", [""])[0].encode()
            else:
                now = time.monotonic()
                counts["posts"] += 1
                counts["first"] = counts["first"] or now
                counts["last"] = now
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s"
                         % (len(body), body))
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, ValueError):
            pass
        finally:
            writer.close()

    async def main():
        servers = [await asyncio.start_server(handle, "127.0.0.1", 0, backlog=512)
                   for _ in range(n)]
        conn.send([s.sockets[0].getsockname()[1] for s in servers])
        loop = asyncio.get_running_loop()
        while True:
            cmd = await loop.run_in_executor(None, conn.recv)
            if cmd == "stop":
                return
            conn.send(dict(counts))
            if cmd == "reset":
                counts.update(posts=0, first=None, last=None)

    asyncio.run(main())


class Receivers:
    def __init__(self, n):
        self.conn, child = mp.Pipe()
        self.proc = mp.Process(target=_receivers_main, args=(child, n), daemon=True)
        self.proc.start()
        self.ports = self.conn.recv()

    def stats(self, reset=False):
        self.conn.send("reset" if reset else "stats")
        return self.conn.recv()

    def wait_for(self, n, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            s = self.stats()
            if s["posts"] >= n:
                return s
            time.sleep(0.05)
        return self.stats()

    def stop(self):
        self.conn.send("stop")
        self.proc.join(5)
        if self.proc.is_alive():
            self.proc.kill()


# -- helpers -------------------------------------------------------------------------------------

def ident(relay):
    a = Ident(rand_handle("wb"))
    register_ok(relay, a, ip=new_ip())
    return a


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def latency(relay, n):
    alice = ident(relay)
    session = requests.Session()
    out = []
    with Receiver() as rx:
        r = signed(relay, alice, "PUT", f"/api/identity/{alice.handle}/webhook", {"url": rx.url})
        assert r.status_code == 200, r.text
        deadline = time.monotonic() + 60
        for i in range(n):
            if time.monotonic() > deadline:
                break
            body = seal_dm(alice.box_pub, f"latency {i}")
            t0 = time.monotonic()
            resp = session.post(relay.url(f"/api/dm/{alice.handle}"), json=body,
                                headers={"X-Forwarded-For": new_ip()}, timeout=10)
            assert resp.status_code == 200, resp.text
            posts = rx.wait_posts(i + 1, timeout=10)
            assert len(posts) == i + 1, "delivery missing"
            out.append((posts[i]["at"] - t0) * 1000)
    return out


def room_latency(relay, n):
    owner = ident(relay)
    room = rand_room()
    session = requests.Session()
    out = []
    with Receiver() as rx:
        target = f"/api/rooms/{room}/webhooks?handle={owner.handle}"
        r = signed(relay, owner, "POST", target, {"url": rx.url}, ip=new_ip())
        assert r.status_code == 200, r.text
        deadline = time.monotonic() + 60
        for i in range(n):
            if time.monotonic() > deadline:
                break
            t0 = time.monotonic()
            resp = session.post(relay.url(f"/api/rooms/{room}/messages"),
                                json=message_body(f"latency {i}"),
                                headers={"X-Forwarded-For": new_ip()}, timeout=10)
            assert resp.status_code == 200, resp.text
            posts = rx.wait_posts(i + 1, timeout=10)
            assert len(posts) == i + 1, "delivery missing"
            out.append((posts[i]["at"] - t0) * 1000)
    return out


def room_fanout(relay, rxs, posts):
    owner = ident(relay)
    room = rand_room()
    for port in rxs.ports:
        target = f"/api/rooms/{room}/webhooks?handle={owner.handle}"
        r = signed(relay, owner, "POST", target, {"url": f"http://127.0.0.1:{port}/hook"},
                   ip=new_ip())
        assert r.status_code == 200, r.text
    rxs.stats(reset=True)
    session = requests.Session()
    t0 = time.monotonic()
    for i in range(posts):
        r = session.post(relay.url(f"/api/rooms/{room}/messages"), json=message_body(f"m{i}"),
                         headers={"X-Forwarded-For": new_ip()}, timeout=10)
        assert r.status_code == 200, r.text
    posted = time.monotonic()
    s = rxs.wait_for(posts * RECEIVERS, HARD_TIMEOUT_S)
    return s["posts"], s["last"] - t0, posted - t0


def dm_fanout(relay, rxs, dms):
    people = [ident(relay) for _ in range(RECEIVERS)]
    for who, port in zip(people, rxs.ports):
        r = signed(relay, who, "PUT", f"/api/identity/{who.handle}/webhook",
                   {"url": f"http://127.0.0.1:{port}/hook"}, ip=new_ip())
        assert r.status_code == 200, r.text
    bodies = [(p.handle, seal_dm(p.box_pub, f"dm {i}"))
              for i, p in zip(range(dms), people * (dms // RECEIVERS + 1))]
    rxs.stats(reset=True)
    local = threading.local()

    def send(item):
        if not hasattr(local, "s"):
            local.s = requests.Session()
        handle, body = item
        r = local.s.post(relay.url(f"/api/dm/{handle}"), json=body,
                         headers={"X-Forwarded-For": new_ip()}, timeout=30)
        assert r.status_code == 200, r.text

    t0 = time.monotonic()
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(send, bodies))
    posted = time.monotonic()
    s = rxs.wait_for(dms, HARD_TIMEOUT_S)
    return s["posts"], s["last"] - t0, posted - t0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--latency-n", type=int, default=300)
    ap.add_argument("--posts", type=int, default=200)
    ap.add_argument("--dms", type=int, default=2000)
    ap.add_argument("--threads", default="2")
    args = ap.parse_args()

    flags = ["--webhook-allow-private", "--threads", args.threads, "--log-level", "warn",
             "--webhook-rate", "1000000", "--webhook-max-in-flight", "512",
             "--webhook-hooks-per-room", str(RECEIVERS),
             "--webhook-room-hooks-per-handle", str(RECEIVERS)]
    relay = Relay(flags).start()
    rxs = Receivers(RECEIVERS)
    try:
        lat = latency(relay, args.latency_n)
        room_lat = room_latency(relay, args.latency_n)
        c0 = cpu_seconds(relay.proc.pid)
        room_n, room_s, room_post_s = room_fanout(relay, rxs, args.posts)
        room_cpu = (cpu_seconds(relay.proc.pid) - c0) / room_s * 100
        c0 = cpu_seconds(relay.proc.pid)
        dm_n, dm_s, dm_post_s = dm_fanout(relay, rxs, args.dms)
        dm_cpu = (cpu_seconds(relay.proc.pid) - c0) / dm_s * 100
    finally:
        rxs.stop()
        relay.stop()

    print(f"| DM post -> receiver latency, loopback, sequential ({len(lat)} DMs) | "
          f"p50 {statistics.median(lat):.2f} ms / p99 {pct(lat, 99):.2f} ms / "
          f"max {max(lat):.2f} ms |")
    print(f"| room post -> receiver latency, loopback, sequential ({len(room_lat)} posts) | "
          f"p50 {statistics.median(room_lat):.2f} ms / p99 {pct(room_lat, 99):.2f} ms / "
          f"max {max(room_lat):.2f} ms |")
    print(f"| room fan-out: {args.posts} posts x {RECEIVERS} receivers | "
          f"{room_n} delivered in {room_s:.2f} s = {room_n / room_s:,.0f} deliveries/s "
          f"(posting took {room_post_s:.2f} s; relay CPU {room_cpu:.0f} %) |")
    print(f"| durable DMs: {args.dms} DMs to {RECEIVERS} hooked handles, 8 senders | "
          f"{dm_n} delivered in {dm_s:.2f} s = {dm_n / dm_s:,.0f} deliveries/s "
          f"(posting took {dm_post_s:.2f} s; relay CPU {dm_cpu:.0f} %) |")
    ok = room_n == args.posts * RECEIVERS and dm_n == args.dms
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
