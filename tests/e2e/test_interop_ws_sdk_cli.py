"""Interop: three different clients share one room and each sees every message exactly once.

* a WebSocket client (raw frames, PyNaCl sealing — what the browser page does),
* the Python SDK over SSE (`Room.stream`),
* the `bot2bot` CLI over long-poll (`room wait` with a cursor, re-armed until done).

Each posts its own messages through its own path (WS frames, SDK HTTP posts, `room send`) while
the others listen; afterwards every participant must have decrypted all 3×N texts, in one
seq order, with no duplicate."""

import base64
import json
import os
import subprocess
import sys
import threading
import time

import nacl.secret
import nacl.utils

from relay_client import binary_path, rand_room, ws_close, ws_next, ws_send

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "clients", "python"))
import bot2bot  # noqa: E402

N = 8
DEADLINE_S = 60


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def test_ws_sdk_and_cli_see_every_message_once(relay, tmp_path):
    key = os.urandom(32)
    room_id = rand_room("interop", 12)
    url = f"{relay.base}/room/{room_id}#k={b64u(key)}"
    box = nacl.secret.SecretBox(key)
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOT2BOT_")}
    env.update(HOME=str(tmp_path), XDG_STATE_HOME=str(tmp_path / "state"))
    seen = {"ws": [], "sdk": [], "cli": []}
    stop = threading.Event()
    errors = []

    # -- the SDK listens over SSE ------------------------------------------------------------
    sdk_room = bot2bot.Room(url, name="sdk-agent", heartbeat=False)

    def sdk_reader():
        try:
            for msg in sdk_room.stream(include_self=True, max_idle_sec=10):
                seen["sdk"].append((msg.seq, msg.text))
                if len(seen["sdk"]) >= 3 * N or stop.is_set():
                    return
        except Exception as e:  # surfaced by the assertion below
            errors.append(f"sdk: {e!r}")

    # -- the WebSocket client joins like the browser page ------------------------------------
    ws = relay.ws(room_id)
    ws_send(ws, {"type": "hello", "name": "ws-page", "box_pub": b64u(os.urandom(32))})

    def ws_reader():
        try:
            while len(seen["ws"]) < 3 * N and not stop.is_set():
                frame = ws_next(ws, timeout=DEADLINE_S)
                if frame.get("type") != "message":
                    continue
                text = box.decrypt(base64.b64decode(frame["ciphertext"]),
                                   base64.b64decode(frame["nonce"])).decode()
                seen["ws"].append((frame["seq"], text))
        except Exception as e:
            errors.append(f"ws: {e!r}")

    # -- the CLI re-arms `room wait` (long-poll) until it has everything ---------------------
    cursor = str(tmp_path / "cli.cursor")
    first = subprocess.run([binary_path(), "room", "wait", url, "--name", "cli-agent",
                            "--cursor", cursor, "--timeout", "0"],
                           capture_output=True, text=True, timeout=30, env=env)
    assert first.returncode == 3, first.stderr  # arms the cursor at the (empty) room's end

    def cli_reader():
        try:
            while len(seen["cli"]) < 3 * N and not stop.is_set():
                r = subprocess.run([binary_path(), "room", "wait", url, "--name", "cli-agent",
                                    "--cursor", cursor, "--timeout", "5", "--include-self"],
                                   capture_output=True, text=True, timeout=60, env=env)
                if r.returncode not in (0, 3):
                    errors.append(f"cli: exit {r.returncode}: {r.stderr}")
                    return
                seen["cli"] += [(m["seq"], m["text"])
                                for m in map(json.loads, r.stdout.splitlines())]
        except Exception as e:
            errors.append(f"cli: {e!r}")

    readers = [threading.Thread(target=f, daemon=True) for f in (sdk_reader, ws_reader, cli_reader)]
    for t in readers:
        t.start()
    time.sleep(0.5)  # the SSE and WS subscriptions are open before the first post
    try:
        for i in range(N):
            nonce = nacl.utils.random(24)
            ct = box.encrypt(f"ws {i}".encode(), nonce).ciphertext
            ws_send(ws, {"sender": "ws-page", "ciphertext": base64.b64encode(ct).decode(),
                         "nonce": base64.b64encode(nonce).decode()})
            sdk_room.send(f"sdk {i}")
            r = subprocess.run([binary_path(), "room", "send", url, f"cli {i}", "--name",
                                "cli-agent"], capture_output=True, text=True, timeout=30, env=env)
            assert r.returncode == 0, r.stderr
        for t in readers:
            t.join(DEADLINE_S)
    finally:
        stop.set()
        sdk_room.close()
        ws_close(ws)

    assert not errors, errors
    expected = sorted([f"ws {i}" for i in range(N)] + [f"sdk {i}" for i in range(N)] +
                      [f"cli {i}" for i in range(N)])
    orders = {}
    for who, got in seen.items():
        texts = [t for _, t in got]
        assert sorted(texts) == expected, f"{who} saw {len(texts)}: {texts}"
        seqs = [s for s, _ in got]
        assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs), f"{who} order/dupes: {seqs}"
        orders[who] = got
    # One room, one order: all three saw the same (seq, text) sequence.
    assert orders["ws"] == orders["sdk"] == orders["cli"]
