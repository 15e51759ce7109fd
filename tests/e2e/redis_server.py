"""A real Debian redis-server for the cluster tests: a free loopback port, a temporary dir, AOF
on (appendfsync everysec, as docs/SCALING.md recommends). Started and stopped by PID; restart()
brings it back on the same port and dir, as an operator's restart would."""

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

REDIS_SERVER = "/usr/bin/redis-server"


def available() -> bool:
    return os.access(REDIS_SERVER, os.X_OK)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


class RedisServer:
    def __init__(self, *extra: str):
        self.dir = tempfile.mkdtemp(prefix="b2b-redis-")
        self.port = _free_port()
        self.extra = list(extra)
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}"

    def start(self) -> "RedisServer":
        cmd = [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", self.dir,
               "--appendonly", "yes", "--appendfsync", "everysec", "--save", "",
               "--daemonize", "no", "--logfile", os.path.join(self.dir, "redis.log"), *self.extra]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while not _accepts(self.port):
            if time.monotonic() > deadline:
                raise RuntimeError("redis-server did not accept connections within 10 s")
            time.sleep(0.02)
        return self

    def stop(self, sig: int = signal.SIGTERM) -> None:
        """SIGTERM: Redis writes and fsyncs its AOF, then exits. SIGKILL: a crash."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=10)
        self.proc = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def cli(self, *args: str) -> str:
        out = subprocess.run(["redis-cli", "-p", str(self.port), *args], capture_output=True,
                             text=True, timeout=10)
        return out.stdout

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


# Cluster tests post hundreds of messages from one address: no rate limits in the way.
UNLIMITED = ["--room-rate-burst", "100000", "--room-rate-per-sec", "100000",
             "--global-rate-burst", "100000", "--global-rate-per-sec", "100000"]


def start_nodes(server: "RedisServer", count: int, *flags: str) -> list:
    """`count` relay nodes in cluster mode on `server` (stop them with Relay.stop)."""
    from relay_client import Relay  # the e2e helpers sit beside this file
    return [Relay(["--redis", server.url, *UNLIMITED, *flags]).start() for _ in range(count)]
