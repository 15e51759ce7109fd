#!/usr/bin/python3
"""Soak: SOAK_SECONDS (default 600) of mixed traffic against the release relay, with
receivers that verify every delivery (issue 8 scope 8). Run by `make soak` (bench/soak/run).

Traffic, per room (SOAK_ROOMS, default 4):
  * posters: unsigned HTTP posts, signed HTTP posts (a registered identity), WebSocket posts;
  * receivers: one SSE stream, one WebSocket, one long-poll loop (/wait), one claimer
    (signed /claim + /ack), and one SSE stream that reconnects every few seconds with
    ?after=<last seq> (connection churn). Each must see every message of its room exactly
    once, in seq order;
and relay-wide: signed DMs between two identities (the recipient long-polls, checks the
sequence numbers in the plaintexts, acks), one-request connections (health, status,
transcript), and a stream of bad input (malformed JSON, oversized bodies and heads, bad
ids, bad signatures, garbage bytes) that must be refused with 4xx, never 5xx.

Every few seconds the relay's RSS is sampled from /proc. The summary (bench/soak/last.json,
or SOAK_OUT) holds the RSS series, the growth over the last half, counts, and every failure;
a short section is appended to bench/RESULTS.md unless SOAK_NO_RESULTS=1. Exit status 1 if
anything was lost, duplicated, reordered, answered 5xx, or RSS grew 5 % or more over the
last half.

Each worker sends a distinct X-Forwarded-For (the relay trusts it from loopback), so the
per-IP rate limits see many clients, as in production.
"""

import datetime
import json
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid

import requests
import websocket

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
sys.path.insert(0, os.path.join(ROOT, "clients", "python"))

import bot2bot  # noqa: E402
from relay_client import (SSEStream, WsClosed, message_body, metric_sum,  # noqa: E402
                          parse_metrics, raw_request, rand_room, sealed, ws_next)

SECONDS = int(os.environ.get("SOAK_SECONDS", "600"))
ROOMS = int(os.environ.get("SOAK_ROOMS", "4"))
POST_RATE = float(os.environ.get("SOAK_POST_RATE", "8"))      # unsigned posts/s per room
SIGNED_RATE = float(os.environ.get("SOAK_SIGNED_RATE", "2"))  # signed posts/s per room
WS_RATE = float(os.environ.get("SOAK_WS_RATE", "1"))          # WebSocket posts/s per room
DM_RATE = float(os.environ.get("SOAK_DM_RATE", "4"))
CHURN_RATE = float(os.environ.get("SOAK_CHURN_RATE", "10"))   # one-shot connections/s
BAD_RATE = float(os.environ.get("SOAK_BAD_RATE", "4"))
SAMPLE_S = float(os.environ.get("SOAK_SAMPLE_S", "5"))
PROGRESS_S = float(os.environ.get("SOAK_PROGRESS_S", "30"))
BINARY = os.environ.get("BOT2BOT_BIN", os.path.join(ROOT, "build", "bot2bot"))
OUT = os.environ.get("SOAK_OUT", os.path.join(ROOT, "bench", "soak", "last.json"))
RESULTS = os.path.join(ROOT, "bench", "RESULTS.md")
DRAIN_S = 30.0
RSS_GROWTH_LIMIT_PCT = 5.0

stop = threading.Event()


class Stats:
    """Counters shared by all workers; every failure is kept (bounded) for the report."""

    def __init__(self):
        self.lock = threading.Lock()
        self.counts = {}
        self.status_classes = {"2xx": 0, "3xx": 0, "4xx": 0, "5xx": 0}
        self.failures = []

    def inc(self, name, n=1):
        with self.lock:
            self.counts[name] = self.counts.get(name, 0) + n

    def status(self, code, what):
        with self.lock:
            self.status_classes[f"{code // 100}xx"] = \
                self.status_classes.get(f"{code // 100}xx", 0) + 1
        if code >= 500:
            self.fail(f"{what}: HTTP {code}")

    def fail(self, what):
        with self.lock:
            self.counts["failures"] = self.counts.get("failures", 0) + 1
            if len(self.failures) < 200:
                self.failures.append(f"{time.strftime('%H:%M:%S')} {what}")


stats = Stats()
_ip_counter = iter(range(1, 1 << 20))
_ip_lock = threading.Lock()


def new_ip():
    with _ip_lock:
        n = next(_ip_counter)
    return f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"


def pace(rate, fn):
    """Calls fn() `rate` times a second until stop (fixed schedule, so a slow call does not
    lower the average rate, and no burst follows a stall longer than a second)."""
    interval = 1.0 / rate
    nxt = time.monotonic()
    while not stop.is_set():
        fn()
        nxt += interval
        delay = nxt - time.monotonic()
        if delay > 0:
            stop.wait(delay)
        elif delay < -1.0:
            nxt = time.monotonic()


class Room:
    """A room's ground truth: the seqs its posters saw accepted."""

    def __init__(self):
        self.id = rand_room("soak")
        self.lock = threading.Lock()
        self.posted = []
        self.unknown = 0  # posts whose outcome we never learnt (client-side error)
        self.receivers = []

    def add(self, seq):
        with self.lock:
            self.posted.append(seq)

    def expected(self):
        with self.lock:
            return sorted(self.posted)


# --------------------------------------------------------------------------------------
# posters
# --------------------------------------------------------------------------------------

def http_poster(base, room, identity=None):
    session = requests.Session()
    session.headers["X-Forwarded-For"] = new_ip()
    counter = [0]

    def post():
        counter[0] += 1
        body = message_body(f"{room.id} {counter[0]}", sender="signed" if identity else "plain")
        if identity is not None:
            body.update(identity.room_signature(room.id, body["ciphertext"]))
        try:
            r = session.post(f"{base}/api/rooms/{room.id}/messages", json=body, timeout=15)
        except requests.RequestException as e:
            room.unknown += 1
            return stats.fail(f"post to {room.id}: {e!r}")
        stats.status(r.status_code, "post")
        if r.status_code == 200:
            room.add(r.json()["seq"])
            stats.inc("posts_signed" if identity else "posts")
        elif r.status_code == 429:
            stats.inc("posts_rate_limited")
        else:
            stats.fail(f"post to {room.id}: {r.status_code} {r.text[:200]}")

    pace(POST_RATE if identity is None else SIGNED_RATE, post)


class WsClient:
    """A WebSocket subscriber that also posts: its own posts come back as echoes, which
    tell it their seqs (matched by nonce). As a receiver it must see every message."""

    def __init__(self, base_ws, room):
        self.room = room
        self.seqs = []
        self.pending = {}
        self.lock = threading.Lock()
        self.ws = websocket.create_connection(f"{base_ws}/api/rooms/{room.id}/ws", timeout=10,
                                              header=[f"X-Forwarded-For: {new_ip()}"])
        self.name = "websocket"

    def run_reader(self):
        try:
            while self.behind():
                try:
                    ev = ws_next(self.ws, 1.0)
                except TimeoutError:
                    continue
                if ev.get("type") != "message":
                    continue
                self.seqs.append(ev["seq"])
                with self.lock:
                    if ev.get("nonce") in self.pending:
                        del self.pending[ev["nonce"]]
                        self.room.add(ev["seq"])
                        stats.inc("posts_ws")
        except WsClosed as e:
            stats.fail(f"websocket receiver of {self.room.id} closed ({e.code})")
        except Exception as e:  # noqa: BLE001 - a soak reports, it does not crash
            stats.fail(f"websocket receiver of {self.room.id}: {e!r}")

    def behind(self):
        return keep_going(self.room, self.seqs)

    def run_poster(self):
        def post():
            body = message_body(f"ws {uuid.uuid4()}", sender="ws")
            with self.lock:
                self.pending[body["nonce"]] = time.monotonic()
            try:
                self.ws.send(json.dumps(body))
            except Exception as e:  # noqa: BLE001
                stats.fail(f"websocket post to {self.room.id}: {e!r}")
        pace(WS_RATE, post)


# --------------------------------------------------------------------------------------
# receivers: each returns its seq list in .seqs
# --------------------------------------------------------------------------------------

drain_deadline = [float("inf")]
drain_floor = [float("inf")]  # receivers keep reading at least until then after the stop


def caught_up(room, seqs):
    exp = room.expected()
    return not exp or (seqs and seqs[-1] >= exp[-1])


def keep_going(room, seqs):
    if not stop.is_set() or time.monotonic() < drain_floor[0]:
        return True
    return not caught_up(room, seqs) and time.monotonic() < drain_deadline[0]


class SseReceiver:
    """One SSE stream for the whole run; or, with churn, a fresh connection every few
    seconds resuming with ?after=<last seq>."""

    def __init__(self, port, room, churn=False):
        self.port, self.room, self.churn = port, room, churn
        self.seqs = []
        self.name = "sse-churn" if churn else "sse"
        self.ip = new_ip()
        self.reconnects = 0

    def run(self):
        try:
            while keep_going(self.room, self.seqs):
                after = self.seqs[-1] if self.seqs else 0
                stream = SSEStream(self.port, f"/api/rooms/{self.room.id}/events?after={after}",
                                   headers={"X-Forwarded-For": self.ip})
                if stream.status != 200:
                    stats.status(stream.status, "sse connect")
                    stats.fail(f"sse connect {stream.status}")
                    stream.close()
                    stop.wait(1)
                    continue
                stats.status(200, "sse")
                until = time.monotonic() + (random.uniform(1, 5) if self.churn else 1e9)
                while keep_going(self.room, self.seqs) and time.monotonic() < until:
                    try:
                        ev = stream.next_event(1.0)
                    except TimeoutError:
                        continue
                    if ev is None:
                        stats.fail(f"{self.name} stream of {self.room.id} ended by the relay")
                        break
                    if ev.get("type") == "message":
                        self.seqs.append(ev["seq"])
                stream.close()
                if self.churn:
                    self.reconnects += 1
                    stats.inc("sse_reconnects")
                elif keep_going(self.room, self.seqs):
                    stats.fail(f"sse stream of {self.room.id} had to reconnect")
        except Exception as e:  # noqa: BLE001
            stats.fail(f"{self.name} receiver of {self.room.id}: {e!r}")


class LongPollReceiver:
    def __init__(self, base, room):
        self.base, self.room = base, room
        self.seqs = []
        self.name = "long-poll"

    def run(self):
        session = requests.Session()
        session.headers["X-Forwarded-For"] = new_ip()
        after = 0
        while keep_going(self.room, self.seqs):
            try:
                r = session.get(f"{self.base}/api/rooms/{self.room.id}/wait",
                                params={"after": after, "timeout": 5}, timeout=20)
            except requests.RequestException as e:
                stats.fail(f"wait on {self.room.id}: {e!r}")
                stop.wait(1)
                continue
            stats.status(r.status_code, "wait")
            if r.status_code != 200:
                stats.fail(f"wait on {self.room.id}: {r.status_code} {r.text[:200]}")
                stop.wait(1)
                continue
            stats.inc("waits")
            for m in r.json().get("messages", []):
                # the woken path may hand back a message at or below `after` (§6.4 notes):
                # a client filters, as the SDK does
                if m["seq"] > after:
                    self.seqs.append(m["seq"])
                    after = m["seq"]


class ClaimReceiver:
    """Signed /claim + /ack loop: the server-side cursor must walk every message."""

    def __init__(self, base, room, identity):
        self.base, self.room, self.identity = base, room, identity
        self.seqs = []
        self.name = "claim"

    def signed_post(self, session, target, body, timeout):
        return session.post(self.base + target, json=body, timeout=timeout,
                            headers={"Authorization": self.identity.auth_header("POST", target)})

    def run(self):
        session = requests.Session()
        session.headers["X-Forwarded-For"] = new_ip()
        ident = self.identity
        while keep_going(self.room, self.seqs):
            target = f"/api/rooms/{self.room.id}/claim?timeout=5"
            try:
                r = self.signed_post(session, target, {"handle": ident.handle}, 20)
                stats.status(r.status_code, "claim")
                if r.status_code != 200:
                    stats.fail(f"claim on {self.room.id}: {r.status_code} {r.text[:200]}")
                    stop.wait(1)
                    continue
                body = r.json()
                stats.inc("claims")
                if body.get("exists") is False:
                    stop.wait(0.2)
                    continue
                if body.get("empty"):
                    continue
                seq = body["message"]["seq"]
                if self.seqs and seq <= self.seqs[-1]:
                    stats.fail(f"claim on {self.room.id} went back: {seq} after {self.seqs[-1]}")
                self.seqs.append(seq)
                a = self.signed_post(session, f"/api/rooms/{self.room.id}/ack",
                                     {"handle": ident.handle, "claim_id": body["claim_id"],
                                      "seq": seq}, 15)
                stats.status(a.status_code, "ack")
                if a.status_code != 200 or a.json().get("advanced") is not True:
                    stats.fail(f"ack on {self.room.id}: {a.status_code} {a.text[:200]}")
            except requests.RequestException as e:
                stats.fail(f"claim/ack on {self.room.id}: {e!r}")
                stop.wait(1)


# --------------------------------------------------------------------------------------
# relay-wide traffic
# --------------------------------------------------------------------------------------

class DirectMessages:
    """Sender DMs `dm <n>` to the recipient, who long-polls, checks n = 1, 2, 3… and acks."""

    def __init__(self, base, sender, recipient):
        self.base, self.sender, self.recipient = base, sender, recipient
        self.sent = 0
        self.received = []

    def run_sender(self):
        session = self.sender._session
        box_pub = self.recipient.box_pub

        def send():
            n = self.sent + 1
            body = bot2bot.dm_body(self.recipient.handle, box_pub, f"dm {n}", self.sender)
            try:
                r = session.post(f"{self.base}/api/dm/{self.recipient.handle}", json=body,
                                 timeout=15)
            except requests.RequestException as e:
                return stats.fail(f"dm: {e!r}")
            stats.status(r.status_code, "dm")
            if r.status_code == 200:
                self.sent = n
                stats.inc("dms")
            else:
                stats.fail(f"dm: {r.status_code} {r.text[:200]}")
        pace(DM_RATE, send)

    def run_recipient(self):
        ident = self.recipient
        while not stop.is_set() or (len(self.received) < self.sent
                                    and time.monotonic() < drain_deadline[0]):
            try:
                envs = ident.inbox(timeout=5, base_url=self.base)
            except Exception as e:  # noqa: BLE001
                stats.fail(f"inbox: {e!r}")
                stop.wait(1)
                continue
            stats.status(200, "inbox")
            for env in envs:
                if env.text is None or not env.from_verified:
                    stats.fail(f"dm {env.id} did not open or verify")
                else:
                    self.received.append(int(env.text.split()[1]))
                try:
                    ident.ack(env, self.base)
                    stats.status(200, "dm ack")
                except bot2bot.Bot2BotError as e:
                    stats.status(e.status, "dm ack")
                    stats.fail(f"dm ack: {e}")


def churn(base, rooms):
    """One request per TCP connection: accept and teardown, over and over."""
    def one():
        room = random.choice(rooms)
        path = random.choice(["/api/health", f"/api/rooms/{room.id}/status",
                              f"/api/rooms/{room.id}/transcript?limit=5", "/api/version"])
        try:
            r = requests.get(base + path, timeout=10, headers={"X-Forwarded-For": new_ip(),
                                                               "Connection": "close"})
            stats.status(r.status_code, f"GET {path.split('?')[0]}")
            stats.inc("churn_connections")
        except requests.RequestException as e:
            stats.fail(f"churn {path}: {e!r}")
    pace(CHURN_RATE, one)


def bad_inputs(port, identity):
    """Malformed requests by class; each must get a 4xx (or a plain close), never a 5xx."""
    room = rand_room("bad")
    host = f"Host: 127.0.0.1:{port}\r\n"

    def post(body: bytes, extra=""):
        return (f"POST /api/rooms/{room}/messages HTTP/1.1\r\n{host}Content-Type: application/"
                f"json\r\nContent-Length: {len(body)}\r\n{extra}Connection: close\r\n\r\n"
                ).encode() + body

    good = message_body("x")
    forged = {**good, **identity.room_signature(room, good["ciphertext"])}
    forged["sender_sig"] = forged["sender_sig"][::-1]
    cases = {
        "malformed_json": lambda: post(b'{"ciphertext": "abc", '),
        "wrong_types": lambda: post(json.dumps({"ciphertext": 5, "nonce": []}).encode()),
        "bad_base64": lambda: post(json.dumps({"ciphertext": "!!!", "nonce": "??"}).encode()),
        "oversized_body": lambda: post(json.dumps(sealed(size=200_000)).encode()),
        "bad_room_id": lambda: f"GET /api/rooms/a/status HTTP/1.1\r\n{host}\r\n".encode(),
        "bad_signature": lambda: post(json.dumps(forged).encode()),
        "long_request_line": lambda: f"GET /{'a' * 9000} HTTP/1.1\r\n{host}\r\n".encode(),
        "huge_header": lambda: f"GET / HTTP/1.1\r\n{host}X-Big: {'b' * 20000}\r\n\r\n".encode(),
        "garbage": lambda: os.urandom(512),
        "bad_dm": lambda: (f"POST /api/dm/nobody-here HTTP/1.1\r\n{host}Content-Length: 2\r\n"
                           f"Connection: close\r\n\r\n{{}}").encode(),
    }
    names = sorted(cases)

    def one():
        name = random.choice(names)
        try:
            head, _ = raw_request(port, cases[name](), timeout=10)
        except OSError:
            head = None  # refused by closing: fine for garbage
        if head is None:
            stats.inc("bad_input_closed")
        else:
            stats.status(head.status, f"bad input {name}")
            if not 400 <= head.status < 500:
                stats.fail(f"bad input {name}: {head.status}")
        stats.inc(f"bad_input_{name}")
        stats.inc("bad_inputs")
    pace(BAD_RATE, one)


# --------------------------------------------------------------------------------------
# the relay process and its RSS
# --------------------------------------------------------------------------------------

def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def cpu_s(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_relay(data_dir):
    log = open(os.path.join(data_dir, "relay.log"), "wb")
    proc = subprocess.Popen([BINARY, "serve", "--listen", "127.0.0.1:0", "--data-dir", data_dir],
                            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                            cwd=data_dir)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        with open(os.path.join(data_dir, "relay.log"), "rb") as f:
            m = re.search(rb"listening on http://127\.0\.0\.1:(\d+)", f.read())
        if m:
            return proc, int(m.group(1))
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    proc.kill()
    raise SystemExit("soak: the relay did not start; see " + os.path.join(data_dir, "relay.log"))


def sampler(pid, t0, samples):
    while not stop.is_set():
        try:
            samples.append({"t": round(time.monotonic() - t0, 1), "rss_kib": rss_kib(pid),
                            "cpu_s": round(cpu_s(pid), 2),
                            "fds": len(os.listdir(f"/proc/{pid}/fd"))})
        except OSError:
            stats.fail("relay process vanished")
            return
        stop.wait(SAMPLE_S)


def rss_growth(samples, seconds):
    """Growth of the median RSS of the last 30 s over that of the 30 s at half-time."""
    half = seconds / 2
    mid = [s["rss_kib"] for s in samples if half <= s["t"] < half + 30]
    end = [s["rss_kib"] for s in samples if s["t"] >= seconds - 30]
    if not mid or not end:
        return None, None, None
    m, e = statistics.median(mid), statistics.median(end)
    return m, e, round(100.0 * (e - m) / m, 2)


# --------------------------------------------------------------------------------------

def verify(receivers):
    """Compares each receiver's seqs with its room's accepted posts."""
    out = []
    for rec in receivers:
        exp = rec.room.expected()
        got = rec.seqs
        dups = len(got) - len(set(got))
        reordered = sum(1 for a, b in zip(got, got[1:]) if b <= a)
        missing = len(set(exp) - set(got))
        extra = len(set(got) - set(exp))
        out.append({"room": rec.room.id[:10], "receiver": rec.name, "expected": len(exp),
                    "received": len(got), "missing": missing, "duplicated": dups,
                    "reordered": reordered, "unexpected": extra})
        if missing or dups or reordered or extra:
            stats.fail(f"{rec.name} in {rec.room.id}: {missing} missing, {dups} duplicated, "
                       f"{reordered} out of order, {extra} unexpected")
    return out


def register(base, prefix):
    ident = bot2bot.Identity.generate(f"{prefix}{uuid.uuid4().hex[:10]}", base_url=base)
    ident._session.headers["X-Forwarded-For"] = new_ip()
    ident.register(base)
    return ident


def main():
    if not os.access(BINARY, os.X_OK):
        raise SystemExit(f"soak: no relay binary at {BINARY} (make build)")
    data_dir = tempfile.mkdtemp(prefix="bot2bot-soak-")
    proc, port = start_relay(data_dir)
    base, base_ws = f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}"
    print(f"soak: relay pid {proc.pid} on {base}, {SECONDS} s, {ROOMS} rooms; "
          f"load average {os.getloadavg()[0]:.2f}", flush=True)
    t0 = time.monotonic()
    samples = []
    threads = []

    def spawn(fn, *args):
        t = threading.Thread(target=fn, args=args, daemon=True)
        t.start()
        threads.append(t)

    try:
        rooms = [Room() for _ in range(ROOMS)]
        signer = register(base, "soak-signer-")
        claimers = [register(base, "soak-claim-") for _ in rooms]
        dm_from, dm_to = register(base, "soak-dm-a-"), register(base, "soak-dm-b-")
        receivers = []
        ws_clients = []
        for room, claimer in zip(rooms, claimers):
            ws = WsClient(base_ws, room)
            ws_clients.append(ws)
            receivers += [SseReceiver(port, room), SseReceiver(port, room, churn=True),
                          LongPollReceiver(base, room), ClaimReceiver(base, room, claimer), ws]
        spawn(sampler, proc.pid, t0, samples)
        for rec in receivers:
            spawn(rec.run_reader if isinstance(rec, WsClient) else rec.run)
        time.sleep(1.0)  # receivers subscribed before the first post
        posters = []
        for room, ws in zip(rooms, ws_clients):
            posters.append(threading.Thread(target=http_poster, args=(base, room), daemon=True))
            posters.append(threading.Thread(target=http_poster, args=(base, room, signer),
                                            daemon=True))
            posters.append(threading.Thread(target=ws.run_poster, daemon=True))
        dms = DirectMessages(base, dm_from, dm_to)
        posters += [threading.Thread(target=dms.run_sender, daemon=True),
                    threading.Thread(target=churn, args=(base, rooms), daemon=True),
                    threading.Thread(target=bad_inputs, args=(port, signer), daemon=True)]
        spawn(dms.run_recipient)
        for p in posters:
            p.start()

        next_progress = t0 + PROGRESS_S
        while time.monotonic() - t0 < SECONDS and proc.poll() is None:
            time.sleep(0.5)
            if time.monotonic() >= next_progress:
                next_progress += PROGRESS_S
                with stats.lock:
                    c = dict(stats.counts)
                    classes = dict(stats.status_classes)
                rss = samples[-1]["rss_kib"] / 1024 if samples else 0
                posted = sum(len(r.posted) for r in rooms)
                print(f"soak: {time.monotonic() - t0:5.0f} s  posts {posted}  dms "
                      f"{c.get('dms', 0)}  churn {c.get('churn_connections', 0)}  bad "
                      f"{c.get('bad_inputs', 0)}  5xx {classes['5xx']}  failures "
                      f"{c.get('failures', 0)}  rss {rss:.1f} MiB  load "
                      f"{os.getloadavg()[0]:.2f}", flush=True)
        duration = time.monotonic() - t0
        drain_deadline[0] = time.monotonic() + DRAIN_S
        drain_floor[0] = time.monotonic() + 3.0
        stop.set()
        for p in posters:
            p.join(20)
        # the WebSocket posters' last echoes may still be in flight: give them a moment
        time.sleep(1.0)
        for t in threads:
            t.join(max(0.1, drain_deadline[0] + 5 - time.monotonic()))
        if proc.poll() is not None:
            stats.fail(f"relay exited with {proc.returncode} during the soak")
        deliveries = verify(receivers)
        dm_ok = dms.received == list(range(1, len(dms.received) + 1)) and \
            len(dms.received) == dms.sent
        if not dm_ok:
            stats.fail(f"dms: sent {dms.sent}, received {len(dms.received)} "
                       f"(in order: {dms.received == sorted(set(dms.received))})")
        relay_5xx = None
        try:
            m = parse_metrics(requests.get(base + "/metrics", timeout=10).text)
            relay_5xx = int(metric_sum(m, "bot2bot_http_responses_total", **{"class": "5xx"}))
        except Exception as e:  # noqa: BLE001
            stats.fail(f"metrics: {e!r}")
        if relay_5xx:
            stats.fail(f"relay counted {relay_5xx} 5xx responses")
    finally:
        stop.set()
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)

    rss_mid, rss_end, growth = rss_growth(samples, duration)
    warm = [s["rss_kib"] for s in samples if s["t"] >= 60]
    if growth is None:
        stats.fail("too few RSS samples to judge growth")
    elif growth >= RSS_GROWTH_LIMIT_PCT:
        stats.fail(f"RSS grew {growth} % over the last half")
    with stats.lock:
        counts = dict(stats.counts)
        classes = dict(stats.status_classes)
        failures = list(stats.failures)
    total_expected = sum(d["expected"] for d in deliveries)
    summary = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "commit": subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                                 capture_output=True, text=True).stdout.strip(),
        "seconds": round(duration, 1),
        "rooms": ROOMS,
        "rates": {"posts_per_room": POST_RATE, "signed_per_room": SIGNED_RATE,
                  "ws_per_room": WS_RATE, "dms": DM_RATE, "churn": CHURN_RATE,
                  "bad_inputs": BAD_RATE},
        "load_average_end": round(os.getloadavg()[0], 2),
        "counts": counts,
        "responses": classes,
        "relay_5xx": relay_5xx,
        "deliveries": {
            "receivers": len(deliveries),
            "expected": total_expected,
            "received": sum(d["received"] for d in deliveries),
            "missing": sum(d["missing"] for d in deliveries),
            "duplicated": sum(d["duplicated"] for d in deliveries),
            "reordered": sum(d["reordered"] for d in deliveries),
            "unexpected": sum(d["unexpected"] for d in deliveries),
            "by_receiver": deliveries,
        },
        "dms": {"sent": dms.sent, "received": len(dms.received), "in_order": dm_ok},
        "rss": {"mid_kib": rss_mid, "end_kib": rss_end, "growth_last_half_pct": growth,
                "max_kib": max(warm) if warm else None,
                "limit_pct": RSS_GROWTH_LIMIT_PCT, "samples": samples},
        "failures": failures,
        "ok": not failures,
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(summary, f, indent=1)
    d = summary["deliveries"]
    print(f"soak: {'OK' if summary['ok'] else 'FAILED'} after {duration:.0f} s: "
          f"{d['received']} deliveries to {d['receivers']} receivers ({d['missing']} missing, "
          f"{d['duplicated']} duplicated, {d['reordered']} reordered), {dms.sent} DMs, "
          f"{classes['5xx']} 5xx; RSS {rss_mid and rss_mid / 1024:.1f} -> "
          f"{rss_end and rss_end / 1024:.1f} MiB over the last half ({growth} %); "
          f"summary in {os.path.relpath(OUT, ROOT)}", flush=True)
    for line in failures[:20]:
        print("  " + line)
    if os.environ.get("SOAK_NO_RESULTS") != "1":
        append_results(summary)
    return 0 if summary["ok"] else 1


def append_results(s):
    d = s["deliveries"]
    c = s["counts"]
    r = s["rss"]
    lines = [
        "",
        f"## Soak ({s['date'][:10]}, commit {s['commit']}, bench/soak/run)",
        "",
        f"{s['seconds']:.0f} s of mixed traffic on one release relay ({s['rooms']} rooms; per "
        f"room {s['rates']['posts_per_room']:g} plain + {s['rates']['signed_per_room']:g} signed "
        f"+ {s['rates']['ws_per_room']:g} WebSocket posts/s; SSE, WebSocket, long-poll, claim "
        f"and reconnecting-SSE receivers; {s['rates']['dms']:g} DMs/s; "
        f"{s['rates']['churn']:g} one-shot connections/s; {s['rates']['bad_inputs']:g} bad "
        f"requests/s; load average {s['load_average_end']:g} on the machine at the end, other "
        f"work included). Result: **{'pass' if s['ok'] else 'FAIL'}**.",
        "",
        "| figure | value |",
        "|---|---|",
        f"| messages posted (plain / signed / WS) | {c.get('posts', 0)} / "
        f"{c.get('posts_signed', 0)} / {c.get('posts_ws', 0)} |",
        f"| deliveries verified | {d['received']} of {d['expected']} expected |",
        f"| lost / duplicated / reordered | {d['missing']} / {d['duplicated']} / "
        f"{d['reordered']} |",
        f"| DMs sent / received in order | {s['dms']['sent']} / {s['dms']['received']} |",
        f"| SSE reconnects with ?after= | {c.get('sse_reconnects', 0)} |",
        f"| one-shot connections | {c.get('churn_connections', 0)} |",
        f"| bad requests (all 4xx or closed) | {c.get('bad_inputs', 0)} |",
        f"| 5xx responses (client / relay metrics) | {s['responses']['5xx']} / "
        f"{s['relay_5xx']} |",
        f"| RSS at half-time → end | {(r['mid_kib'] or 0) / 1024:.1f} → "
        f"{(r['end_kib'] or 0) / 1024:.1f} MiB ({r['growth_last_half_pct']} %, limit "
        f"{r['limit_pct']:g} %) |",
        f"| RSS max after the first minute | {(r['max_kib'] or 0) / 1024:.1f} MiB |",
        "",
    ]
    with open(RESULTS, "a") as f:
        f.write("\n".join(lines))


if __name__ == "__main__":
    sys.exit(main())
