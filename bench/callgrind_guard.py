#!/usr/bin/env python3
"""Performance regression guard CI can afford: instructions executed by the relay (valgrind
--tool=callgrind) for a fixed, sequential scenario, compared with bench/callgrind-budget.json.

Instruction counts barely move with machine load (wall-clock times do), but they depend on the
compiler, Boost, libsodium and SQLite versions: after a toolchain change, or after an
optimisation, refresh the budget with `bench/callgrind_guard.py --update` and commit it.

Scenario (release build, one event-loop thread: with two, how work splits between the shards
depends on scheduling and moves the count by ~4 %; with one, runs agree within 0.1 %): start the
relay, open 4 SSE and 4 WebSocket subscribers in one room,
POST 2000 messages one after another on one keep-alive connection, wait until every subscriber
has all 2000, close, SIGTERM. Start-up and shutdown are part of the count on purpose.
Usage: bench/callgrind_guard.py [--bin build/bot2bot] [--update] [--tolerance 0.05] [--keep FILE]
Exit status 1 when the count exceeds budget × (1 + tolerance).
"""
import argparse, http.client, json, os, re, shutil, signal, socket, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
BUDGET = os.path.join(HERE, "callgrind-budget.json")
POSTS, SSE_SUBS, WS_SUBS, ROOM = 2000, 4, 4, "callgrindguard"
BODY = json.dumps({"sender": "guard", "ciphertext": "6CyhbKhbXW5okJtMtLTAFnN3DPYBz0POOK1cLJPBvwUToDCW6aTU",
                   "nonce": "AAECAwQFBgcICQoLDA0ODxAREhMUFRYX"})


def open_stream(port, websocket):
    s = socket.create_connection(("127.0.0.1", port), timeout=60)
    if websocket:
        s.sendall(f"GET /api/rooms/{ROOM}/ws HTTP/1.1\r\nHost: g\r\nUpgrade: websocket\r\n"
                  "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n".encode())
    else:
        s.sendall(f"GET /api/rooms/{ROOM}/events HTTP/1.1\r\nHost: g\r\nAccept: text/event-stream\r\n\r\n"
                  .encode())
    return s


def read_until(s, marker, count, deadline):
    """Reads until `marker` was seen `count` times (frames are small, never split a marker
    across reads by more than its length: keep a tail)."""
    seen, tail = 0, b""
    while seen < count:
        s.settimeout(max(0.1, deadline - time.monotonic()))
        chunk = s.recv(65536)
        if not chunk:
            raise RuntimeError("stream closed early")
        data = tail + chunk
        seen += data.count(marker)
        tail = data[-(len(marker) - 1):]
        tail = tail if marker not in tail else b""
    return seen


def run_scenario(binary, keep=None):
    with tempfile.TemporaryDirectory() as tmp:
        out_file = os.path.join(tmp, "callgrind.out")
        relay = subprocess.Popen(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out_file}", binary, "serve",
             "--listen", "127.0.0.1:0", "--threads", "1", "--log-level", "warn",
             "--data-dir", os.path.join(tmp, "data"), "--janitor-ms", "600000",
             "--keepalive-ms", "600000", "--ws-ping-ms", "600000", "--room-rate-burst", "1e9",
             "--room-rate-per-sec", "1e9", "--global-rate-burst", "1e9", "--global-rate-per-sec", "1e9"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        try:
            line = relay.stdout.readline()
            port = int(re.search(r"http://127\.0\.0\.1:(\d+)", line).group(1))
            deadline = time.monotonic() + 120
            streams = [open_stream(port, ws) for ws in [False] * SSE_SUBS + [True] * WS_SUBS]
            for s in streams:
                read_until(s, b'"type":"ready"', 1, deadline)
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            for _ in range(POSTS):
                conn.request("POST", f"/api/rooms/{ROOM}/messages", BODY, {"Content-Type": "application/json"})
                r = conn.getresponse()
                r.read()
                if r.status != 200:
                    raise RuntimeError(f"POST answered {r.status}")
            for s in streams:
                read_until(s, b'"sender":"guard"', POSTS, deadline)
            conn.close()
            for s in streams:
                s.close()
            time.sleep(0.5)
        finally:
            relay.send_signal(signal.SIGTERM)
            relay.wait(timeout=60)
        if keep:
            shutil.copyfile(out_file, keep)
        with open(out_file) as f:
            totals = [l for l in f if l.startswith(("summary:", "totals:"))]
        return int(totals[-1].split()[1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.environ.get("BOT2BOT_BIN", os.path.join(HERE, "..", "build", "bot2bot")))
    ap.add_argument("--update", action="store_true", help="write the measured count as the new budget")
    ap.add_argument("--tolerance", type=float, default=None)
    ap.add_argument("--keep", metavar="FILE", help="keep the callgrind output (for callgrind_annotate)")
    a = ap.parse_args()
    t0 = time.monotonic()
    count = run_scenario(a.bin, a.keep)
    took = time.monotonic() - t0
    budget = json.load(open(BUDGET)) if os.path.exists(BUDGET) else None
    if a.update or budget is None:
        tolerance = a.tolerance if a.tolerance is not None else (budget or {}).get("tolerance", 0.05)
        with open(BUDGET, "w") as f:
            json.dump({"instructions": count, "tolerance": tolerance,
                       "scenario": f"{SSE_SUBS} SSE + {WS_SUBS} WS subscribers, {POSTS} sequential POSTs",
                       "toolchain": toolchain()}, f, indent=1)
            f.write("\n")
        print(f"callgrind guard: budget set to {count:,} instructions ({took:.0f} s)")
        return 0
    tolerance = a.tolerance if a.tolerance is not None else budget["tolerance"]
    limit = budget["instructions"] * (1 + tolerance)
    delta = count / budget["instructions"] - 1
    print(f"callgrind guard: {count:,} instructions, budget {budget['instructions']:,} "
          f"({delta:+.1%}, tolerance {tolerance:.0%}, {took:.0f} s)")
    if count > limit:
        print("over budget: find the regression with callgrind_annotate, or refresh the budget with "
              "bench/callgrind_guard.py --update if the cost is intended", file=sys.stderr)
        return 1
    return 0


def toolchain():
    try:
        cc = subprocess.run(["c++", "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    except (OSError, IndexError):
        cc = "unknown"
    return cc


if __name__ == "__main__":
    sys.exit(main())
