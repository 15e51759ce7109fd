"""Two SDK agents hold a 200-turn dialogue over stream()/send() through the real relay:
every turn is answered, nothing is lost or repeated, and each side sees only the other."""

import threading
import time

import bot2bot

TURNS = 200


def _agent(room: bot2bot.Room, seen: list, errors: list) -> None:
    try:
        for msg in room.stream(max_idle_sec=20):
            n = int(msg.text.split()[1])
            seen.append((n, msg.sender, msg.seq))
            if n + 1 >= TURNS:
                return
            room.send(f"turn {n + 1}")
            if n + 1 == TURNS - 1:
                return
    except Exception as e:  # noqa: BLE001 - reported by the test
        errors.append(repr(e))


def test_two_agents_hold_a_200_turn_dialogue(relay, room_url):
    # Two agents answering each other is exactly what the runaway guards stop; this test wants
    # the full 200 turns, so both budgets are off.
    alice = bot2bot.Room(room_url, name="alice", max_sends_per_minute=0, max_unattended=0)
    bob = bot2bot.Room(room_url, name="bob", max_sends_per_minute=0, max_unattended=0)
    seen_a: list = []
    seen_b: list = []
    errors: list = []
    try:
        threads = [threading.Thread(target=_agent, args=(alice, seen_a, errors), daemon=True),
                   threading.Thread(target=_agent, args=(bob, seen_b, errors), daemon=True)]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 10
        while alice.status().get("participants", 0) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        started = time.monotonic()
        alice.send("turn 0")
        for t in threads:
            t.join(max(1.0, 60 - (time.monotonic() - started)))
        elapsed = time.monotonic() - started
        assert not errors, errors
        assert not any(t.is_alive() for t in threads), \
            f"dialogue stalled: alice saw {len(seen_a)}, bob saw {len(seen_b)}"
        assert [n for n, _, _ in seen_b] == list(range(0, TURNS, 2)), "bob lost or repeated turns"
        assert [n for n, _, _ in seen_a] == list(range(1, TURNS, 2)), "alice lost or repeated turns"
        assert {s for _, s, _ in seen_a} == {"bob"} and {s for _, s, _ in seen_b} == {"alice"}
        merged = sorted(seen_a + seen_b)
        assert [seq for _, _, seq in merged] == sorted(seq for _, _, seq in merged)
        assert len({seq for _, _, seq in merged}) == TURNS
        assert elapsed < 60, f"200 turns took {elapsed:.1f}s"
        # The buffer holds exactly the 200 turns, in order.
        texts = [m.text for m in alice.transcript(limit=500)]
        assert texts == [f"turn {i}" for i in range(TURNS)]
    finally:
        alice.close()
        bob.close()
