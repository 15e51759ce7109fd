"""Black-box helpers for the bot2bot end-to-end tests.

Everything here talks to the real binary over loopback only:

* ``Relay``      starts ``bot2bot serve --listen 127.0.0.1:0`` in a temp dir, parses the
                 port from the ``Bot2Bot.chat listening on http://…`` line (ROOMS.md §14.4),
                 captures stdout+stderr (for the log-privacy test) and stops it by PID.
* ``SSEStream``  a raw-socket SSE reader (handles chunked encoding itself) that yields the
                 parsed ``data:`` JSON events, records comment lines (``: keepalive``) and any
                 forbidden field lines (``event:``/``id:``/``retry:``, §6.2), and can leave
                 the socket unread (slow-consumer test).
* ``ws_*``       thin wrappers around websocket-client that skip pings and surface close codes.
* ``sealed``     real NaCl secretbox ciphertext/nonce in standard padded base64.

The spec (../shared/spec/ROOMS.md) is the only source of truth for the assertions that
use these helpers; nothing here encodes behaviour of a particular implementation.
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import random
import re
import signal
import socket
import string
import struct
import subprocess
import tempfile
import threading
import time
import uuid
from typing import Any, Callable, Iterable

import nacl.secret
import nacl.utils
import requests
import websocket

HOST = "127.0.0.1"
LISTEN_RE = re.compile(r"Bot2Bot\.chat listening on (https?)://127\.0\.0\.1:(\d+)")
assert LISTEN_RE.search("Bot2Bot.chat listening on http://127.0.0.1:3000")
assert LISTEN_RE.search("Bot2Bot.chat listening on https://127.0.0.1:3000")  # --tls-cert

# Environment variables that could configure the relay behind our back (ROOMS.md §17 and
# the matching env vars of our flags). Tests pass explicit flags instead.
_ENV_PREFIXES = ("BOT2BOT_",)
_ENV_NAMES = {
    "PORT", "HOST", "TRUST_PROXY", "METRICS_TOKEN", "ROOMS_MAX", "ROOM_GLOBAL_MAX_BYTES",
    "STREAM_CAP_PER_IP", "WAITER_CAP_PER_IP", "ROOM_WAITERS_MAX", "GLOBAL_RL_CAP",
    "GLOBAL_RL_REFILL_PER_SEC", "TAILSCALE_HOST", "TAILSCALE_PORT",
    # identity settings (IDENTITY.md §7): tests pass --admin-token or env= explicitly
    "IDENTITY_ADMIN_TOKEN", "IDENTITIES_MAX", "IDENTITY_GC_INACTIVE_MS", "IDENTITY_TOUCH_MIN_MS",
    "INBOX_SIG_SEEN_MAX", "ROOM_SIG_SEEN_MAX", "DM_ENV_SEEN_MAX", "INBOX_ANON_MAX",
    "INBOX_GLOBAL_MAX_BYTES", "DM_WAITERS_MAX_PER_HANDLE", "AGENT_PROFILE_TTL_MS",
    "AGENT_PROFILE_SIG_SKEW_MS", "CLAIM_TTL_MS", "ROOM_CURSORS_PER_HANDLE_MAX",
}

# The exact Content-Security-Policy our relay sends (stricter than the reference, §13.3).
OUR_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; font-src 'self'; "
           "img-src 'self' data: blob:; connect-src 'self' ws: wss:; frame-ancestors 'none'")

# Keys a stored/relayed message record may carry (§2.5 minus `_bytes`, §20.1; `type` per §20.2).
MESSAGE_REQUIRED_KEYS = {"seq", "id", "sender", "sender_verified", "ciphertext", "nonce", "ts"}
MESSAGE_ALLOWED_KEYS = MESSAGE_REQUIRED_KEYS | {"type", "ttl_ms", "reply_to"}

UUID4_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def binary_path() -> str:
    env = os.environ.get("BOT2BOT_BIN")
    if env:
        return env
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.normpath(os.path.join(here, "..", "..", "build", "bot2bot"))


def now_ms() -> int:
    return int(time.time() * 1000)


# ---------------------------------------------------------------------------------------
# Identifiers and payloads
# ---------------------------------------------------------------------------------------

_ROOM_ALPHABET = string.ascii_letters + string.digits
_ip_counter = itertools.count(1)
_ip_base = random.randrange(0, 200)


def rand_room(prefix: str = "t", length: int = 16) -> str:
    """A fresh valid room id (§2.1: ^[A-Za-z0-9_-]{4,64}$)."""
    body = "".join(random.choice(_ROOM_ALPHABET) for _ in range(max(4, length - len(prefix))))
    return (prefix + body)[:64]


def new_ip() -> str:
    """A distinct fake client IP, sent as X-Forwarded-For (honoured from loopback, §11)."""
    n = next(_ip_counter)
    return f"10.{_ip_base}.{(n >> 8) & 255}.{n & 255}"


def xff(ip: str | None) -> dict:
    return {"X-Forwarded-For": ip} if ip else {}


ROOM_KEY = nacl.utils.random(nacl.secret.SecretBox.KEY_SIZE)
_BOX = nacl.secret.SecretBox(ROOM_KEY)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def sealed(text: str | None = None, size: int | None = None, key: bytes | None = None) -> dict:
    """Return {"ciphertext","nonce"} holding a real secretbox of `text` (or `size` random bytes)."""
    box = nacl.secret.SecretBox(key) if key else _BOX
    if text is None:
        plaintext = os.urandom(size if size is not None else 32)
    else:
        plaintext = text.encode("utf-8")
    nonce = nacl.utils.random(nacl.secret.SecretBox.NONCE_SIZE)
    ct = box.encrypt(plaintext, nonce).ciphertext
    return {"ciphertext": b64(ct), "nonce": b64(nonce)}


def open_sealed(msg: dict, key: bytes | None = None) -> str:
    box = nacl.secret.SecretBox(key) if key else _BOX
    ct = base64.b64decode(msg["ciphertext"], validate=True)
    nonce = base64.b64decode(msg["nonce"], validate=True)
    return box.decrypt(ct, nonce).decode("utf-8")


def message_body(text: str | None = None, sender: str | None = "e2e", **extra) -> dict:
    body = sealed(text)
    if sender is not None:
        body["sender"] = sender
    body.update(extra)
    return body


def assert_message_record(rec: dict, *, streamed: bool = True) -> None:
    """Shape of a relayed message (§2.5, §4.1) with our fixes: no `_bytes` (§20.1) and
    `type":"message"` everywhere (§20.2)."""
    assert isinstance(rec, dict), rec
    missing = MESSAGE_REQUIRED_KEYS - rec.keys()
    assert not missing, f"message record lacks {missing}: {rec}"
    extra = rec.keys() - MESSAGE_ALLOWED_KEYS
    assert not extra, f"message record carries unexpected keys {extra}: {rec}"
    assert "_bytes" not in rec
    assert rec.get("type") == "message", f"record without type:message (§20.2): {rec}"
    assert type(rec["seq"]) is int and 0 < rec["seq"] <= 2**53 - 1, rec
    assert type(rec["ts"]) is int, rec
    assert rec["sender_verified"] is False or rec["sender_verified"] is True
    assert UUID4_RE.match(rec["id"]), rec["id"]


# ---------------------------------------------------------------------------------------
# The relay process
# ---------------------------------------------------------------------------------------


class Relay:
    """One `bot2bot serve` process on a free loopback port."""

    def __init__(self, flags: Iterable[str] = (), data_dir: str | None = None,
                 listen: str | None = f"{HOST}:0", env: dict | None = None):
        self.flags = list(flags)
        self.listen = listen
        self.extra_env = dict(env or {})
        self._own_dir = None
        if data_dir is None:
            self._own_dir = tempfile.TemporaryDirectory(prefix="bot2bot-e2e-")
            data_dir = self._own_dir.name
        self.data_dir = data_dir
        self.proc: subprocess.Popen | None = None
        self.port: int | None = None
        self.scheme = "http"  # "https" when started with --tls-cert
        self.exit_code: int | None = None
        self._lines: list[str] = []
        self._lock = threading.Lock()
        self._listening = threading.Event()
        self._reader: threading.Thread | None = None

    # -- lifecycle ------------------------------------------------------------------
    def start(self, timeout: float = 10.0) -> "Relay":
        binary = binary_path()
        if not os.path.isfile(binary) or not os.access(binary, os.X_OK):
            raise RuntimeError(f"relay binary not found or not executable: {binary} "
                               "(build it, or set BOT2BOT_BIN)")
        env = {k: v for k, v in os.environ.items()
               if k not in _ENV_NAMES and not k.startswith(_ENV_PREFIXES)}
        env.update(self.extra_env)
        listen = ["--listen", self.listen] if self.listen else []
        # `make test-tsan` sets BOT2BOT_E2E_THREADS=2 so every relay runs two event loops
        # (cross-thread paths exercised even on a 1-core machine) unless a test chose.
        threads = os.environ.get("BOT2BOT_E2E_THREADS")
        if threads and "--threads" not in self.flags:
            listen += ["--threads", threads]
        cmd = [binary, "serve", *listen, "--data-dir", self.data_dir, *self.flags]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, env=env, cwd=self.data_dir)
        self._reader = threading.Thread(target=self._pump, daemon=True)
        self._reader.start()
        if not self._listening.wait(timeout):
            out = self.output()
            self.stop()
            raise RuntimeError(f"relay did not print its listening line within {timeout}s; "
                               f"cmd={cmd}\noutput:\n{out[-4000:]}")
        return self

    def _pump(self) -> None:
        assert self.proc and self.proc.stdout
        for raw in iter(self.proc.stdout.readline, b""):
            line = raw.decode("utf-8", "replace")
            with self._lock:
                self._lines.append(line)
            if self.port is None:
                m = LISTEN_RE.search(line)
                if m:
                    self.scheme = m.group(1)
                    self.port = int(m.group(2))
                    self._listening.set()
        self.proc.stdout.close()

    def signal(self, sig: int) -> None:
        assert self.proc is not None
        if self.proc.poll() is None:
            os.kill(self.proc.pid, sig)

    def wait_exit(self, timeout: float) -> int | None:
        assert self.proc is not None
        try:
            self.exit_code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None
        return self.exit_code

    def stop(self, grace: float = 5.0) -> int | None:
        """SIGTERM by PID, SIGKILL after `grace` seconds. Returns the exit code."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            try:
                os.kill(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(grace)
            except subprocess.TimeoutExpired:
                try:
                    os.kill(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.proc.wait(5)
        self.exit_code = self.proc.returncode
        if self._reader is not None:
            self._reader.join(5)
        if self._own_dir is not None:
            self._own_dir.cleanup()
            self._own_dir = None
        return self.exit_code

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def output(self) -> str:
        with self._lock:
            return "".join(self._lines)

    # -- addressing -------------------------------------------------------------------
    @property
    def base(self) -> str:
        return f"{self.scheme}://{HOST}:{self.port}"

    def url(self, path: str) -> str:
        return self.base + path

    def ws_url(self, path: str) -> str:
        return f"{'wss' if self.scheme == 'https' else 'ws'}://{HOST}:{self.port}{path}"

    # -- convenience HTTP ---------------------------------------------------------------
    def get(self, path: str, ip: str | None = None, timeout: float = 10, **kw) -> requests.Response:
        headers = {**xff(ip), **kw.pop("headers", {})}
        return requests.get(self.url(path), headers=headers, timeout=timeout, **kw)

    def post(self, path: str, body: Any = None, ip: str | None = None, timeout: float = 10,
             raw: bytes | str | None = None, content_type: str = "application/json",
             session: requests.Session | None = None, **kw) -> requests.Response:
        headers = {"Content-Type": content_type, **xff(ip), **kw.pop("headers", {})}
        data = raw if raw is not None else json.dumps(body)
        s = session or requests
        return s.post(self.url(path), data=data, headers=headers, timeout=timeout, **kw)

    def post_msg(self, room: str, body: dict | None = None, ip: str | None = None,
                 session: requests.Session | None = None, **kw) -> requests.Response:
        return self.post(f"/api/rooms/{room}/messages", body if body is not None else message_body(),
                         ip=ip, session=session, **kw)

    def post_ok(self, room: str, body: dict | None = None, ip: str | None = None,
                session: requests.Session | None = None) -> dict:
        r = self.post_msg(room, body, ip=ip, session=session)
        assert r.status_code == 200, f"POST to {room} -> {r.status_code} {r.text[:300]}"
        j = r.json()
        assert j.get("ok") is True and type(j.get("seq")) is int, j
        return j

    def status(self, room: str) -> dict:
        r = self.get(f"/api/rooms/{room}/status")
        assert r.status_code == 200, r.text
        return r.json()

    def transcript(self, room: str, **params) -> dict:
        r = self.get(f"/api/rooms/{room}/transcript", params=params)
        assert r.status_code == 200, r.text
        return r.json()

    def health(self) -> dict:
        r = self.get("/api/health", timeout=5)
        assert r.status_code == 200, f"/api/health -> {r.status_code} {r.text[:200]}"
        j = r.json()
        assert j.get("ok") is True, j
        return j

    def metrics(self, headers: dict | None = None) -> dict:
        r = self.get("/metrics", headers=headers or {})
        assert r.status_code == 200, f"/metrics -> {r.status_code} {r.text[:200]}"
        return parse_metrics(r.text)

    # -- streams ----------------------------------------------------------------------
    def sse(self, room: str, query: str = "", ip: str | None = None, **kw) -> "SSEStream":
        path = f"/api/rooms/{room}/events" + (("?" + query) if query else "")
        headers = dict(kw.pop("headers", {}))
        if ip:
            headers["X-Forwarded-For"] = ip
        return SSEStream(self.port, path, headers=headers, **kw)

    def ws(self, room: str, ip: str | None = None, timeout: float = 10, query: str = "",
           **kw) -> websocket.WebSocket:
        path = f"/api/rooms/{room}/ws" + (("?" + query) if query else "")
        header = [f"X-Forwarded-For: {ip}"] if ip else []
        return websocket.create_connection(self.ws_url(path), timeout=timeout, header=header,
                                           **kw)


def parse_metrics(text: str) -> dict:
    """Prometheus text → {(name, frozenset(label items)): value}."""
    out: dict = {}
    line_re = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+\d+)?$')
    label_re = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = line_re.match(line.strip())
        assert m, f"not a Prometheus sample line: {line!r}"
        labels = frozenset(label_re.findall(m.group(3) or ""))
        out[(m.group(1), labels)] = float(m.group(4))
    return out


def metric_sum(metrics: dict, name: str, **labels) -> float:
    total = 0.0
    for (n, lbls), v in metrics.items():
        if n == name and all((k, val) in lbls for k, val in labels.items()):
            total += v
    return total


def metric_present(metrics: dict, name: str) -> bool:
    return any(n == name for (n, _l) in metrics)


def poll(fn: Callable[[], Any], timeout: float, interval: float = 0.05) -> Any:
    """Call fn until it returns a truthy value or `timeout` passes; return the last value."""
    deadline = time.monotonic() + timeout
    while True:
        v = fn()
        if v or time.monotonic() >= deadline:
            return v
        time.sleep(interval)


# ---------------------------------------------------------------------------------------
# Raw HTTP on a socket (for cases requests hides: no reading, RST, exact framing)
# ---------------------------------------------------------------------------------------


class RawHTTPResponse:
    def __init__(self, status: int, reason: str, headers: dict, header_list: list):
        self.status = status
        self.reason = reason
        self.headers = headers          # lower-cased name -> last value
        self.header_list = header_list  # [(name, value)] as received


def _read_head(sock: socket.socket, buf: bytearray, deadline: float) -> RawHTTPResponse:
    while b"\r\n\r\n" not in buf:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("no HTTP response head")
        sock.settimeout(remaining)
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"connection closed before response head: {bytes(buf)!r}")
        buf += chunk
    head, _, rest = bytes(buf).partition(b"\r\n\r\n")
    buf[:] = rest
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    status = int(parts[1])
    reason = parts[2] if len(parts) > 2 else ""
    headers, header_list = {}, []
    for ln in lines[1:]:
        name, _, value = ln.partition(":")
        header_list.append((name.strip(), value.strip()))
        headers[name.strip().lower()] = value.strip()
    return RawHTTPResponse(status, reason, headers, header_list)


class SSEStream:
    """Raw-socket SSE client.

    Items are ("data", obj) for each `data:` event and ("comment", text) for comment lines,
    in wire order. `comments` keeps every comment line; `bad_lines` keeps any line that is
    neither a comment nor `data:` (the spec forbids event:/id:/retry:, §6.2); `saw_cr`
    records a CR anywhere in the body (§6.2.3 demands LF only).
    """

    def __init__(self, port: int, path: str, headers: dict | None = None,
                 timeout: float = 10.0, rcvbuf: int | None = None, read_head: bool = True):
        self.port = port
        self.path = path
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf is not None:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(timeout)
        self.sock.connect((HOST, port))
        hdrs = {"Host": f"{HOST}:{port}", "Accept": "text/event-stream",
                "User-Agent": "bot2bot-e2e/1"}
        hdrs.update(headers or {})
        req = f"GET {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in hdrs.items()) + "\r\n"
        self.sock.sendall(req.encode("utf-8"))
        self._raw = bytearray()
        self._body = bytearray()
        self._all_body = bytearray()  # every decoded body byte (for non-stream responses)
        self._is_stream = True
        self._scan = 0
        self._chunked = False
        self._chunk_left = 0
        self._need_crlf = False
        self._length: int | None = None
        self._got = 0
        self.eof = False
        self.items: list = []     # parsed but not yet consumed
        self.comments: list[str] = []
        self.bad_lines: list[str] = []
        self.saw_cr = False
        self.response: RawHTTPResponse | None = None
        self.status: int | None = None
        self.headers: dict = {}
        if read_head:
            self.read_head(timeout)

    # -- head / body ------------------------------------------------------------------
    def read_head(self, timeout: float = 10.0) -> RawHTTPResponse:
        self.response = _read_head(self.sock, self._raw, time.monotonic() + timeout)
        self.status = self.response.status
        self.headers = self.response.headers
        te = self.headers.get("transfer-encoding", "").lower()
        self._chunked = "chunked" in te
        if not self._chunked and "content-length" in self.headers:
            self._length = int(self.headers["content-length"])
        self._is_stream = self.headers.get("content-type", "").startswith("text/event-stream")
        self._decode()
        self._finish_blocks(final=self.eof)
        return self.response

    def _decode(self) -> None:
        n0 = len(self._body)
        try:
            self._decode_inner()
        finally:
            if not self._is_stream:
                self._all_body += self._body[n0:]

    def _decode_inner(self) -> None:
        raw = self._raw
        if not self._chunked:
            if self._length is not None:
                take = min(len(raw), self._length - self._got)
                self._body += raw[:take]
                self._got += take
                del raw[:take]
                if self._got >= self._length:
                    self.eof = True
            else:
                self._body += raw
                raw.clear()
            return
        while True:
            if self._chunk_left > 0:
                take = min(self._chunk_left, len(raw))
                if take == 0:
                    return
                self._body += raw[:take]
                del raw[:take]
                self._chunk_left -= take
                if self._chunk_left == 0:
                    self._need_crlf = True
                continue
            if self._need_crlf:
                if len(raw) < 2:
                    return
                if raw[:2] != b"\r\n":
                    raise AssertionError(f"bad chunk terminator: {bytes(raw[:10])!r}")
                del raw[:2]
                self._need_crlf = False
                continue
            i = raw.find(b"\r\n")
            if i < 0:
                return
            size = int(bytes(raw[:i]).split(b";")[0].strip() or b"0", 16)
            del raw[:i + 2]
            if size == 0:
                self.eof = True
                raw.clear()
                return
            self._chunk_left = size

    def _recv_some(self, deadline: float) -> bool:
        """Receive once. Returns False on EOF. Raises TimeoutError at the deadline."""
        if self.eof:
            return False
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("SSE read timed out")
        self.sock.settimeout(remaining)
        try:
            chunk = self.sock.recv(1 << 20)
        except socket.timeout as e:
            raise TimeoutError("SSE read timed out") from e
        except (ConnectionResetError, BrokenPipeError):
            chunk = b""
        if not chunk:
            self.eof = True
            self._finish_blocks(final=True)
            return False
        self._raw += chunk
        self._decode()
        self._finish_blocks()
        return True

    def read_body(self, timeout: float = 5.0) -> bytes:
        """For non-stream responses (errors): read the whole body."""
        deadline = time.monotonic() + timeout
        while not self.eof:
            self._recv_some(deadline)
        return bytes(self._all_body)

    # -- event parsing ------------------------------------------------------------------
    def _finish_blocks(self, final: bool = False) -> None:
        if not self._is_stream:
            return
        body = self._body
        while True:
            i = body.find(b"\n\n", self._scan)
            if i < 0:
                self._scan = max(0, len(body) - 1)
                if final and body.strip():
                    block = bytes(body)
                    body.clear()
                    self._scan = 0
                    self._parse_block(block)
                return
            block = bytes(body[:i])
            del body[:i + 2]
            self._scan = 0
            self._parse_block(block)

    def _parse_block(self, block: bytes) -> None:
        if b"\r" in block:
            self.saw_cr = True
        text = block.decode("utf-8")
        data_lines = []
        for line in text.split("\n"):
            if line.startswith(":"):
                self.comments.append(line)
                self.items.append(("comment", line))
            elif line.startswith("data:"):
                v = line[5:]
                if not v.startswith(" "):
                    self.bad_lines.append(line[:80])  # §6.2: exactly "data: <json>"
                data_lines.append(v[1:] if v.startswith(" ") else v)
            elif line.strip():
                self.bad_lines.append(line[:80])
        if len(data_lines) > 1:
            self.bad_lines.append("<event split over several data: lines>")
        if data_lines:
            self.items.append(("data", json.loads("\n".join(data_lines))))

    def next_item(self, timeout: float = 5.0):
        """Next ("data", obj) / ("comment", text); None at end of stream."""
        deadline = time.monotonic() + timeout
        while not self.items:
            if not self._recv_some(deadline):
                if not self.items:
                    return None
        return self.items.pop(0)

    def next_event(self, timeout: float = 5.0):
        """Next data event (comments are recorded and skipped); None at end of stream."""
        deadline = time.monotonic() + timeout
        while True:
            item = self.next_item(max(0.0, deadline - time.monotonic()) or 0.001)
            if item is None:
                return None
            if item[0] == "data":
                return item[1]

    def read_until(self, pred: Callable[[dict], bool], timeout: float = 5.0) -> list:
        """Events up to and including the first one matching `pred`."""
        deadline = time.monotonic() + timeout
        out = []
        while True:
            ev = self.next_event(max(0.001, deadline - time.monotonic()))
            if ev is None:
                raise AssertionError(f"stream ended before the expected event; got {out[-5:]}")
            out.append(ev)
            if pred(ev):
                return out

    def read_until_type(self, typ: str, timeout: float = 5.0) -> list:
        return self.read_until(lambda e: e.get("type") == typ, timeout)

    def no_event_for(self, seconds: float) -> list:
        """Collect whatever data events arrive within `seconds` (expects none usually)."""
        got = []
        deadline = time.monotonic() + seconds
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return got
            try:
                ev = self.next_event(remaining)
            except TimeoutError:
                return got
            if ev is None:
                return got
            got.append(ev)

    def wait_eof(self, timeout: float = 5.0) -> list:
        """Read until the server ends the stream; returns remaining items."""
        deadline = time.monotonic() + timeout
        items = []
        while True:
            item = self.next_item(max(0.001, deadline - time.monotonic()))
            if item is None:
                return items
            items.append(item)

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass

    def abort(self) -> None:
        """Close with RST (SO_LINGER 0): an abrupt client disappearance."""
        try:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        self.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def raw_request(port: int, data: bytes, timeout: float = 5.0) -> tuple[RawHTTPResponse | None, bytes]:
    """Send raw bytes, return (response head or None if the peer closed/reset, body bytes)."""
    s = socket.create_connection((HOST, port), timeout=timeout)
    try:
        s.sendall(data)
        buf = bytearray()
        deadline = time.monotonic() + timeout
        try:
            head = _read_head(s, buf, deadline)
        except (ConnectionError, OSError):
            return None, bytes(buf)
        body = bytearray(buf)
        n = int(head.headers.get("content-length", "-1"))
        chunked = "chunked" in head.headers.get("transfer-encoding", "").lower()
        if head.status == 101 or head.status == 304 or head.status == 204:
            n = 0
        while n < 0 or len(body) < n:
            if chunked and body.endswith(b"0\r\n\r\n"):
                break
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            s.settimeout(remaining)
            try:
                chunk = s.recv(65536)
            except (socket.timeout, OSError):
                break
            if not chunk:
                break
            body += chunk
        if "chunked" in head.headers.get("transfer-encoding", "").lower():
            body = bytearray(_dechunk(bytes(body)))
        return head, bytes(body)
    finally:
        s.close()


def _dechunk(data: bytes) -> bytes:
    out = bytearray()
    while data:
        line, sep, rest = data.partition(b"\r\n")
        if not sep:
            break
        size = int(line.split(b";")[0].strip() or b"0", 16)
        if size == 0:
            break
        out += rest[:size]
        data = rest[size + 2:]
    return bytes(out)


def raw_get(port: int, path: str, headers: dict | None = None, method: str = "GET",
            timeout: float = 5.0) -> tuple[RawHTTPResponse | None, bytes]:
    """A request whose path goes on the wire exactly as given (requests re-quotes %45 etc.)."""
    hdrs = {"Host": f"{HOST}:{port}", "Connection": "close"}
    hdrs.update(headers or {})
    req = f"{method} {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in hdrs.items()) + "\r\n"
    return raw_request(port, req.encode("utf-8"), timeout)


def raw_json(port: int, method: str, path: str, body: Any = None, headers: dict | None = None,
             raw: bytes | None = None, timeout: float = 5.0) -> tuple[int, Any, RawHTTPResponse]:
    """Exact-path request with an optional JSON body; returns (status, parsed JSON or None, head)."""
    data = raw if raw is not None else (b"" if body is None else json.dumps(body).encode())
    hdrs = {"Host": f"{HOST}:{port}", "Connection": "close"}
    if body is not None or raw is not None:
        hdrs["Content-Type"] = "application/json"
        hdrs["Content-Length"] = str(len(data))
    hdrs.update(headers or {})
    head_txt = f"{method} {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in hdrs.items())
    head, resp = raw_request(port, head_txt.encode("utf-8") + b"\r\n" + data, timeout)
    assert head is not None, f"no HTTP response to {method} {path}"
    try:
        parsed = json.loads(resp) if resp else None
    except ValueError:
        parsed = None
    return head.status, parsed, head


def ws_upgrade_raw(port: int, path: str, headers: dict | None = None,
                   timeout: float = 5.0) -> tuple[RawHTTPResponse | None, bytes]:
    key = base64.b64encode(os.urandom(16)).decode()
    hdrs = {"Host": f"{HOST}:{port}", "Upgrade": "websocket", "Connection": "Upgrade",
            "Sec-WebSocket-Key": key, "Sec-WebSocket-Version": "13"}
    hdrs.update(headers or {})
    req = f"GET {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in hdrs.items()) + "\r\n"
    return raw_request(port, req.encode(), timeout)


# ---------------------------------------------------------------------------------------
# WebSocket helpers
# ---------------------------------------------------------------------------------------


class WsClosed(Exception):
    def __init__(self, code: int | None, reason: bytes = b""):
        super().__init__(f"websocket closed with code {code}")
        self.code = code
        self.reason = reason


def ws_next(ws: websocket.WebSocket, timeout: float = 5.0, pings: list | None = None) -> dict:
    """Next JSON frame from the server. Pings are answered and recorded in `pings`; a close
    frame raises WsClosed(code); timeout raises TimeoutError. Frames are read one by one
    (not via recv_data) so a close code is never lost when the server closes the socket
    right after its close frame."""
    deadline = time.monotonic() + timeout
    parts: list[bytes] = []
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("no websocket frame in time")
        ws.settimeout(remaining)
        try:
            frame = ws.recv_frame()
        except (websocket.WebSocketTimeoutException, socket.timeout) as e:
            raise TimeoutError("no websocket frame in time") from e
        except (websocket.WebSocketConnectionClosedException, ConnectionResetError,
                BrokenPipeError, OSError) as e:
            raise WsClosed(None) from e
        if frame is None:
            raise WsClosed(None)
        op = frame.opcode
        if op in (websocket.ABNF.OPCODE_TEXT, websocket.ABNF.OPCODE_BINARY,
                  websocket.ABNF.OPCODE_CONT):
            parts.append(frame.data if isinstance(frame.data, bytes) else frame.data.encode())
            if frame.fin:
                return json.loads(b"".join(parts).decode("utf-8"))
        elif op == websocket.ABNF.OPCODE_CLOSE:
            data = frame.data or b""
            code = struct.unpack("!H", data[:2])[0] if len(data) >= 2 else None
            try:
                ws.send_close()
            except Exception:  # noqa: BLE001 - the peer may already be gone
                pass
            raise WsClosed(code, data[2:])
        elif op == websocket.ABNF.OPCODE_PING:
            if pings is not None:
                pings.append(time.monotonic())
            try:
                ws.pong(frame.data)
            except Exception:  # noqa: BLE001
                pass


def ws_until(ws: websocket.WebSocket, pred: Callable[[dict], bool], timeout: float = 5.0) -> list:
    deadline = time.monotonic() + timeout
    out = []
    while True:
        ev = ws_next(ws, max(0.001, deadline - time.monotonic()))
        out.append(ev)
        if pred(ev):
            return out


def ws_until_type(ws: websocket.WebSocket, typ: str, timeout: float = 5.0) -> list:
    return ws_until(ws, lambda e: e.get("type") == typ, timeout)


def ws_quiet(ws: websocket.WebSocket, seconds: float) -> list:
    """Frames that arrive within `seconds` (tests usually expect none)."""
    got = []
    deadline = time.monotonic() + seconds
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return got
        try:
            got.append(ws_next(ws, remaining))
        except TimeoutError:
            return got


def ws_send(ws: websocket.WebSocket, obj: Any) -> None:
    ws.send(obj if isinstance(obj, str) else json.dumps(obj))


def ws_close(ws: websocket.WebSocket) -> None:
    try:
        ws.close(timeout=1)
    except Exception:
        pass
    try:
        ws.shutdown()
    except Exception:
        pass


def box_pub_url() -> str:
    """An X25519-sized key as the browser/SDK send it: unpadded base64url, 43 chars (§1.3)."""
    return base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("=")


def box_pub_std() -> str:
    """Padded standard base64 (44 chars) — also valid (§1.3)."""
    return base64.b64encode(os.urandom(32)).decode()


def new_uuid() -> str:
    return str(uuid.uuid4())
