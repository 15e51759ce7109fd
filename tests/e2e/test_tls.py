"""TLS without a proxy: `bot2bot serve --tls-cert FILE --tls-key FILE` (issue 9 scope 5).

HTTPS, SSE, WSS and long-poll through the relay's own TLS; TLS 1.2 minimum; plain HTTP and
silent clients on the TLS port; certificate reload on SIGHUP (new connections get the new
pair, open ones keep theirs, a broken pair is refused with one log line); start-up errors.
Certificates are self-signed, made with the openssl command line in a temp dir.
"""

import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import threading
import time

import pytest
import requests

from relay_client import (HOST, Relay, WsClosed, binary_path, message_body, new_ip, rand_room,
                          ws_close, ws_next, ws_until_type, xff)


def make_cert(directory: str, name: str, cn: str = "127.0.0.1") -> tuple[str, str]:
    cert = os.path.join(directory, f"{name}.crt")
    key = os.path.join(directory, f"{name}.key")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-days", "1", "-subj", f"/CN={cn}", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", key, "-out", cert],
        check=True, capture_output=True, timeout=30)
    return cert, key


def der_of(cert_file: str) -> bytes:
    with open(cert_file) as f:
        return ssl.PEM_cert_to_DER_cert(f.read())


def client_context(min_version=None, max_version=None) -> ssl.SSLContext:
    """Accepts any certificate: these tests compare the served certificate's bytes instead."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    if min_version is not None or max_version is not None:
        # Let the client offer old versions at all, so a refusal is the relay's doing.
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
        ctx.minimum_version = min_version
        ctx.maximum_version = max_version
    return ctx


def tls_connect(port: int, ctx: ssl.SSLContext | None = None, timeout: float = 5) -> ssl.SSLSocket:
    raw = socket.create_connection((HOST, port), timeout=timeout)
    try:
        return (ctx or client_context()).wrap_socket(raw, server_hostname=HOST)
    except BaseException:
        raw.close()
        raise


def http_get(sock: socket.socket, path: str) -> tuple[int, bytes]:
    """One keep-alive GET on an open (TLS) socket; returns (status, body)."""
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {HOST}\r\n\r\n".encode())
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        assert chunk, f"connection closed mid-response: {data!r}"
        data += chunk
    head, body = data.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    length = next(int(v) for k, _, v in (l.partition(":") for l in lines[1:])
                  if k.strip().lower() == "content-length")
    while len(body) < length:
        chunk = sock.recv(4096)
        assert chunk, "connection closed mid-body"
        body += chunk
    return int(lines[0].split()[1]), body


def wait_for_output(relay: Relay, text: str, timeout: float = 5) -> None:
    deadline = time.monotonic() + timeout
    while text not in relay.output():
        assert time.monotonic() < deadline, f"no {text!r} in output:\n{relay.output()[-2000:]}"
        time.sleep(0.05)


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    d = str(tmp_path_factory.mktemp("tls"))
    return {"dir": d, "a": make_cert(d, "a"), "b": make_cert(d, "b", cn="second.example")}


@pytest.fixture(scope="module")
def tls_relay(certs):
    cert, key = certs["a"]
    # Four event loops: streams are handed to their room's shard, through the tunnel's socket.
    r = Relay(["--tls-cert", cert, "--tls-key", key, "--header-timeout-s", "1",
               "--stream-cap-per-ip", "1", "--threads", "4"]).start()
    assert r.scheme == "https"
    yield r
    r.stop()


def test_health_over_https_and_public_url_is_https(tls_relay, certs):
    cert = certs["a"][0]
    r = requests.get(tls_relay.url("/api/health"), verify=cert, timeout=5)
    assert r.status_code == 200 and r.json()["ok"] is True
    spec = requests.get(tls_relay.url("/api/openapi.json"), verify=cert, timeout=5)
    assert spec.status_code == 200
    assert spec.json()["servers"][0]["url"] == f"https://127.0.0.1:{tls_relay.port}"


@pytest.mark.parametrize("attempt", range(4))  # rooms land on different shards
def test_post_delivered_over_sse_wss_and_long_poll(tls_relay, certs, attempt):
    cert = certs["a"][0]
    room = rand_room()
    sse = requests.get(tls_relay.url(f"/api/rooms/{room}/events"), headers=xff(new_ip()),
                       stream=True, verify=cert, timeout=10)
    assert sse.status_code == 200
    assert sse.headers["Content-Type"] == "text/event-stream"
    events = sse.iter_lines()
    ws = tls_relay.ws(room, ip=new_ip(), sslopt={"ca_certs": cert})
    ws_until_type(ws, "ready")

    waited = {}

    def wait():
        waited["r"] = requests.get(tls_relay.url(f"/api/rooms/{room}/wait"),
                                   params={"after": 0, "timeout": 10}, headers=xff(new_ip()),
                                   verify=cert, timeout=20)

    waiter = threading.Thread(target=wait, daemon=True)
    waiter.start()
    time.sleep(0.3)  # let the wait park (the room exists: the streams made it)

    posted = requests.post(tls_relay.url(f"/api/rooms/{room}/messages"),
                           data=json.dumps(message_body("over tls")),
                           headers={"Content-Type": "application/json", **xff(new_ip())},
                           verify=cert, timeout=5)
    assert posted.status_code in (200, 201), posted.text
    seq = posted.json()["seq"]

    got = None
    deadline = time.monotonic() + 5
    for line in events:
        if line.startswith(b"data: "):
            event = json.loads(line[6:])
            if event.get("type") == "message":
                got = event
                break
        assert time.monotonic() < deadline, "no message event over SSE"
    assert got is not None and got["seq"] == seq
    sse.close()

    ws_msgs = ws_until_type(ws, "message")
    assert ws_msgs[-1]["seq"] == seq
    ws_close(ws)

    waiter.join(15)
    assert "r" in waited, "long-poll did not return"
    assert waited["r"].status_code == 200
    assert [m["seq"] for m in waited["r"].json()["messages"]] == [seq]


def test_forwarded_address_trusted_through_the_tunnel(tls_relay, certs):
    """The relay sees the TCP peer (loopback, a trusted proxy) behind the tunnel, so
    X-Forwarded-For picks the client: the per-IP stream cap (1 here) applies per forwarded
    address, not to every TLS client together."""
    cert = certs["a"][0]
    room = rand_room()
    first_ip = new_ip()
    opened = []
    try:
        for ip in (first_ip, new_ip()):
            r = requests.get(tls_relay.url(f"/api/rooms/{room}/events"), headers=xff(ip),
                             stream=True, verify=cert, timeout=10)
            opened.append(r)
            assert r.status_code == 200
        again = requests.get(tls_relay.url(f"/api/rooms/{room}/events"), headers=xff(first_ip),
                             stream=True, verify=cert, timeout=10)
        opened.append(again)
        assert again.status_code == 429
    finally:
        for r in opened:
            r.close()


def test_conn_cap_per_ip_applies_to_tls_connections(relay_factory, certs):
    """The cap is taken at accept on the TCP peer: over it, a TLS client is closed before
    any handshake; a slot freed is usable again."""
    cert, key = certs["a"]
    relay = relay_factory("--tls-cert", cert, "--tls-key", key, "--conn-cap-per-ip", "2",
                          "--trust-proxy", "none")
    held = [tls_connect(relay.port) for _ in range(2)]
    try:
        for s in held:
            assert http_get(s, "/api/health")[0] == 200
        with pytest.raises((ssl.SSLError, ConnectionError, OSError)):
            tls_connect(relay.port).close()
        held.pop().close()
        deadline = time.monotonic() + 5
        while True:  # the relay notices the close asynchronously
            try:
                with tls_connect(relay.port) as s:
                    assert http_get(s, "/api/health")[0] == 200
                break
            except (ssl.SSLError, ConnectionError, OSError):
                assert time.monotonic() < deadline, "freed slot never became usable"
                time.sleep(0.05)
    finally:
        for s in held:
            s.close()


def test_plain_http_to_tls_port_is_refused_and_tls_still_served(tls_relay, certs):
    r = requests.get(f"http://{HOST}:{tls_relay.port}/api/health", timeout=5)
    assert r.status_code == 400
    assert "https://" in r.text
    with socket.create_connection((HOST, tls_relay.port), timeout=5) as s:
        s.sendall(b"\x00garbage that is not a ClientHello\r\n\r\n")
        try:
            reply = s.recv(4096)
        except ConnectionResetError:
            reply = b""
        assert reply == b"" or reply[0] == 0x15, reply  # closed, or a TLS alert record
    ok = requests.get(tls_relay.url("/api/health"), verify=certs["a"][0], timeout=5)
    assert ok.status_code == 200


@pytest.mark.filterwarnings("ignore:ssl.TLSVersion:DeprecationWarning")
def test_tls_1_1_refused_1_2_and_1_3_accepted(tls_relay):
    with pytest.raises(ssl.SSLError) as refused:
        tls_connect(tls_relay.port, client_context(ssl.TLSVersion.TLSv1,
                                                   ssl.TLSVersion.TLSv1_1)).close()
    # The relay's alert, not the client declining to offer the version.
    assert "PROTOCOL_VERSION" in str(refused.value).upper(), refused.value
    for version, name in ((ssl.TLSVersion.TLSv1_2, "TLSv1.2"), (ssl.TLSVersion.TLSv1_3, "TLSv1.3")):
        with tls_connect(tls_relay.port, client_context(version, version)) as s:
            assert s.version() == name
            cipher = s.cipher()[0]
            if name == "TLSv1.2":
                assert cipher.startswith("ECDHE-") and ("GCM" in cipher or "CHACHA" in cipher)
            status, body = http_get(s, "/api/health")
            assert status == 200 and json.loads(body)["ok"] is True


def test_silent_client_dropped_after_header_timeout_without_blocking_others(tls_relay, certs):
    with socket.create_connection((HOST, tls_relay.port), timeout=10) as silent:
        t0 = time.monotonic()
        # Others are served while it sits there.
        ok = requests.get(tls_relay.url("/api/health"), verify=certs["a"][0], timeout=5)
        assert ok.status_code == 200
        try:
            data = silent.recv(1)
        except ConnectionResetError:
            data = b""
        elapsed = time.monotonic() - t0
        assert data == b""
        assert 0.5 <= elapsed <= 4, elapsed  # --header-timeout-s 1


def test_sighup_reload_new_connections_get_new_cert_open_ones_keep_theirs(relay_factory, tmp_path):
    a_cert, a_key = make_cert(str(tmp_path), "first", cn="first.example")
    b_cert, b_key = make_cert(str(tmp_path), "second", cn="second.example")
    cert, key = str(tmp_path / "live.crt"), str(tmp_path / "live.key")
    shutil.copy(a_cert, cert)
    shutil.copy(a_key, key)
    relay = relay_factory("--tls-cert", cert, "--tls-key", key)

    kept = tls_connect(relay.port)
    try:
        assert kept.getpeercert(binary_form=True) == der_of(a_cert)
        assert http_get(kept, "/api/health")[0] == 200

        shutil.copy(b_cert, cert)
        shutil.copy(b_key, key)
        relay.signal(signal.SIGHUP)
        wait_for_output(relay, "TLS certificate and key reloaded")
        assert relay.alive()

        with tls_connect(relay.port) as fresh:
            assert fresh.getpeercert(binary_form=True) == der_of(b_cert)
            assert http_get(fresh, "/api/health")[0] == 200
        # The connection made before the reload still works, with its certificate.
        assert http_get(kept, "/api/health")[0] == 200
        assert kept.getpeercert(binary_form=True) == der_of(a_cert)
    finally:
        kept.close()


def test_sighup_with_broken_cert_keeps_old_pair_and_logs_one_line(relay_factory, tmp_path):
    a_cert, a_key = make_cert(str(tmp_path), "first")
    cert, key = str(tmp_path / "live.crt"), str(tmp_path / "live.key")
    shutil.copy(a_cert, cert)
    shutil.copy(a_key, key)
    relay = relay_factory("--tls-cert", cert, "--tls-key", key)

    with open(cert, "w") as f:
        f.write("-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n")
    relay.signal(signal.SIGHUP)
    wait_for_output(relay, "keeping the current TLS certificate")
    time.sleep(0.2)
    out = relay.output()
    warnings = [l for l in out.splitlines() if "keeping the current TLS certificate" in l]
    assert len(warnings) == 1 and cert in warnings[0], warnings
    with open(a_key) as f:
        key_body = "".join(l for l in f.read().splitlines() if not l.startswith("-----"))
    assert key_body[:24] not in out  # no key material in the log

    assert relay.alive()
    with tls_connect(relay.port) as s:
        assert s.getpeercert(binary_form=True) == der_of(a_cert)
        assert http_get(s, "/api/health")[0] == 200


def test_sigterm_drains_tls_streams_and_exits_zero(relay_factory, certs):
    """Graceful shutdown (ROOMS.md §20.22) through the tunnel: the SSE goodbye and the
    WebSocket 1001 close reach the TLS client before the relay exits."""
    cert, key = certs["a"]
    relay = relay_factory("--tls-cert", cert, "--tls-key", key)
    room = rand_room()
    sse = requests.get(relay.url(f"/api/rooms/{room}/events"), stream=True, verify=cert,
                       timeout=10)
    lines = sse.iter_lines()
    assert any(l.startswith(b"data: ") and b'"presence"' in l for l in lines)
    ws = relay.ws(room, sslopt={"ca_certs": cert})
    ws_until_type(ws, "ready")

    relay.signal(signal.SIGTERM)
    rest = [l for l in lines if l]  # to the end of the stream
    assert rest and rest[-1].startswith(b":"), rest
    with pytest.raises(WsClosed) as closed:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            ws_next(ws, max(0.01, deadline - time.monotonic()))
    assert closed.value.code == 1001
    assert relay.wait_exit(10) == 0


def run_serve(*flags: str, tmp_path) -> subprocess.CompletedProcess:
    return subprocess.run([binary_path(), "serve", "--listen", "127.0.0.1:0", "--data-dir",
                           str(tmp_path / "data"), *flags],
                          capture_output=True, text=True, timeout=20, stdin=subprocess.DEVNULL,
                          env={k: v for k, v in os.environ.items() if not k.startswith("BOT2BOT_")})


def test_cert_without_key_exits_2(tmp_path, certs):
    done = run_serve("--tls-cert", certs["a"][0], tmp_path=tmp_path)
    assert done.returncode == 2
    assert "--tls-key" in done.stderr and "listening on" not in done.stdout


@pytest.mark.parametrize("problem", ["missing", "garbage", "mismatched-key"])
def test_bad_cert_or_key_at_start_exits_1_naming_the_file(tmp_path, certs, problem):
    cert, key = certs["a"]
    named = cert
    if problem == "missing":
        cert = named = str(tmp_path / "no-such.crt")
    elif problem == "garbage":
        cert = named = str(tmp_path / "garbage.crt")
        with open(cert, "w") as f:
            f.write("this is not a certificate\n")
    else:
        key = named = certs["b"][1]
    done = run_serve("--tls-cert", cert, "--tls-key", key, tmp_path=tmp_path)
    assert done.returncode == 1, done
    lines = [l for l in done.stderr.splitlines() if l.strip()]
    assert len(lines) == 1 and named in lines[0], done.stderr
    assert "listening on" not in done.stdout
