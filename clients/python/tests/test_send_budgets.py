"""Runaway guards in the SDK: a ping-pong of two SDK agents stops at the configured count with
BudgetExceeded naming the budget and how to raise it; a human's message resets the unattended
budget; the per-minute budget; a refused send never reaches the relay."""

import pytest

import bot2bot


def test_ping_pong_stops_at_the_unattended_budget_and_a_human_resets_it(room_url):
    ping = bot2bot.Room(room_url, name="ping", heartbeat=False, humans=["operator"],
                        max_unattended=4)
    pong = bot2bot.Room(room_url, name="pong", heartbeat=False, humans=["operator"],
                        max_unattended=4)
    sent = 0
    with pytest.raises(bot2bot.BudgetExceeded) as stopped:
        for turn in range(50):  # bounded; the guard must stop it long before
            (ping if turn % 2 == 0 else pong).send(f"turn {turn}")
            sent += 1
    assert sent == 8  # 4 each
    assert stopped.value.budget == "unattended replies"
    assert "operator" in str(stopped.value) and "max_unattended=N" in str(stopped.value)
    assert isinstance(stopped.value, bot2bot.Bot2BotError)

    last = ping.status()["last_seq"]
    human = bot2bot.Room(room_url, name="operator", heartbeat=False, max_unattended=0)
    human.send("ok, go on")
    ping.send("thanks")  # both see the human's message on their next send: reset
    pong.send("thanks too")
    assert ping.status()["last_seq"] > last
    assert ping.budget.unattended == 1 and pong.budget.unattended == 1


def test_per_minute_budget(room_url):
    fast = bot2bot.Room(room_url, name="fast", heartbeat=False, max_sends_per_minute=3,
                        max_unattended=0)
    for i in range(3):
        fast.send(f"m{i}")
    with pytest.raises(bot2bot.BudgetExceeded) as stopped:
        fast.send("one too many")
    assert stopped.value.budget == "sends per minute" and "try again in" in str(stopped.value)
    assert [m.text for m in fast.transcript()] == ["m0", "m1", "m2"]
