"""Graceful shutdown (ROOMS.md §20.22): on SIGTERM/SIGINT the relay drains — SSE streams get a
final comment line and end, WebSockets get close code 1001, parked /wait requests are
answered — and the process exits 0 within a few seconds."""

import signal
import threading
import time

import pytest
import requests

from relay_client import WsClosed, rand_room, ws_next, ws_until_type


def _bg_get(url, out, key, timeout=30):
    def run():
        try:
            out[key] = requests.get(url, timeout=timeout)
        except Exception as e:  # noqa: BLE001
            out[key] = e
    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


def test_sigterm_drains_sse_ws_and_waits_then_exits_zero(relay_factory):
    relay = relay_factory()
    room = rand_room()
    last = relay.post_ok(room)["seq"]
    sse = relay.sse(room)
    sse.read_until_type("presence")
    sse2 = relay.sse(rand_room("other"))
    sse2.read_until_type("presence")
    ws = relay.ws(room)
    ws_until_type(ws, "ready")
    waits = {}
    threads = [
        _bg_get(relay.url(f"/api/rooms/{room}/wait?after={last}&timeout=60"), waits, "parked"),
        _bg_get(relay.url(f"/api/rooms/{rand_room('ghost')}/wait?timeout=60"), waits, "missing"),
    ]
    time.sleep(0.4)
    assert not waits, waits

    t0 = time.monotonic()
    relay.signal(signal.SIGTERM)

    # SSE: a final comment line, then the end of the stream
    for stream in (sse, sse2):
        items = stream.wait_eof(timeout=10)
        assert stream.eof, "SSE stream did not end after SIGTERM"
        assert items and items[-1][0] == "comment", f"no final comment before the end: {items}"
        assert items[-1][1].startswith(":")

    # WebSocket: close frame with code 1001 (going away)
    with pytest.raises(WsClosed) as ei:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            ws_next(ws, max(0.01, deadline - time.monotonic()))
    assert ei.value.code == 1001, f"close code {ei.value.code}"

    # parked and held waits are answered, not cut
    for t in threads:
        t.join(10)
    for key in ("parked", "missing"):
        r = waits.get(key)
        assert isinstance(r, requests.Response), f"{key} wait not answered: {r!r}"
        assert r.status_code in (200, 503), (key, r.status_code)
        j = r.json()
        if r.status_code == 200:
            assert j["messages"] == [], (key, j)

    code = relay.wait_exit(10)
    elapsed = time.monotonic() - t0
    assert code == 0, f"exit code {code}: {relay.output()[-3000:]}"
    assert elapsed < 6, f"shutdown took {elapsed:.1f}s"


def test_sigint_exits_zero(relay_factory):
    relay = relay_factory()
    relay.post_ok(rand_room())
    with relay.sse(rand_room()) as s:
        s.read_until_type("ready")
        t0 = time.monotonic()
        relay.signal(signal.SIGINT)
        s.wait_eof(timeout=10)
        assert s.eof
    assert relay.wait_exit(10) == 0
    assert time.monotonic() - t0 < 6


def test_idle_relay_exits_zero_quickly_on_sigterm(relay_factory):
    relay = relay_factory()
    relay.health()
    t0 = time.monotonic()
    relay.signal(signal.SIGTERM)
    assert relay.wait_exit(10) == 0
    assert time.monotonic() - t0 < 3
