#!/usr/bin/env python3
"""Scenario 6: start-up time to the first healthy GET /api/health, and idle RSS.

Starts the release relay RUNS times on a free loopback port and polls /api/health over a raw
socket from the moment of spawn: the first start creates the data directory (store schema,
several fsyncs), the others restart on it, as a deployed relay does. Prints one RESULT json
line: the median over the restarts, and the first start separately.
Usage: bench/startup.py BIN [runs=10]
"""
import json, os, socket, statistics, subprocess, sys, tempfile, time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def healthy(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2) as s:
            s.sendall(b"GET /api/health HTTP/1.1\r\nHost: b\r\nConnection: close\r\n\r\n")
            return s.recv(64).startswith(b"HTTP/1.1 200")
    except OSError:
        return False


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        return next(int(l.split()[1]) for l in f if l.startswith("VmRSS:"))


def main():
    binary, runs = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 10
    times, rss = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(runs):
            port = free_port()
            t0 = time.monotonic()
            p = subprocess.Popen([binary, "serve", "--listen", f"127.0.0.1:{port}", "--threads", "2",
                                  "--log-level", "warn", "--data-dir", os.path.join(tmp, "data")],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                while not healthy(port):
                    if time.monotonic() - t0 > 10 or p.poll() is not None:
                        sys.exit("relay did not become healthy")
                    time.sleep(0.0005)
                times.append((time.monotonic() - t0) * 1000)
                time.sleep(1.0)
                rss.append(rss_kib(p.pid))
            finally:
                p.terminate()
                p.wait(timeout=10)
    first, restarts = times[0], sorted(times[1:])
    print("RESULT " + json.dumps({"runs": runs, "startup_ms_median": round(statistics.median(restarts), 2),
                                  "startup_ms_min": round(restarts[0], 2), "startup_ms_max": round(restarts[-1], 2),
                                  "first_start_ms": round(first, 2),
                                  "idle_rss_kib": int(statistics.median(rss))}, separators=(",", ":")))


if __name__ == "__main__":
    main()
