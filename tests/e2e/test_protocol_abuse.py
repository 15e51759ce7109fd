"""Protocol abuse at the transport (issue 8 §3): request smuggling, request-line and header
limits, pipelining, HTTP/0.9 request lines, slow clients (header and keep-alive timeouts)
and malformed WebSocket frames (RFC 6455 close codes; §6.3's 256 KiB limit → 1009).

Every test talks raw bytes over loopback to the real binary; the relay runs with small
limits so each one is reached cheaply.
"""

import base64
import os
import re
import socket
import struct
import threading
import time

import requests

from relay_client import HOST

HEADER_TIMEOUT_S = 2
KEEPALIVE_TIMEOUT_S = 4
STATUS_LINE = re.compile(rb"HTTP/1\.[01] (\d{3}) ")
RELAY_FLAGS = ["--request-line-limit", "1024", "--header-count-limit", "20",
               "--header-limit", "4096", "--header-timeout-s", str(HEADER_TIMEOUT_S),
               "--keepalive-timeout-s", str(KEEPALIVE_TIMEOUT_S)]


# ---------------------------------------------------------------------------------------
# Raw HTTP helpers
# ---------------------------------------------------------------------------------------

def connect(relay, timeout=5.0) -> socket.socket:
    s = socket.create_connection((HOST, relay.port), timeout=timeout)
    s.settimeout(timeout)
    return s


def read_until_closed(s: socket.socket, limit_s: float) -> tuple[bytes, bool]:
    """Everything the relay sends within `limit_s`, and whether it closed the connection."""
    data = b""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        s.settimeout(max(0.05, deadline - time.monotonic()))
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            return data, False
        except ConnectionResetError:
            return data, True
        if not chunk:
            return data, True
        data += chunk
    return data, False


def statuses(data: bytes) -> list[int]:
    """Status codes of the responses in `data` (a body runs straight into the next head)."""
    return [int(code) for code in STATUS_LINE.findall(data)]


def exchange(relay, raw: bytes, limit_s: float = 3.0) -> tuple[bytes, bool]:
    with connect(relay) as s:
        s.sendall(raw)
        return read_until_closed(s, limit_s)


def post_head(extra: str) -> bytes:
    return (f"POST /api/rooms/abcdefgh/messages HTTP/1.1\r\nHost: x\r\n"
            f"Content-Type: application/json\r\n{extra}\r\n").encode()


# ---------------------------------------------------------------------------------------
# Request smuggling: refused with 400, and the connection is closed (its framing is unknown)
# ---------------------------------------------------------------------------------------

SMUGGLING = {
    "content-length with chunked": post_head("Content-Length: 5\r\nTransfer-Encoding: chunked\r\n")
    + b"0\r\n\r\n",
    "chunked with content-length": post_head("Transfer-Encoding: chunked\r\nContent-Length: 5\r\n")
    + b"0\r\n\r\n",
    "identical duplicate lengths": post_head("Content-Length: 2\r\nContent-Length: 2\r\n") + b"{}",
    "differing duplicate lengths": post_head("Content-Length: 2\r\nContent-Length: 3\r\n") + b"{}x",
    "list-valued length": post_head("Content-Length: 2, 2\r\n") + b"{}",
    "signed length": post_head("Content-Length: +2\r\n") + b"{}",
    "negative length": post_head("Content-Length: -1\r\n"),
    "non-hex chunk size": post_head("Transfer-Encoding: chunked\r\n") + b"zz\r\n{}\r\n0\r\n\r\n",
    "overflowing chunk size": post_head("Transfer-Encoding: chunked\r\n")
    + b"10000000000000000\r\n{}\r\n0\r\n\r\n",
    "chunk size with junk": post_head("Transfer-Encoding: chunked\r\n") + b"2 x\r\n{}\r\n0\r\n\r\n",
    "gzip then chunked": post_head("Transfer-Encoding: gzip, chunked\r\n") + b"0\r\n\r\n",
    "identity coding": post_head("Transfer-Encoding: identity\r\nContent-Length: 2\r\n") + b"{}",
    "two chunked fields": post_head("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n")
    + b"0\r\n\r\n",
    "chunked on HTTP/1.0": b"POST /api/rooms/abcdefgh/messages HTTP/1.0\r\n"
    b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
}


def test_smuggling_attempts_get_400_and_close(relay):
    failures = []
    for name, raw in SMUGGLING.items():
        # A follow-up request is smuggled behind each one: it must never be answered.
        data, closed = exchange(relay, raw + b"GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n")
        if statuses(data) != [400] or not closed:
            failures.append(f"{name}: statuses {statuses(data)}, closed={closed}")
    assert not failures, "\n".join(failures)


def test_well_formed_chunked_body_is_still_accepted(relay):
    body = b'{"nonce":"x"}'
    raw = post_head("Transfer-Encoding: chunked\r\n") + b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)
    data, closed = exchange(relay, raw, limit_s=1.0)
    # The message is invalid (§3), but its framing was understood: 400 "bad message", kept alive.
    assert statuses(data) == [400] and b"bad message" in data and not closed


# ---------------------------------------------------------------------------------------
# Limits on the request line, the header count and the header bytes
# ---------------------------------------------------------------------------------------

def test_request_line_over_the_limit_is_414(relay):
    long_target = "/api/health?" + "a" * 1100
    data, closed = exchange(relay, f"GET {long_target} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    assert statuses(data) == [414] and closed
    fits = "/api/health?" + "a" * 900
    data, _ = exchange(relay, f"GET {fits} HTTP/1.1\r\nHost: x\r\n\r\n".encode(), limit_s=1.0)
    assert statuses(data) == [200]


def test_header_count_over_the_limit_is_431(relay):
    def request(n):
        fields = "".join(f"X-F{i}: v\r\n" for i in range(n - 1))
        return f"GET /api/health HTTP/1.1\r\nHost: x\r\n{fields}\r\n".encode()
    data, _ = exchange(relay, request(20), limit_s=1.0)
    assert statuses(data) == [200]
    data, closed = exchange(relay, request(21))
    assert statuses(data) == [431] and closed


def test_header_bytes_over_the_limit_is_431(relay):
    data, closed = exchange(relay, b"GET /api/health HTTP/1.1\r\nHost: x\r\nX-Big: "
                            + b"v" * 5000 + b"\r\n\r\n")
    assert statuses(data) == [431] and closed


def test_limits_are_flags_with_documented_defaults(relay):
    import subprocess
    from relay_client import binary_path
    out = subprocess.run([binary_path(), "serve", "--help"], capture_output=True, text=True,
                         timeout=10).stdout
    for flag, default in [("--request-line-limit", "8192"), ("--header-count-limit", "100"),
                          ("--header-limit", "16384"), ("--header-timeout-s", "20"),
                          ("--keepalive-timeout-s", "120")]:
        line = next((ln for ln in out.splitlines() if flag in ln), "")
        assert default in line, f"{flag} default {default} not documented: {line!r}"


# ---------------------------------------------------------------------------------------
# Pipelining and HTTP/0.9
# ---------------------------------------------------------------------------------------

def test_pipelined_requests_are_answered_in_order(relay):
    paths = ["/api/health", "/api/no-such-a", "/api/version", "/api/no-such-b", "/api/health"]
    raw = b"".join(f"GET {p} HTTP/1.1\r\nHost: x\r\n\r\n".encode() for p in paths)
    with connect(relay) as s:
        s.sendall(raw)
        data = b""
        deadline = time.monotonic() + 5
        while len(statuses(data)) < len(paths) and time.monotonic() < deadline:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    assert statuses(data) == [200, 404, 200, 404, 200]
    assert data.index(b"no-such-a") < data.index(b"no-such-b")


def test_http09_request_line_is_refused_at_once(relay):
    for raw in (b"GET /\r\n", b"GET /\r\n\r\n", b"GET /api/health\r\n\r\n"):
        start = time.monotonic()
        data, closed = exchange(relay, raw, limit_s=3.0)
        assert closed and time.monotonic() - start < 1.5, raw
        assert statuses(data) in ([], [400]), (raw, data[:80])


# ---------------------------------------------------------------------------------------
# Slow clients: the header timeout and the keep-alive idle timeout
# ---------------------------------------------------------------------------------------

def test_slowloris_is_cut_off_and_never_delays_other_clients(relay):
    slow = [connect(relay) for _ in range(30)]
    stop = threading.Event()

    def trickle():
        # One header byte every 0.2 s: each socket stays "active" but never finishes.
        head = b"GET /api/health HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 200
        for i in range(len(head)):
            if stop.is_set():
                return
            for s in slow:
                try:
                    s.send(head[i:i + 1])
                except OSError:
                    pass
            time.sleep(0.2)

    t = threading.Thread(target=trickle, daemon=True)
    start = time.monotonic()
    t.start()
    try:
        # Meanwhile ordinary clients are served promptly, over and over.
        for _ in range(10):
            t0 = time.monotonic()
            r = requests.get(relay.url("/api/health"), timeout=5)
            assert r.status_code == 200 and time.monotonic() - t0 < 1.0  # well under the timeout
            time.sleep(0.1)
        for s in slow:
            _, closed = read_until_closed(s, HEADER_TIMEOUT_S + 3 - (time.monotonic() - start))
            assert closed, "a slowloris connection outlived the header timeout"
        assert time.monotonic() - start < HEADER_TIMEOUT_S + 3
    finally:
        stop.set()
        t.join(5)
        for s in slow:
            s.close()


def test_silent_new_connection_is_closed_after_the_header_timeout(relay):
    with connect(relay) as s:
        start = time.monotonic()
        data, closed = read_until_closed(s, HEADER_TIMEOUT_S + 3)
        assert closed and data == b""
        assert HEADER_TIMEOUT_S - 0.5 < time.monotonic() - start < HEADER_TIMEOUT_S + 3


def test_idle_keep_alive_lasts_the_keep_alive_timeout(relay):
    request = b"GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n"
    with connect(relay) as s:
        s.sendall(request)
        data, closed = read_until_closed(s, 0.5)
        assert statuses(data) == [200] and not closed
        # Idle longer than the header timeout but within the keep-alive one: still usable.
        time.sleep(HEADER_TIMEOUT_S + 0.5)
        s.sendall(request)
        data, closed = read_until_closed(s, 0.5)
        assert statuses(data) == [200] and not closed
        start = time.monotonic()
        data, closed = read_until_closed(s, KEEPALIVE_TIMEOUT_S + 3)
        assert closed and data == b""
        assert KEEPALIVE_TIMEOUT_S - 1 < time.monotonic() - start < KEEPALIVE_TIMEOUT_S + 3


def test_slow_body_is_cut_off(relay):
    with connect(relay) as s:
        s.sendall(post_head("Content-Length: 100\r\n") + b"{")
        start = time.monotonic()
        _, closed = read_until_closed(s, HEADER_TIMEOUT_S + 3)
        assert closed and time.monotonic() - start < HEADER_TIMEOUT_S + 3


# ---------------------------------------------------------------------------------------
# WebSocket frames (RFC 6455 §5, §7.4)
# ---------------------------------------------------------------------------------------

def ws_connect(relay) -> socket.socket:
    s = connect(relay)
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall((f"GET /api/rooms/abuse{os.urandom(4).hex()}/ws HTTP/1.1\r\nHost: x\r\n"
               f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
               f"Sec-WebSocket-Version: 13\r\n\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = s.recv(1)
        assert chunk, "closed during the handshake"
        head += chunk
    assert head.startswith(b"HTTP/1.1 101"), head
    return s


def frame(opcode: int, payload: bytes, fin: bool = True, masked: bool = True) -> bytes:
    first = (0x80 if fin else 0) | opcode
    n = len(payload)
    if n < 126:
        length = struct.pack("!B", n | (0x80 if masked else 0))
    elif n < 65536:
        length = struct.pack("!BH", 126 | (0x80 if masked else 0), n)
    else:
        length = struct.pack("!BQ", 127 | (0x80 if masked else 0), n)
    if not masked:
        return bytes([first]) + length + payload
    mask = os.urandom(4)
    body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return bytes([first]) + length + mask + body


def close_code_after(s: socket.socket, limit_s: float = 5.0) -> int | None:
    """Reads server frames until a close frame (its code) or the end of the stream (None)."""
    buf = b""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        while len(buf) >= 2:
            n = buf[1] & 0x7F
            offset = 2
            if n == 126:
                if len(buf) < 4:
                    break
                n, offset = struct.unpack("!H", buf[2:4])[0], 4
            elif n == 127:
                if len(buf) < 10:
                    break
                n, offset = struct.unpack("!Q", buf[2:10])[0], 10
            if len(buf) < offset + n:
                break
            opcode, payload = buf[0] & 0x0F, buf[offset:offset + n]
            buf = buf[offset + n:]
            if opcode == 0x8:
                return struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005
        s.settimeout(max(0.05, deadline - time.monotonic()))
        try:
            chunk = s.recv(65536)
        except (socket.timeout, ConnectionResetError):
            return None
        if not chunk:
            return None
        buf += chunk
    return None


def test_websocket_protocol_violations_close_with_the_right_code(relay):
    cases = {
        "unmasked frame": (frame(0x1, b'{"type":"listening"}', masked=False), 1002),
        "oversized message": (frame(0x1, b"a" * (256 * 1024 + 1)), 1009),
        "invalid UTF-8 text": (frame(0x1, b'{"x":"\xff\xfe"}'), 1007),
        "unknown data opcode": (frame(0x3, b"{}"), 1002),
        "unknown control opcode": (frame(0xB, b""), 1002),
        "fragmented ping": (frame(0x9, b"p", fin=False), 1002),
        "oversized ping": (frame(0x9, b"p" * 126), 1002),
        "continuation without start": (frame(0x0, b"x"), 1002),
    }
    failures = []
    for name, (raw, expected) in cases.items():
        with ws_connect(relay) as s:
            try:
                s.sendall(raw)
            except OSError:
                pass
            code = close_code_after(s)
            if code != expected:
                failures.append(f"{name}: close code {code}, expected {expected}")
    assert not failures, "\n".join(failures)


def test_fragmented_message_within_the_limit_is_accepted(relay):
    with ws_connect(relay) as s:
        s.sendall(frame(0x1, b'{"type":', fin=False) + frame(0x0, b'"listening"}'))
        s.sendall(frame(0x8, struct.pack("!H", 1000)))
        assert close_code_after(s) == 1000
