"""SSE resume (ROOMS.md §6.2, §6.2.1, §18.2): a subscriber that loses its stream mid-way and
reconnects with ?after=<last seq seen> gets every message exactly once — no gap, no
duplicate — over 1,000 messages, while a poster keeps posting. Drops happen with RST,
with FIN, and in the middle of a replay."""

import threading
import time

import requests

from relay_client import message_body, rand_room

# 1,000 posts in a few seconds from one client: raise the rate limits for this module.
RELAY_FLAGS = ["--room-rate-burst", "100000", "--room-rate-per-sec", "100000",
               "--global-rate-burst", "100000", "--global-rate-per-sec", "100000"]

N = 1000


def test_resume_after_drops_has_no_gap_and_no_duplicate(relay):
    room = rand_room("resume")
    posted = []
    post_errors = []

    def poster():
        s = requests.Session()
        try:
            for i in range(N):
                posted.append(relay.post_ok(room, message_body(f"msg {i}"), session=s))
                if i % 20 == 19:
                    time.sleep(0.01)
        except Exception as e:  # noqa: BLE001
            post_errors.append(e)

    seen = []
    ready_checks = []
    stream = relay.sse(room)
    evs = stream.read_until_type("ready")
    assert len(evs) == 1 and evs[0]["last_seq"] == 0

    t = threading.Thread(target=poster)
    t.start()
    # (messages seen before dropping, how to drop)
    plan = [(150, "rst"), (400, "fin"), (650, "mid-replay"), (820, "rst")]
    connections = 1
    deadline = time.monotonic() + 90
    in_replay, replayed, after = False, [], None
    while len(seen) < N and time.monotonic() < deadline:
        ev = stream.next_event(timeout=10)
        assert ev is not None, f"stream ended unexpectedly after {len(seen)} messages"
        if ev["type"] == "ready":
            if in_replay:
                expected = replayed[-1] if replayed else after
                ready_checks.append((ev["last_seq"], expected))
                in_replay = False
            continue
        if ev["type"] != "message":
            continue
        seen.append(ev["seq"])
        if in_replay:
            replayed.append(ev["seq"])
        if plan and len(seen) >= plan[0][0]:
            _, how = plan.pop(0)
            if how == "mid-replay":
                # reconnect after a pause so there is a backlog, read part of it, drop again
                stream.abort()
                time.sleep(0.15)
                after = seen[-1]
                stream = relay.sse(room, f"after={after}")
                connections += 1
                for _ in range(3):
                    ev2 = stream.next_event(timeout=10)
                    assert ev2 is not None
                    if ev2["type"] == "message":
                        assert ev2["seq"] == seen[-1] + 1, "replay has a gap or duplicate"
                        seen.append(ev2["seq"])
                    else:
                        break
            if how == "fin":
                stream.close()
            else:
                stream.abort()
            time.sleep(0.05)
            after = seen[-1]
            stream = relay.sse(room, f"after={after}")
            connections += 1
            in_replay, replayed = True, []
    stream.close()
    t.join(60)
    assert not post_errors, post_errors[:3]
    assert len(posted) == N
    posted_seqs = [p["seq"] for p in posted]
    assert posted_seqs == list(range(posted_seqs[0], posted_seqs[0] + N))
    assert len(seen) == len(set(seen)), "duplicate deliveries across reconnects"
    assert seen == posted_seqs, (
        f"gap or reorder: first difference at index "
        f"{next((i for i, (a, b) in enumerate(zip(seen, posted_seqs)) if a != b), len(seen))}")
    assert connections >= 5
    for got, expected in ready_checks:
        assert got == expected, "ready.last_seq must equal the newest replayed seq (§6.2.1)"


def test_resume_after_all_posts_replays_exactly_the_rest(relay):
    room = rand_room("tail")
    s = requests.Session()
    posted = [relay.post_ok(room, message_body(f"{i}"), session=s)["seq"] for i in range(300)]
    cut = posted[123]
    with relay.sse(room, f"after={cut}") as stream:
        evs = stream.read_until_type("ready", timeout=10)
        assert [e["seq"] for e in evs[:-1]] == posted[124:]
        assert evs[-1]["last_seq"] == posted[-1]
