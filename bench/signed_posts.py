#!/usr/bin/env python3
"""Signed room POSTs per second (IDENTITY.md §5, issue 3's benchmark).

Starts the release relay, registers 1 or 4 handles, pre-signs one body per request (fresh
sender_nonce each, T4 over the ciphertext), and drives them with wrk for a bounded time.
Usage: bench/signed_posts.py [--handles 1,4] [--seconds 10] [--connections 50]
Prints one line per handle count and appends nothing; copy the figures into RESULTS.md.
"""
import argparse, base64, hashlib, json, os, re, signal, subprocess, sys, tempfile, time
import nacl.public, nacl.signing, requests

HERE = os.path.dirname(os.path.abspath(__file__))
BIN = os.environ.get("BOT2BOT_BIN", os.path.join(HERE, "..", "build", "bot2bot"))


def b64(b): return base64.b64encode(b).decode()


def start_relay(data_dir):
    p = subprocess.Popen([BIN, "serve", "--listen", "127.0.0.1:0", "--data-dir", data_dir,
                          "--log-level", "warn"], stdout=subprocess.PIPE, text=True)
    line = p.stdout.readline()
    port = int(re.search(r":(\d+)", line.split("http://")[1]).group(1))
    return p, f"http://127.0.0.1:{port}"


def register(base, handle):
    sk, box = nacl.signing.SigningKey.generate(), nacl.public.PrivateKey.generate()
    ts = int(time.time() * 1000)
    box_pub, sign_pub = b64(bytes(box.public_key)), b64(bytes(sk.verify_key))
    sig = sk.sign(f"register {handle} {ts} {box_pub} {sign_pub}".encode()).signature
    r = requests.post(f"{base}/api/identity/register", json={
        "handle": handle, "box_pub": box_pub, "sign_pub": sign_pub, "register_ts": ts,
        "register_sig": b64(sig)}, timeout=10)
    assert r.status_code == 201, r.text
    return handle, sk


def sign_bodies(path, room, idents, count):
    ct = b64(os.urandom(64))
    ct_hash = hashlib.sha256(ct.encode()).hexdigest()
    nonce = b64(os.urandom(24))
    with open(path, "w") as f:
        for i in range(count):
            handle, sk = idents[i % len(idents)]
            ts = int(time.time() * 1000)
            sn = base64.urlsafe_b64encode(os.urandom(18)).decode()
            sig = sk.sign(f"room-msg {room} {ts} {sn} {ct_hash}".encode()).signature
            f.write(json.dumps({"sender": "bench", "ciphertext": ct, "nonce": nonce,
                                "sender_handle": handle, "sender_ts": ts, "sender_nonce": sn,
                                "sender_sig": b64(sig)}, separators=(",", ":")) + "\n")


def run(handles, seconds, connections, expected_rate):
    with tempfile.TemporaryDirectory() as tmp:
        relay, base = start_relay(os.path.join(tmp, "data"))
        try:
            idents = [register(base, f"bench{handles}h{i}") for i in range(handles)]
            room = f"signedbench{handles}"
            bodies = os.path.join(tmp, "bodies.jsonl")
            count = int(expected_rate * seconds * 1.2)
            t0 = time.time()
            sign_bodies(bodies, room, idents, count)
            print(f"  signed {count} bodies in {time.time() - t0:.1f}s", file=sys.stderr)
            env = dict(os.environ, BODIES=bodies, ROOM=room, WRK_THREADS="2")
            out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "-s",
                                  os.path.join(HERE, "signed_posts.lua"), base],
                                 env=env, capture_output=True, text=True, timeout=seconds + 60).stdout
            rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
            non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
            total = int(re.search(r"(\d+) requests in", out).group(1))
            status = requests.get(f"{base}/api/rooms/{room}/status", timeout=10).json()
            print(f"handles={handles} connections={connections} seconds={seconds}: "
                  f"{rps:,.0f} signed POST/s, {total} requests, "
                  f"{int(non2xx.group(1)) if non2xx else 0} non-2xx, "
                  f"room recent_count={status.get('recent_count')}")
        finally:
            relay.send_signal(signal.SIGTERM)
            relay.wait(timeout=10)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--handles", default="1,4")
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--connections", type=int, default=50)
    ap.add_argument("--expected-rate", type=int, default=15000)
    a = ap.parse_args()
    for h in [int(x) for x in a.handles.split(",")]:
        run(h, a.seconds, a.connections, a.expected_rate)
