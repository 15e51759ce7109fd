"""SDK webhooks (issue 10): Identity.set_webhook / webhook / delete_webhook against the real
relay (run with --webhook-allow-private so a loopback receiver is allowed), and the module
helper verify_webhook(secret, headers, body) that receivers use."""

import json
import time

import pytest

import bot2bot
from webhook_receiver import Receiver

RELAY_FLAGS = ["--webhook-allow-private"]


@pytest.fixture
def ident(relay):
    i = bot2bot.Identity.generate(base_url=relay.base)
    i.register()
    return i


def test_set_webhook_then_a_dm_arrives_and_verifies(relay, ident):
    assert ident.webhook() is None
    with Receiver() as rx:
        hook = ident.set_webhook(rx.url)
        assert hook["ok"] is True and hook["url"] == rx.url
        sender = bot2bot.Identity.generate(base_url=relay.base)
        sender.register()
        sent = sender.dm(ident.handle, "ping over a hook")
        posts = rx.wait_posts(1, timeout=10)
        assert len(posts) == 1
        p = posts[0]
        assert bot2bot.verify_webhook(hook["secret"], p["headers"], p["body"])
        assert bot2bot.verify_webhook(hook["secret"], p["headers"], p["body"], max_age_s=60)
        assert not bot2bot.verify_webhook(hook["secret"], p["headers"], p["body"] + b"x")
        assert not bot2bot.verify_webhook("wrong-secret", p["headers"], p["body"])
        event = json.loads(p["body"])
        assert event["type"] == "dm" and event["id"] == sent["id"]
        # The delivery opens like an inbox envelope: the SDK decrypts it.
        env = ident.open_envelope(event)
        assert env.text == "ping over a hook" and env.from_handle == sender.handle

        deadline = time.monotonic() + 5
        status = ident.webhook()
        while status["deliveries"][0]["state"] != "delivered" and time.monotonic() < deadline:
            time.sleep(0.05)
            status = ident.webhook()
        assert status["deliveries"][0]["state"] == "delivered"
        assert "secret" not in status
        assert ident.delete_webhook()["removed"] == 1
        assert ident.webhook() is None


def test_set_webhook_refusal_raises(relay, ident):
    with Receiver(echo_challenge=False) as rx:
        with pytest.raises(bot2bot.Bot2BotError) as e:
            ident.set_webhook(rx.url)
        assert e.value.status == 400


def test_verify_webhook_matches_a_known_vector():
    # RFC 4231 test case 2 (key "Jefe"), header names case-insensitive, str bodies accepted.
    sig = "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    assert bot2bot.verify_webhook("Jefe", {"x-bot2bot-signature": sig},
                                  "what do ya want for nothing?")
    assert not bot2bot.verify_webhook("Jefe", {}, "what do ya want for nothing?")
    old = {"X-Bot2Bot-Signature": sig, "X-Bot2Bot-Timestamp": "1000"}
    assert not bot2bot.verify_webhook("Jefe", old, b"what do ya want for nothing?", max_age_s=300)
