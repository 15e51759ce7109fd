"""Presence (ROOMS.md §4.2, §4.3, §5, §6.7, §1.3, §1.4, §20.23): ready/presence shapes,
names in join order, participants with numeric last_seen_ms_ago, box_pub rules, SSE query
names, /listening heartbeats, disconnect broadcasts."""

import base64
import os
import time
import urllib.parse

import pytest

from relay_client import (box_pub_std, box_pub_url, new_ip, rand_room, ws_close,
                          ws_send, ws_until_type)


def q(**params):
    return urllib.parse.urlencode(params)


def participants(ev):
    return {p["name"]: p for p in ev["participants"]}


def assert_participant(p):
    assert set(p) <= {"name", "box_pub", "last_seen_ms_ago"}, p
    assert isinstance(p["name"], str) and p["name"]
    assert type(p["last_seen_ms_ago"]) is int and p["last_seen_ms_ago"] >= 0, p


def test_ready_and_presence_shapes_for_two_sse_subscribers(relay):
    room = rand_room()
    key = box_pub_url()
    with relay.sse(room, q(name="alice", box_pub=key)) as a:
        evs = a.read_until_type("presence")
        ready, pres = evs[-2], evs[-1]
        assert ready["type"] == "ready" and ready["size"] == 1 and ready["participants"] == []
        assert pres["size"] == 1 and pres["names"] == ["alice"]
        assert len(pres["participants"]) == 1
        p = pres["participants"][0]
        assert_participant(p)
        assert p["name"] == "alice" and p["box_pub"] == key
        assert p["last_seen_ms_ago"] < 5000
        with relay.sse(room, q(name="bob")) as b:
            evs = b.read_until_type("presence")
            ready_b, pres_b = evs[-2], evs[-1]
            # ready.size counts the joiner; participants never list the joiner
            assert ready_b["size"] == 2
            assert [x["name"] for x in ready_b["participants"]] == ["alice"]
            assert pres_b["size"] == 2 and pres_b["names"] == ["alice", "bob"]
            for x in pres_b["participants"]:
                assert_participant(x)
            assert participants(pres_b)["bob"].get("box_pub") is None
            pres_a = a.read_until_type("presence")[-1]
            assert pres_a["names"] == ["alice", "bob"] and pres_a["size"] == 2
        # bob left: alice is told
        pres_a = a.read_until_type("presence", timeout=5)[-1]
        assert pres_a["size"] == 1 and pres_a["names"] == ["alice"]


def test_unnamed_subscribers_count_in_size_but_not_names(relay):
    room = rand_room()
    with relay.sse(room) as a, relay.sse(room) as b:
        a.read_until_type("presence")
        pres = b.read_until_type("presence")[-1]
        assert pres["size"] == 2 and pres["names"] == [] and pres["participants"] == []


def test_duplicate_names_are_listed_once(relay):
    room = rand_room()
    with relay.sse(room, q(name="twin")) as a, relay.sse(room, q(name="twin")) as b:
        a.read_until_type("presence")
        pres = b.read_until_type("presence")[-1]
        assert pres["size"] == 2 and pres["names"] == ["twin"]
        assert [p["name"] for p in pres["participants"]] == ["twin"]


@pytest.mark.parametrize("name", ["bad name", "a<b>", "x:y", "quote'", "bell\u0007",
                                  "rtl\u202eoverride", "lrm\u200e", "iso\u2066", "del\u007f",
                                  "c1\u009b"])
def test_invalid_sse_names_are_ignored(relay, name):
    room = rand_room()
    with relay.sse(room, q(name=name)) as s:
        pres = s.read_until_type("presence")[-1]
        assert pres["size"] == 1 and pres["names"] == [] and pres["participants"] == []


def test_long_sse_name_is_truncated_to_64_units(relay):
    room = rand_room()
    name = "n" * 40 + "m" * 60
    with relay.sse(room, q(name=name)) as s:
        pres = s.read_until_type("presence")[-1]
        assert pres["names"] == [name[:64]]


def test_unicode_names_are_allowed(relay):
    room = rand_room()
    name = "Zoë-机器人\U0001F916"
    with relay.sse(room, q(name=name)) as s:
        pres = s.read_until_type("presence")[-1]
        assert pres["names"] == [name]


def _box_pub_cases():
    raw = os.urandom(32)
    std = base64.b64encode(raw).decode()
    url = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    return {
        "unpadded_url_43": (url, True),
        "padded_std_44": (std, True),
        "padded_url_44": (base64.urlsafe_b64encode(raw).decode(), True),
        "44_chars_no_padding": (url + "A", False),   # 33 bytes
        "31_bytes": (base64.urlsafe_b64encode(os.urandom(31)).decode().rstrip("="), False),
        "too_short": ("abc", False),
        "too_long_65": ("A" * 65, False),
    }


@pytest.mark.parametrize("case", sorted(_box_pub_cases()))
def test_box_pub_rules_on_sse(relay, case):
    value, valid = _box_pub_cases()[case]
    room = rand_room()
    with relay.sse(room, q(name="keyed", box_pub=value)) as s:
        pres = s.read_until_type("presence")[-1]
        p = participants(pres)["keyed"]
        if valid:
            assert p["box_pub"] == value  # relayed verbatim
        else:
            assert p.get("box_pub") is None, p


def test_listening_heartbeat_appears_in_participants_not_names(relay, ip):
    room = rand_room()
    relay.post_ok(room, ip=ip)
    key = box_pub_url()
    with relay.sse(room, q(name="streamer")) as s:
        s.read_until_type("presence")
        r = relay.post(f"/api/rooms/{room}/listening", {"name": "hb-bot", "box_pub": key})
        assert r.status_code == 200 and r.json() == {"ok": True}
        pres = s.read_until_type("presence")[-1]
        assert pres["size"] == 1
        assert pres["names"] == ["streamer"]
        assert [p["name"] for p in pres["participants"]] == ["streamer", "hb-bot"]
        hb = participants(pres)["hb-bot"]
        assert_participant(hb)
        assert hb["box_pub"] == key and hb["last_seen_ms_ago"] < 5000
        assert relay.status(room)["participants"] == 1
        # re-posting without a valid box_pub clears the stored key, keeps the position
        r = relay.post(f"/api/rooms/{room}/listening", {"name": "hb-bot", "box_pub": "junk"})
        assert r.status_code == 200
        pres = s.read_until_type("presence")[-1]
        assert [p["name"] for p in pres["participants"]] == ["streamer", "hb-bot"]
        assert participants(pres)["hb-bot"].get("box_pub") is None
        # a second heartbeat name is appended after the first
        relay.post(f"/api/rooms/{room}/listening", {"name": "hb-two"})
        pres = s.read_until_type("presence")[-1]
        assert [p["name"] for p in pres["participants"]] == ["streamer", "hb-bot", "hb-two"]


def test_stream_subscriber_wins_name_collision(relay, ip):
    room = rand_room()
    key = box_pub_url()
    with relay.sse(room, q(name="same", box_pub=key)) as s:
        s.read_until_type("presence")
        relay.post(f"/api/rooms/{room}/listening", {"name": "same", "box_pub": box_pub_url()})
        pres = s.read_until_type("presence")[-1]
        entries = [p for p in pres["participants"] if p["name"] == "same"]
        assert len(entries) == 1 and entries[0]["box_pub"] == key


def test_heartbeat_last_seen_grows(relay, ip):
    room = rand_room()
    relay.post_ok(room, ip=ip)
    relay.post(f"/api/rooms/{room}/listening", {"name": "aging"})
    time.sleep(0.6)
    with relay.sse(room) as s:
        ready = s.read_until_type("ready")[-1]
        hb = participants(ready)["aging"]
        assert hb["last_seen_ms_ago"] >= 400, hb


def test_ws_and_sse_presence_mix(relay):
    room = rand_room()
    with relay.sse(room, q(name="sse-one")) as s:
        s.read_until_type("presence")
        ws = relay.ws(room, ip=new_ip())
        try:
            ready = ws_until_type(ws, "ready")[-1]
            assert ready["size"] == 2 and [p["name"] for p in ready["participants"]] == ["sse-one"]
            pres = s.read_until_type("presence")[-1]
            assert pres["size"] == 2 and pres["names"] == ["sse-one"]
            ws_send(ws, {"type": "hello", "name": "ws-two", "box_pub": box_pub_std()})
            pres = s.read_until_type("presence")[-1]
            assert pres["names"] == ["sse-one", "ws-two"]
            assert "box_pub" in participants(pres)["ws-two"]
        finally:
            ws_close(ws)
        pres = s.read_until_type("presence", timeout=5)[-1]
        assert pres["size"] == 1 and pres["names"] == ["sse-one"]


def test_ws_listening_frame_refreshes_last_seen(relay):
    room = rand_room()
    ws = relay.ws(room, ip=new_ip())
    try:
        ws_until_type(ws, "presence")
        ws_send(ws, {"type": "hello", "name": "ticker"})
        ws_until_type(ws, "presence")
        time.sleep(0.7)
        ws_send(ws, {"type": "listening"})
        time.sleep(0.05)
        with relay.sse(room) as s:
            ready = s.read_until_type("ready")[-1]
            p = participants(ready)["ticker"]
            assert p["last_seen_ms_ago"] < 500, p
    finally:
        ws_close(ws)
