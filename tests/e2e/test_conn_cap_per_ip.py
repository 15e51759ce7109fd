"""Per-address connection cap (--conn-cap-per-ip, issue 8 scope 5): enforced at accept on
the socket's peer address, so X-Forwarded-For cannot dodge it. A connection over the cap
gets a canned 503 and is closed, and is counted in bot2bot_connections_refused_total; other
addresses are unaffected; closing a connection frees its slot; a connection that became an
SSE stream gives its slot back (streams have --stream-cap-per-ip). A trusted proxy
(--trust-proxy) is not capped: it carries many clients, limited per forwarded address."""

import json
import re
import socket
import subprocess
import time

from relay_client import SSEStream, binary_path, metric_sum, parse_metrics, rand_room

CAP = 8


def connect_from(port, src, timeout=5.0):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.bind((src, 0))
    s.connect(("127.0.0.1", port))
    return s


def read_response(s, timeout=5.0):
    """Reads one HTTP/1.1 response with Content-Length; returns (status, headers, body)."""
    s.settimeout(timeout)
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = s.recv(65536)
        if not chunk:
            raise ConnectionError(f"closed before a response head: {buf!r}")
        buf += chunk
    head, _, body = buf.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip()
               for k, _, v in (ln.partition(":") for ln in lines[1:])}
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = s.recv(65536)
        if not chunk:
            break
        body += chunk
    return int(lines[0].split(" ")[1]), headers, body[:length]


def get(s, path, xff=None):
    extra = f"X-Forwarded-For: {xff}\r\n" if xff else ""
    s.sendall(f"GET {path} HTTP/1.1\r\nHost: t\r\n{extra}\r\n".encode())
    return read_response(s)


def get_from(port, src, path):
    s = connect_from(port, src)
    try:
        return get(s, path)
    finally:
        s.close()


def refused_total(port, src="127.0.0.2"):
    status, _, body = get_from(port, src, "/metrics")
    assert status == 200
    return metric_sum(parse_metrics(body.decode()), "bot2bot_connections_refused_total",
                      reason="per_ip_cap")


def test_cap_refuses_extra_connections_and_frees_slots(relay_factory):
    relay = relay_factory("--conn-cap-per-ip", CAP, "--trust-proxy", "none")
    port = relay.port
    held = []
    try:
        for i in range(CAP):
            s = connect_from(port, "127.0.0.1")
            # a different forwarded address on every connection changes nothing
            status, _, _ = get(s, "/api/health", xff=f"203.0.113.{i + 1}")
            assert status == 200
            held.append(s)

        over = connect_from(port, "127.0.0.1")
        status, headers, body = read_response(over)  # sent at accept, before any request
        assert status == 503
        assert headers.get("retry-after") == "5"
        assert json.loads(body)["error"] == "too many connections from this address"
        over.settimeout(5)
        assert over.recv(1) == b"", "refused connection was not closed"
        over.close()
        assert refused_total(port) >= 1

        # another address is unaffected (loopback is not exempt, just a separate address)
        assert get_from(port, "127.0.0.2", "/api/health")[0] == 200

        # the held connections still work (keep-alive), then one leaves and frees a slot
        assert get(held[0], "/api/health")[0] == 200
        held.pop().close()
        deadline = time.monotonic() + 5
        while True:
            s = connect_from(port, "127.0.0.1")
            try:
                status = get(s, "/api/health")[0]
            except (ConnectionError, OSError):
                status = None
            if status == 200:
                held.append(s)
                break
            s.close()
            assert time.monotonic() < deadline, "slot was not released after close"
            time.sleep(0.05)
    finally:
        for s in held:
            s.close()
    relay.health()  # from 127.0.0.1 again: everything released


def test_streams_give_their_slot_back(relay_factory):
    relay = relay_factory("--conn-cap-per-ip", CAP, "--trust-proxy", "none")
    room = rand_room("cap")
    streams = []
    try:
        # more streams than the connection cap, all from one socket address (no XFF)
        for _ in range(CAP + 4):
            st = SSEStream(relay.port, f"/api/rooms/{room}/events")
            st.read_until_type("ready")
            streams.append(st)
        status, _, _ = get_from(relay.port, "127.0.0.1", "/api/health")
        assert status == 200
    finally:
        for st in streams:
            st.close()
    assert refused_total(relay.port) == 0


def test_a_trusted_proxy_is_not_capped(relay_factory):
    relay = relay_factory("--conn-cap-per-ip", CAP, "--trust-proxy", "127.0.0.2")
    held = []
    try:
        for i in range(2 * CAP):  # the proxy: twice the cap, each for another client
            s = connect_from(relay.port, "127.0.0.2")
            assert get(s, "/api/health", xff=f"203.0.113.{i + 1}")[0] == 200
            held.append(s)
        for _ in range(CAP):  # a direct client next to it still has its own cap
            held.append(connect_from(relay.port, "127.0.0.1"))
            assert get(held[-1], "/api/health")[0] == 200
        over = connect_from(relay.port, "127.0.0.1")
        assert read_response(over)[0] == 503
        over.close()
    finally:
        for s in held:
            s.close()
    assert refused_total(relay.port) == 1


def test_default_cap_is_documented_and_high():
    out = subprocess.run([binary_path(), "serve", "--help"], capture_output=True, text=True,
                         timeout=10).stdout
    m = re.search(r"--conn-cap-per-ip [^\n]*?=(\d+) \(Env:CONN_CAP_PER_IP\)", out)
    assert m, out
    assert int(m.group(1)) >= 256  # test suites and benchmarks share 127.0.0.1
