"""Room against the real relay: presence heartbeat, close(), envelope hiding on every
surface, message metadata, self filtering, mentions, retries with the same signed body,
and the adopt flow of CLIENT-PROTOCOL.md §3.6."""

import gc
import json
import os
import threading
import time
import uuid

import nacl.public
import pytest

import bot2bot
from conftest import make_room_url
from relay_client import SSEStream


def _drain(room, n, **kw):
    """The first n messages of a fresh stream() (bounded by a watchdog)."""
    out = []
    done = threading.Event()

    def run():
        for msg in room.stream(max_idle_sec=10, **kw):
            out.append(msg)
            if len(out) >= n:
                break
        done.set()
    threading.Thread(target=run, daemon=True).start()
    assert done.wait(15), f"stream yielded only {out}"
    return out


def _path(url):
    return "/api/rooms/" + bot2bot.parse_room_url(url)[1]


class FastRoom(bot2bot.Room):
    HEARTBEAT_MIN_S, HEARTBEAT_MAX_S = 0.2, 0.3


def test_presence_is_announced_at_construction_and_repeated_until_close(relay, room_url):
    bot2bot.Room(room_url, name="creator", heartbeat=False).send("create the room")
    assert (bot2bot.Room.HEARTBEAT_MIN_S, bot2bot.Room.HEARTBEAT_MAX_S) == (14.0, 16.0)
    room = FastRoom(room_url, name="hb-agent")
    try:
        assert room._heartbeat_thread.daemon
        with SSEStream(relay.port, _path(room_url) + "/events") as sse:
            ready = sse.read_until_type("ready")[-1]
            mine = [p for p in ready["participants"] if p["name"] == "hb-agent"]
            assert mine and mine[0]["box_pub"] == room.box_pub
            beats = [e for e in sse.no_event_for(1.5) if e.get("type") == "presence"]
            assert len(beats) >= 3, f"heartbeats not repeated: {beats}"
            room.close()
            room._heartbeat_thread.join(2)
            assert not room._heartbeat_thread.is_alive()
            sse.no_event_for(0.4)
            assert not [e for e in sse.no_event_for(1.0) if e.get("type") == "presence"]
    finally:
        room.close()


def test_heartbeat_stops_when_the_room_is_garbage_collected(relay, room_url):
    room = FastRoom(room_url, name="dropped")
    thread = room._heartbeat_thread
    del room
    gc.collect()
    thread.join(2)
    assert not thread.is_alive(), "a dropped Room kept announcing itself"


def test_close_ends_a_blocked_stream_promptly(relay, room_url):
    room = bot2bot.Room(room_url, name="closer", heartbeat=False)
    ended = threading.Event()

    def run():
        for _ in room.stream(max_idle_sec=60):
            pass
        ended.set()
    threading.Thread(target=run, daemon=True).start()
    time.sleep(0.5)
    t0 = time.monotonic()
    room.close()
    assert ended.wait(3), "stream() did not end after close()"
    assert time.monotonic() - t0 < 3


ENVELOPES = [
    {"bot2bot_react_v1": True, "target_id": "abcdefgh", "emoji": "+1", "op": "add"},
    {"bot2bot_delete_v1": True, "target_id": "abcdefgh", "target_seq": 1},
    {"bot2bot_hist_req_v1": True, "req_id": str(uuid.uuid4()), "after": 0},
    {"bot2bot_hist_resp_v1": True, "req_id": str(uuid.uuid4()), "items": [], "chunk": 0},
    {"bot2bot_adopt_v1": True, "target_name": "nobody", "sender_box_pub": "x", "nonce": "x",
     "ciphertext": "x", "adopt_id": str(uuid.uuid4())},
]


def test_all_five_envelopes_are_hidden_on_every_surface(relay, room_url):
    other = bot2bot.Room(room_url, name="other", heartbeat=False)
    for env in ENVELOPES:
        other.send(json.dumps(env))
    other.send('{"bot2bot_react_v1": "true"}')  # not a marker value: an ordinary message
    other.send("visible")
    me = bot2bot.Room(room_url, name="me", heartbeat=False)
    ident = bot2bot.Identity.generate(base_url=relay.base)
    ident.register()
    try:
        shown = [m.text for m in _drain(me, 2)]
        assert shown == ['{"bot2bot_react_v1": "true"}', "visible"]
        assert [m.text for m in me.wait(after=0, timeout=1)] == shown
        assert [m.text for m in me.poll(after=0, timeout=1)] == shown
        assert [m.text for m in me.transcript()] == shown
        assert [m.text for m in me.history()] == shown
        typed = _drain(me, 7, include_envelopes=True)
        assert [m.envelope for m in typed[:5]] == [next(iter(e)) for e in ENVELOPES]
        # claim skips (and acks) envelopes, then hands out the ordinary messages.
        first = me.claim(ident, timeout=2)
        assert first["message"].text == shown[0]
        me.ack(first["claim_id"], first["message"].seq, ident)
        second = me.next_task(ident, timeout=2)
        assert second["message"].text == "visible" and second["ack"]["advanced"] is True
        assert me.claim(ident, timeout=1) is None
    finally:
        me.close()


def test_claim_keeps_waiting_when_woken_by_an_excluded_post(relay, room_url):
    ident = bot2bot.Identity.generate(base_url=relay.base)
    ident.register()
    worker = bot2bot.Room(room_url, name="worker", heartbeat=False)
    worker.send("my own post creates the room")
    result = {}
    t = threading.Thread(target=lambda: result.update(task=worker.claim(ident, timeout=10)))
    t.start()
    time.sleep(0.5)
    worker.send("another own post wakes the parked claim")
    time.sleep(0.8)
    boss = bot2bot.Room(room_url, name="boss", heartbeat=False).send("the real task")
    t.join(15)
    task = result.get("task")
    assert task is not None, "claim() gave up on the early empty answer"
    assert task["message"].seq == boss["seq"] and task["message"].text == "the real task"
    assert worker.claim(ident, timeout=1)["claim_id"] == task["claim_id"]  # still in flight


def test_send_returns_id_and_seq_and_stream_exposes_metadata(relay, room_url):
    a = bot2bot.Room(room_url, name="a", heartbeat=False)
    b = bot2bot.Room(room_url, name="b", heartbeat=False)
    first = a.send("parent")
    assert first["ok"] is True and isinstance(first["seq"], int) and len(first["id"]) == 36
    a.send("child", reply_to=first["id"], ttl_ms=60000)
    b.send("own message")
    got = _drain(b, 2)
    assert [m.text for m in got] == ["parent", "child"]  # b's own message is filtered
    assert got[1].reply_to == first["id"] and got[1].ttl_ms == 60000
    assert got[0].reply_to is None and got[0].ttl_ms is None
    assert got[0].id == first["id"] and got[0].seq == first["seq"]
    assert not got[0].sender_verified and not got[0].is_self
    assert abs(got[0].ts - time.time()) < 60
    with_self = _drain(b, 3, include_self=True)
    assert [(m.text, m.is_self) for m in with_self] == \
        [("parent", False), ("child", False), ("own message", True)]


def test_undecryptable_messages_arrive_with_text_none(relay, room_url):
    base, room_id, _, _ = bot2bot.parse_room_url(room_url)
    wrong = bot2bot.Room(f"{base}/room/{room_id}#k={bot2bot.b64u(os.urandom(32))}",
                         name="wrong-key", heartbeat=False)
    wrong.send("you cannot read this")
    me = bot2bot.Room(room_url, name="me", heartbeat=False)
    msg = _drain(me, 1)[0]
    assert msg.text is None and msg.sender == "wrong-key"


def test_mention_only_uses_the_label_without_at(relay, room_url):
    other = bot2bot.Room(room_url, name="other", heartbeat=False)
    for text in ["no mention", "@bot-7x nope", "hey @bot-7 please", "email me@bot-7"]:
        other.send(text)
    me = bot2bot.Room(room_url, name="bot-7", heartbeat=False)
    assert [m.text for m in _drain(me, 1, mention_only=True)] == ["hey @bot-7 please"]


def test_signed_send_is_retried_after_429_with_the_same_body(relay_factory):
    relay = relay_factory("--room-rate-burst", "2", "--room-rate-per-sec", "2")
    ident = bot2bot.Identity.generate(base_url=relay.base)
    ident.register()
    room = bot2bot.Room(make_room_url(relay.base), identity=ident, heartbeat=False)
    answers = [room.send(f"burst {i}") for i in range(6)]
    assert len({a["seq"] for a in answers}) == 6
    texts = [(m.text, m.sender, m.sender_verified) for m in room.transcript()]
    assert texts == [(f"burst {i}", "@" + ident.handle, True) for i in range(6)]


def _adopt_envelope(target: bot2bot.Room, minted: bot2bot.Identity, adopt_id: str) -> str:
    operator_box = nacl.public.PrivateKey.generate()
    inner = {**minted.to_json(), "adopt_id": adopt_id}
    del inner["bot2bot_identity_v1"]
    nonce = os.urandom(24)
    box = nacl.public.Box(operator_box, nacl.public.PublicKey(bot2bot.b64_any(target.box_pub)))
    ct = box.encrypt(json.dumps(inner).encode(), nonce).ciphertext
    return json.dumps({"bot2bot_adopt_v1": True, "target_name": target.name,
                       "sender_box_pub": bot2bot.b64u(bytes(operator_box.public_key)),
                       "nonce": bot2bot.b64u(nonce), "ciphertext": bot2bot.b64u(ct),
                       "adopt_id": adopt_id})


@pytest.mark.parametrize("consent,signed_operator", [(True, True), (False, True), (True, False)])
def test_adoption_needs_a_verified_operator_and_consent(relay, room_url, tmp_path, consent,
                                                        signed_operator):
    save = tmp_path / "adopted.key"
    target = bot2bot.Room(room_url, name="anon-worker", accept_adoptions=consent,
                          adopt_save_path=str(save), heartbeat=False)
    operator_ident = bot2bot.Identity.generate(base_url=relay.base)
    operator_ident.register()
    operator = bot2bot.Room(room_url, name="operator", heartbeat=False,
                            identity=operator_ident if signed_operator else None)
    minted = bot2bot.Identity.generate(base_url=relay.base)
    minted.register()
    operator.send(_adopt_envelope(target, minted, str(uuid.uuid4())))
    operator.send("after the offer")
    got = _drain(target, 1)
    assert [m.text for m in got] == ["after the offer"], "the adopt envelope was shown"
    adopted = consent and signed_operator
    assert (target.name == "@" + minted.handle) is adopted
    assert save.exists() is adopted
    if adopted:
        assert bot2bot.Identity.load(str(save)).sign_pub == minted.sign_pub
        answer = target.send("now signed")
        rec = [m for m in operator.transcript() if m.seq == answer["seq"]][0]
        assert rec.sender == "@" + minted.handle and rec.sender_verified is True
    else:
        assert target.identity is None and target.name == "anon-worker"
