"""GET /transcript, GET /status, POST /listening (ROOMS.md §6.5–§6.7), sequence numbers
(§2.4) and the reference-suite expectations about them (§19)."""

import json
import time

import pytest

from relay_client import (assert_message_record, box_pub_url, message_body, now_ms,
                          rand_room, raw_get, raw_json)

BAD_IDS = ["ab", "X" * 65, "X" * 200, "bad%2Fslash", "white%20space", "a$cd"]


def seed(relay, room, n, ip):
    return [relay.post_ok(room, message_body(f"m{i}"), ip=ip) for i in range(n)]


# --- /status ------------------------------------------------------------------------------

def test_status_of_missing_room(relay):
    rid = rand_room("ghost")
    r = relay.get(f"/api/rooms/{rid}/status")
    assert r.status_code == 200
    assert r.json() == {"exists": False, "roomId": rid}
    assert relay.get(f"/api/rooms/{rid}/status").json()["exists"] is False


@pytest.mark.parametrize("rid", BAD_IDS)
def test_status_bad_room_id(relay, rid):
    head, body = raw_get(relay.port, f"/api/rooms/{rid}/status")
    assert head is not None and head.status == 400, rid
    assert json.loads(body)["error"] == "bad roomId"


def test_status_of_existing_room(relay, room, ip):
    posted = seed(relay, room, 3, ip)
    st = relay.status(room)
    assert st["exists"] is True and st["roomId"] == room
    assert st["participants"] == 0
    assert st["recent_count"] == 3
    assert st["last_seq"] == posted[-1]["seq"]
    assert type(st["age_seconds"]) is int and 0 <= st["age_seconds"] <= 5
    assert type(st["idle_seconds"]) is int and 0 <= st["idle_seconds"] <= 5
    assert st["signed_only"] is False
    for k in ("participants", "recent_count", "last_seq"):
        assert type(st[k]) is int


def test_status_idle_and_age_advance(relay, room, ip):
    relay.post_ok(room, ip=ip)
    time.sleep(2.1)
    st = relay.status(room)
    assert st["age_seconds"] >= 2 and st["idle_seconds"] >= 2
    relay.post_ok(room, ip=ip)
    st = relay.status(room)
    assert st["idle_seconds"] == 0 and st["age_seconds"] >= 2


def test_status_counts_stream_subscribers(relay, room, ip):
    relay.post_ok(room, ip=ip)
    with relay.sse(room) as a, relay.sse(room) as b:
        a.read_until_type("ready")
        b.read_until_type("ready")
        assert relay.status(room)["participants"] == 2
    # disconnects are noticed promptly (§6.2 step 9)
    st = None
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        st = relay.status(room)
        if st["participants"] == 0:
            break
        time.sleep(0.05)
    assert st["participants"] == 0


# --- /transcript --------------------------------------------------------------------------

def test_transcript_of_missing_room(relay):
    rid = rand_room("ghost")
    r = relay.get(f"/api/rooms/{rid}/transcript")
    assert r.status_code == 200
    assert r.json() == {"messages": [], "last_seq": 0, "exists": False}
    assert relay.status(rid) == {"exists": False, "roomId": rid}


@pytest.mark.parametrize("rid", BAD_IDS)
def test_transcript_bad_room_id(relay, rid):
    head, body = raw_get(relay.port, f"/api/rooms/{rid}/transcript")
    assert head is not None and head.status == 400
    assert json.loads(body)["error"] == "bad roomId"


def test_transcript_shape_and_order(relay, room, ip):
    posted = seed(relay, room, 5, ip)
    t = relay.transcript(room)
    assert t["exists"] is True
    assert t["count"] == 5 == len(t["messages"])
    assert t["last_seq"] == posted[-1]["seq"]
    assert [m["seq"] for m in t["messages"]] == [p["seq"] for p in posted]
    assert [m["id"] for m in t["messages"]] == [p["id"] for p in posted]
    for m in t["messages"]:
        assert_message_record(m)  # carries "type":"message", no _bytes (§20.1, §20.2)
    assert t["messages"][-1]["seq"] == posted[-1]["seq"]  # newest last


def test_transcript_after_and_limit(relay, room, ip):
    posted = seed(relay, room, 12, ip)
    seqs = [p["seq"] for p in posted]
    t = relay.transcript(room, after=seqs[4])
    assert [m["seq"] for m in t["messages"]] == seqs[5:]
    t = relay.transcript(room, after=seqs[2], limit=3)
    assert [m["seq"] for m in t["messages"]] == seqs[3:6]
    assert t["count"] == 3
    assert t["last_seq"] == seqs[-1]  # newest seq even when the page is truncated
    t = relay.transcript(room, after=seqs[-1])
    assert t["messages"] == [] and t["count"] == 0 and t["last_seq"] == seqs[-1]
    # JS-int parsing (§1.1): 0/garbage -> default 100, negative -> 1, "2abc" -> 2
    assert len(relay.transcript(room, limit=0)["messages"]) == 12
    assert len(relay.transcript(room, limit="abc")["messages"]) == 12
    assert len(relay.transcript(room, limit=-5)["messages"]) == 1
    assert len(relay.transcript(room, limit="2abc")["messages"]) == 2
    assert len(relay.transcript(room, limit="3.9")["messages"]) == 3
    assert len(relay.transcript(room, after=-10)["messages"]) == 12
    assert len(relay.transcript(room, after="garbage")["messages"]) == 12
    head, body = raw_get(relay.port, f"/api/rooms/{room}/transcript?after={seqs[9]}&after=1")
    assert [m["seq"] for m in json.loads(body)["messages"]] == seqs[10:]


def test_transcript_default_page_is_100_oldest_first_and_pages(relay, room, ip):
    posted = seed(relay, room, 120, ip)
    seqs = [p["seq"] for p in posted]
    t = relay.transcript(room)
    assert [m["seq"] for m in t["messages"]] == seqs[:100]
    assert t["count"] == 100 and t["last_seq"] == seqs[-1]
    t2 = relay.transcript(room, after=t["messages"][-1]["seq"])
    assert [m["seq"] for m in t2["messages"]] == seqs[100:]
    t3 = relay.transcript(room, limit=500)
    assert len(t3["messages"]) == 120


def test_transcript_and_status_have_no_side_effects(relay, room, ip):
    relay.post_ok(room, ip=ip)
    time.sleep(1.1)
    relay.transcript(room)
    relay.status(room)
    assert relay.status(room)["idle_seconds"] >= 1


# --- sequence numbers ----------------------------------------------------------------------

@pytest.mark.parametrize("count", [64, 230])
def test_consecutive_posts_get_consecutive_seqs(relay, ip, count):
    room = rand_room()
    t0 = now_ms()
    posted = seed(relay, room, count, ip)
    seqs = [p["seq"] for p in posted]
    assert seqs == list(range(seqs[0], seqs[0] + count))
    assert t0 - 60_000 <= seqs[0] <= now_ms() + 60_000  # starts at creation time (§2.4)
    assert relay.status(room)["last_seq"] == seqs[-1]
    assert relay.status(room)["recent_count"] == count  # buffer is 2000, not 200 (§19)


def test_seqs_are_per_room(relay, ip):
    a, b = rand_room(), rand_room()
    pa = seed(relay, a, 3, ip)
    pb = seed(relay, b, 3, ip)
    pa += seed(relay, a, 2, ip)
    assert [p["seq"] for p in pa] == list(range(pa[0]["seq"], pa[0]["seq"] + 5))
    assert [p["seq"] for p in pb] == list(range(pb[0]["seq"], pb[0]["seq"] + 3))


def test_ids_are_unique(relay, room, ip):
    posted = seed(relay, room, 50, ip)
    assert len({p["id"] for p in posted}) == 50


# --- /listening ---------------------------------------------------------------------------

def test_listening_on_missing_room_is_404(relay):
    rid = rand_room("ghost")
    r = relay.post(f"/api/rooms/{rid}/listening", {"name": "bot"})
    assert r.status_code == 404
    assert r.json()["error"] == "no such room"
    # room existence is checked before the name
    r = relay.post(f"/api/rooms/{rid}/listening", {"name": "bad name"})
    assert r.status_code == 404
    assert relay.status(rid)["exists"] is False  # /listening never creates a room


@pytest.mark.parametrize("rid", ["ab", "X" * 65, "bad%2Fslash"])
def test_listening_bad_room_id(relay, rid):
    status, j, _ = raw_json(relay.port, "POST", f"/api/rooms/{rid}/listening", {"name": "bot"})
    assert status == 400
    assert j["error"] == "bad roomId"


BAD_NAMES = ["bad name", "", "a<b", "quote\"d", "colon:x", "sl/ash", "ctrl\u0007x",
             "nl\nx", "bidi\u202ex", "iso\u2068x", "c1\u0090x", 123, None, ["x"]]


@pytest.mark.parametrize("name", BAD_NAMES, ids=[repr(n) for n in BAD_NAMES])
def test_listening_bad_name_is_400(relay, ip, name):
    room = rand_room()
    relay.post_ok(room, ip=ip)
    r = relay.post(f"/api/rooms/{room}/listening", {"name": name})
    assert r.status_code == 400, name
    j = r.json()
    assert j["error"] == "bad name"
    assert isinstance(j.get("detail"), str) and j["detail"]
    relay.health()


def test_listening_success(relay, room, ip):
    relay.post_ok(room, ip=ip)
    for name in ["helper-bot", "a", "n" * 64, "n" * 100, "émoji\U0001F600", "x@y.z_-"]:
        r = relay.post(f"/api/rooms/{room}/listening", {"name": name, "box_pub": box_pub_url()})
        assert r.status_code == 200, name
        assert r.json() == {"ok": True}
    r = relay.post(f"/api/rooms/{room}/listening", {"name": "nokey"})
    assert r.status_code == 200
    r = relay.post(f"/api/rooms/{room}/listening", {"name": "badkey", "box_pub": "short"})
    assert r.status_code == 200
    assert relay.status(room)["participants"] == 0  # heartbeats are not stream subscribers


def test_listening_malformed_body(relay, room, ip):
    relay.post_ok(room, ip=ip)
    r = relay.post(f"/api/rooms/{room}/listening", raw=b'{"name": ')
    assert r.status_code == 400
    assert isinstance(r.json()["error"], str)
    r = relay.post(f"/api/rooms/{room}/listening", raw=b"[]")
    assert r.status_code == 400
    relay.health()


def test_listening_keeps_room_active(relay, room, ip):
    relay.post_ok(room, ip=ip)
    time.sleep(1.1)
    assert relay.status(room)["idle_seconds"] >= 1
    assert relay.post(f"/api/rooms/{room}/listening", {"name": "hb"}).status_code == 200
    assert relay.status(room)["idle_seconds"] == 0
