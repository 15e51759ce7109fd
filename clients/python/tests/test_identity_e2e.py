"""Identity against the real relay (IDENTITY.md): register, signed room sends, signed-only
rooms, sealed DMs with the inbox long-poll and ack, directory profiles and search."""

import threading
import time

import nacl.signing
import pytest

import bot2bot


@pytest.fixture
def ident(relay):
    i = bot2bot.Identity.generate(base_url=relay.base)
    answer = i.register(bio="sdk test")
    assert answer["ok"] is True and answer["handle"] == i.handle
    return i


def test_register_is_idempotent_for_the_owner_and_refuses_a_taken_handle(relay, ident):
    again = ident.register()
    assert again["ok"] is True and again["handle"] == ident.handle
    thief = bot2bot.Identity.generate(ident.handle, base_url=relay.base)
    with pytest.raises(bot2bot.Bot2BotError) as e:
        thief.register()
    assert e.value.status == 409
    assert ident.lookup("@" + ident.handle.upper())["box_pub"] == ident.box_pub
    assert ident.lookup("nobody-" + ident.handle[:20]) is None


def test_signed_send_shows_the_handle_verified(relay, ident, room_url):
    room = bot2bot.Room(room_url, name="ignored-label", identity=ident, heartbeat=False)
    assert room.name == "@" + ident.handle
    answer = room.send("signed hello")
    reader = bot2bot.Room(room_url, name="reader", heartbeat=False)
    msg = next(reader.stream(max_idle_sec=10))
    assert (msg.seq, msg.text) == (answer["seq"], "signed hello")
    assert msg.sender == "@" + ident.handle and msg.sender_verified is True
    own = room.transcript()[0]
    assert own.is_self and own.sender_verified


def test_signed_only_room_locks_out_unsigned_posts(relay, ident, room_url):
    bot2bot.Room(room_url, identity=ident, signed_only=True, heartbeat=False).send("locking")
    anon = bot2bot.Room(room_url, name="anon", heartbeat=False)
    assert anon.status()["signed_only"] is True
    with pytest.raises(bot2bot.Bot2BotError) as e:
        anon.send("let me in")
    assert e.value.status == 403
    with pytest.raises(ValueError):
        bot2bot.Room(room_url + "&signed=1", name="anon", heartbeat=False)
    assert bot2bot.Room(room_url + "&signed=1", identity=ident, heartbeat=False).send("ok")["ok"]


def test_dm_inbox_long_poll_and_ack(relay, ident):
    bob = bot2bot.Identity.generate(base_url=relay.base)
    bob.register()
    early: list = []
    waiter = threading.Thread(target=lambda: early.extend(bob.inbox(after=0, timeout=10)))
    waiter.start()
    time.sleep(0.5)
    t0 = time.monotonic()
    sent = ident.dm(bob.handle, "hello bob \u2713")
    waiter.join(10)
    assert time.monotonic() - t0 < 3, "the parked inbox wait was not woken by the DM"
    assert [(e.text, e.from_handle, e.from_verified, e.id) for e in early] == \
        [("hello bob \u2713", ident.handle, True, sent["id"])]

    anon = bot2bot.dm("@" + bob.handle, "anonymous note", base_url=relay.base)
    everything = bob.inbox(after=0, timeout=1)
    assert [(e.text, e.from_handle, e.from_verified) for e in everything] == \
        [("hello bob \u2713", ident.handle, True), ("anonymous note", None, False)]
    assert everything[1].seq == anon["seq"] and everything[0].seq < everything[1].seq
    assert bob.inbox(timeout=1) == [], "the cursor should have moved past both"

    assert bob.ack(everything[0])["removed"] == 1
    assert [e.text for e in bob.inbox(after=0, timeout=1, ack=True)] == ["anonymous note"]
    assert bob.inbox(after=0, timeout=1) == [], "ack=True deletes what it returned"
    assert ident.inbox(after=0, timeout=1) == []


def test_dm_to_an_unknown_handle_raises_404(relay, ident):
    with pytest.raises(bot2bot.Bot2BotError) as e:
        ident.dm("no-such-" + ident.handle[:20], "hi")
    assert e.value.status == 404


def test_publish_profile_then_search_and_fetch(relay, ident):
    topic = "sdk-" + ident.handle[-8:]
    answer = ident.publish_profile(display_name="  SDK Tester ", framework="OpenClaw",
                                   summary="Answers Python questions.",
                                   capabilities=["Python", "market_data", "python"],
                                   topics=[topic], languages=["EN"],
                                   homepage_url="https://example.com")
    served = answer["profile"]
    assert served["capabilities"] == ["python", "market-data"]
    assert served["homepage_url"] == "https://example.com/"
    assert served["display_name"] == "SDK Tester" and served["framework"] == "openclaw"

    found = bot2bot.search_agents(topic=topic, base_url=relay.base)
    assert [a["handle"] for a in found["agents"]] == [ident.handle] and found["count"] == 1
    by_q = ident.search_agents("python questions", limit=100)
    assert ident.handle in [a["handle"] for a in by_q["agents"]]
    assert bot2bot.search_agents(topic=topic + "-none", base_url=relay.base)["agents"] == []

    profile = bot2bot.get_agent_profile("@" + ident.handle, base_url=relay.base)
    signed = {k: v for k, v in profile.items()
              if k not in ("box_pub", "sign_pub", "profile_sig", "last_seen_at")}
    text = (f"bot2bot-agent-profile-v1\n{ident.handle}\n{signed['updated_at']}\n"
            f"{bot2bot.sha256_hex(bot2bot.canonical_json(signed))}")
    nacl.signing.VerifyKey(bot2bot.b64_any(profile["sign_pub"])).verify(
        text.encode(), bot2bot.b64_any(profile["profile_sig"]))

    assert ident.unpublish_profile()["ok"] is True
    assert bot2bot.get_agent_profile(ident.handle, base_url=relay.base) is None


def test_default_base_comes_from_the_environment(relay, monkeypatch):
    monkeypatch.setenv("BOT2BOT_BASE", relay.base + "/")
    assert bot2bot.default_base() == relay.base
    assert "agents" in bot2bot.search_agents()
    monkeypatch.delenv("BOT2BOT_BASE")
    assert bot2bot.default_base() == "http://127.0.0.1:3000"
