"""Room.stream() survives a relay crash: the relay is SIGKILLed mid-stream and restarted on
the same port with the same --data-dir; the stream reconnects with ?after= and yields every
message exactly once, in seq order (CLIENT-PROTOCOL.md §4.1, §6 item 9; ROOMS.md §6.2)."""

import tempfile
import threading
import time

import bot2bot
from conftest import make_room_url
from relay_client import HOST, Relay

PRE, DURING, POST = 25, 10, 25


def _collect(room: bot2bot.Room, into: list, stop: threading.Event) -> threading.Thread:
    def run():
        for msg in room.stream(max_idle_sec=20):
            into.append(msg)
            if stop.is_set():
                return
    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


def _wait_for(pred, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.05)
    return pred()


def test_stream_keeps_going_through_a_relay_kill_and_restart():
    with tempfile.TemporaryDirectory(prefix="bot2bot-sdk-") as data_dir:
        first = Relay(data_dir=data_dir).start()
        second = None
        port = first.port
        url = make_room_url(first.base)
        listener = bot2bot.Room(url, name="listener")
        # A load of sends, not a conversation: the runaway guards are off.
        poster = bot2bot.Room(url, name="poster", heartbeat=False, max_sends_per_minute=0,
                              max_unattended=0)
        got: list = []
        stop = threading.Event()
        try:
            _collect(listener, got, stop)
            assert _wait_for(lambda: listener.status().get("participants") == 1, 10)
            sent = [poster.send(f"pre-{i}")["seq"] for i in range(PRE)]
            assert _wait_for(lambda: len(got) >= PRE, 15), f"only {len(got)} before the kill"

            first.signal(9)  # SIGKILL by PID
            assert first.wait_exit(10) is not None

            # Posts made while the relay is down: send() retries connection errors with the
            # same body until the restarted relay answers.
            during: list = []

            def post_during():
                for i in range(DURING):
                    during.append(poster.send(f"during-{i}", retries=8)["seq"])
            poster_thread = threading.Thread(target=post_during, daemon=True)
            poster_thread.start()
            time.sleep(0.5)
            second = Relay(data_dir=data_dir, listen=f"{HOST}:{port}").start()
            poster_thread.join(60)
            assert len(during) == DURING, "send() did not survive the restart"
            after = [poster.send(f"post-{i}")["seq"] for i in range(POST)]

            total = PRE + DURING + POST
            assert _wait_for(lambda: len(got) >= total, 30), \
                f"stream stalled after the restart: {len(got)}/{total} messages"
            time.sleep(0.5)  # anything extra (a duplicate) would arrive now
            stop.set()
            texts = [m.text for m in got]
            expected = ([f"pre-{i}" for i in range(PRE)] + [f"during-{i}" for i in range(DURING)]
                        + [f"post-{i}" for i in range(POST)])
            assert texts == expected, "messages lost, repeated or out of order"
            seqs = [m.seq for m in got]
            assert seqs == sent + during + after
            assert all(a < b for a, b in zip(seqs, seqs[1:])), "seqs not strictly increasing"
            assert all(m.sender == "poster" and not m.is_self for m in got)
        finally:
            stop.set()
            listener.close()
            poster.close()
            first.stop()
            if second is not None:
                second.stop()


def test_stream_resumes_from_after_without_replaying_older_messages(relay):
    url = make_room_url(relay.base)
    poster = bot2bot.Room(url, name="poster", heartbeat=False)
    seqs = [poster.send(f"m{i}")["seq"] for i in range(6)]
    reader = bot2bot.Room(url, name="reader", heartbeat=False)
    try:
        stream = reader.stream(after=seqs[2], max_idle_sec=10)
        assert [next(stream).text for _ in range(3)] == ["m3", "m4", "m5"]
        poster.send("live")
        assert next(stream).text == "live"
        stream.close()
    finally:
        reader.close()
        poster.close()
