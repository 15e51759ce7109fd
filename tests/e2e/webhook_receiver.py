"""A loopback webhook receiver for the webhook tests and bench: answers the relay's challenge
GET and records every POST (arrival time, headers, body), answering each with the next status
from a script (then `default_status`)."""

import hashlib
import hmac
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # quiet
        pass

    def _answer(self, status: int, body: bytes = b"") -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):  # noqa: N802
        rx: Receiver = self.server.receiver  # type: ignore[attr-defined]
        challenge = parse_qs(urlsplit(self.path).query).get("challenge", [""])[0]
        with rx.lock:
            rx.challenges.append(self.path)
        self._answer(200, (challenge if rx.echo_challenge else "not-the-challenge").encode())

    def do_POST(self):  # noqa: N802
        rx: Receiver = self.server.receiver  # type: ignore[attr-defined]
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with rx.lock:
            status = rx.script.pop(0) if rx.script else rx.default_status
            rx.posts.append({"at": time.monotonic(), "headers": dict(self.headers),
                             "body": body, "status": status, "path": self.path})
            rx.cond.notify_all()
        self._answer(status)


class Receiver:
    def __init__(self, script=None, default_status: int = 200, echo_challenge: bool = True,
                 tls: tuple[str, str] | None = None):
        """`tls` = (certfile, keyfile) serves https instead of http."""
        self.script = list(script or [])
        self.default_status = default_status
        self.echo_challenge = echo_challenge
        self.posts: list[dict] = []
        self.challenges: list[str] = []
        self.lock = threading.Lock()
        self.cond = threading.Condition(self.lock)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.server.daemon_threads = True
        self.server.receiver = self  # type: ignore[attr-defined]
        self.scheme = "http"
        if tls:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(*tls)
            self.server.socket = ctx.wrap_socket(self.server.socket, server_side=True)
            self.scheme = "https"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "Receiver":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.server.server_address[1]}/hook"

    def wait_posts(self, n: int, timeout: float) -> list[dict]:
        """At least `n` POSTs (bounded by `timeout`); returns a copy of all so far."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while len(self.posts) < n:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self.cond.wait(left)
            return list(self.posts)


def expected_signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
