"""Unit tests of the SDK's pure parts: room URLs and keys, the SSE parser, envelope
detection, sealing, identity files, and the IDENTITY.md §8 signing vectors. No relay."""

import json
import os
import stat

import pytest

import bot2bot

# IDENTITY.md §8 keys and vectors.
ALICE = bot2bot.Identity("alice-bot", bytes(range(0x20, 0x40)), bytes(range(0x00, 0x20)))
BOB = bot2bot.Identity("bob-bot", bytes(range(0x60, 0x80)), bytes(range(0x40, 0x60)))
TS = 1767225600000
ROOM_KEY_B64U = "CgsMDQ4PEBESExQVFhcYGRobHB0eHyAhIiMkJSYnKCk"


# -- room URLs and keys (CLIENT-PROTOCOL.md §1) -----------------------------------------------

def test_parse_room_url_takes_base_id_key_and_other_pairs():
    base, room, key, pairs = bot2bot.parse_room_url(
        f"https://bot2bot.chat:8443/room/ROOM1234/#k={ROOM_KEY_B64U}&m=abcdefgh&signed=1")
    assert base == "https://bot2bot.chat:8443"
    assert room == "ROOM1234"
    assert key == bytes(range(0x0A, 0x2A))
    assert pairs["m"] == "abcdefgh" and pairs["signed"] == "1"


def test_padded_and_standard_alphabet_keys_are_accepted():
    key = bytes(range(200, 232))
    std = bot2bot.b64(key)
    assert bot2bot.parse_room_url(f"http://h/room/abcd#k={std}")[2] == key
    assert bot2bot.parse_room_url(f"http://h/room/abcd#k={bot2bot.b64u(key)}==")[2] == key


@pytest.mark.parametrize("url", [
    "http://h/room/abcd#k=" + bot2bot.b64u(os.urandom(31)),   # 31 bytes
    "http://h/room/abcd#k=" + bot2bot.b64u(os.urandom(33)),   # 33 bytes
    "http://h/room/abcd#k=" + bot2bot.b64u(os.urandom(16)),   # 16 bytes
    "http://h/room/abcd#k=!!notbase64!!",
    "http://h/room/abcd#m=abcdefgh",                          # no key
    "http://h/room/abcd",                                     # no fragment
    "http://h/room/ab#k=" + ROOM_KEY_B64U,                    # id too short
    "http://h/rooms/abcd#k=" + ROOM_KEY_B64U,                 # wrong path
    "ftp://h/room/abcd#k=" + ROOM_KEY_B64U,                   # wrong scheme
])
def test_bad_room_urls_and_keys_raise_value_error(url):
    with pytest.raises(ValueError):
        bot2bot.parse_room_url(url)


def test_room_refuses_bad_key_and_signed_without_identity():
    with pytest.raises(ValueError):
        bot2bot.Room("http://127.0.0.1:9/room/abcd#k=" + bot2bot.b64u(os.urandom(31)), name="x",
                      heartbeat=False)
    with pytest.raises(ValueError, match="signed=1"):
        bot2bot.Room(f"http://127.0.0.1:9/room/abcd#k={ROOM_KEY_B64U}&signed=1", name="x",
                     heartbeat=False)


def test_unsigned_labels_may_not_start_with_at():
    with pytest.raises(ValueError, match="signed identities"):
        bot2bot.Room(f"http://127.0.0.1:9/room/abcd#k={ROOM_KEY_B64U}", name="@boss",
                     heartbeat=False)
    room = bot2bot.Room(f"http://127.0.0.1:9/room/abcd#k={ROOM_KEY_B64U}", name="ignored",
                        identity=ALICE, heartbeat=False)
    assert room.name == "@alice-bot"
    assert room._is_self("@alice-bot") and not room._is_self("ignored")


def test_room_box_pub_is_unpadded_base64url_of_32_bytes():
    room = bot2bot.Room(f"http://127.0.0.1:9/room/abcd#k={ROOM_KEY_B64U}", name="x",
                        heartbeat=False)
    assert len(room.box_pub) == 43 and "=" not in room.box_pub
    assert len(bot2bot.b64_any(room.box_pub)) == 32


def test_fingerprint_format():
    fp = bot2bot.key_fingerprint(bytes(32))
    assert fp == "6668 7AAD F862 BD77"  # sha256 of 32 zero bytes starts 66687aadf862bd77


def test_make_unique_name_is_base_host_pid_and_stable():
    name = bot2bot.make_unique_name("worker")
    assert name.startswith("worker-") and name.endswith(f"-{os.getpid()}")
    assert "." not in name.split("-")[1]
    assert bot2bot.make_unique_name("worker") == name


# -- SSE parser (ROOMS.md §6.2) ----------------------------------------------------------------

STREAM = (
    b": hello comment\n\n"
    b'data: {"type":"message","seq":1,"text":"caf\xc3\xa9 \xf0\x9f\x98\x80"}\n\n'
    b": keepalive\r\n\r\n"
    b'data: {"type":"ready","last_seq":1}\r\n\r\n'
    b"data:no-space\r\rdata: line1\ndata: line2\n\n"
    b"event: ignored\nid: 7\nretry: 100\ndata: x\n\n"
    b": keepalive\n\n"
    b"data\n\n"
    b'data: {"type":"presence"}\n\n'
    b"data: unterminated"
)
EXPECTED = ['{"type":"message","seq":1,"text":"caf\u00e9 \U0001F600"}',
            '{"type":"ready","last_seq":1}', "no-space", "line1\nline2", "x", "",
            '{"type":"presence"}']


def _feed_all(chunks):
    parser = bot2bot.SSEParser()
    out = []
    for c in chunks:
        out.extend(parser.feed(c))
    return out


def test_sse_parser_whole_stream():
    assert _feed_all([STREAM]) == EXPECTED


def test_sse_parser_split_at_every_byte_boundary():
    for i in range(len(STREAM) + 1):
        assert _feed_all([STREAM[:i], STREAM[i:]]) == EXPECTED, f"split at {i}"


def test_sse_parser_one_byte_per_read_and_three_way_splits():
    assert _feed_all([STREAM[i:i + 1] for i in range(len(STREAM))]) == EXPECTED
    for i in range(0, len(STREAM), 7):
        for j in range(i, len(STREAM), 11):
            assert _feed_all([STREAM[:i], STREAM[i:j], STREAM[j:]]) == EXPECTED


def test_sse_parser_strips_a_leading_bom_split_across_reads():
    data = b"\xef\xbb\xbfdata: a\n\n"
    for i in range(len(data) + 1):
        assert _feed_all([data[:i], data[i:]]) == ["a"]


def test_sse_parser_cr_then_lf_in_the_next_read_is_one_line_end():
    assert _feed_all([b"data: a\r", b"\n\r", b"\n"]) == ["a"]
    assert _feed_all([b"data: a\r", b"\r"]) == ["a"]


# -- envelopes (CLIENT-PROTOCOL.md §3.1) ---------------------------------------------------------

@pytest.mark.parametrize("marker", bot2bot.ENVELOPE_MARKERS)
def test_every_marker_is_an_envelope(marker):
    assert bot2bot.envelope_marker(json.dumps({marker: True, "x": 1})) == marker


@pytest.mark.parametrize("text", [
    None, "", "hello", "[1,2]", '{"bot2bot_react_v1":"true"}', '{"bot2bot_react_v1":1}',
    '{"bot2bot_react_v1":false}', ' {"bot2bot_react_v1":true}', '\ufeff{"bot2bot_react_v1":true}',
    '{"bot2bot_react_v1":true', '{"type":"bot2bot_react_v1"}', '{"bot2bot_unknown_v1":true}',
    '"{\\"bot2bot_react_v1\\":true}"',
])
def test_non_envelopes_are_ordinary_messages(text):
    assert bot2bot.envelope_marker(text) is None


def test_marker_precedence_follows_the_browser_order():
    text = json.dumps({"bot2bot_hist_req_v1": True, "bot2bot_react_v1": True,
                       "bot2bot_adopt_v1": True})
    assert bot2bot.envelope_marker(text) == "bot2bot_adopt_v1"


# -- sealing (CLIENT-PROTOCOL.md §1.3, §1.4) -------------------------------------------------------

def test_seal_open_round_trip_and_wire_format():
    key = os.urandom(32)
    for text in ["", "hello", "caf\u00e9 \U0001F600", "x" * 70000]:
        sealed = bot2bot.seal(key, text)
        assert len(sealed["nonce"]) == 32 and sealed["nonce"] == bot2bot.b64(bot2bot.b64_any(sealed["nonce"]))
        assert len(bot2bot.b64_any(sealed["ciphertext"])) == len(text.encode()) + 16
        assert bot2bot.open_sealed(key, sealed["ciphertext"], sealed["nonce"]) == text


def test_vector_room_message_opens():
    key = bot2bot.parse_room_url(f"http://h/room/ROOM1234#k={ROOM_KEY_B64U}")[2]
    assert bot2bot.open_sealed(key, "/VOrcf6aBM5u56A9AL3natWxoU4lJnw=",
                               "MjM0NTY3ODk6Ozw9Pj9AQUJDREVGR0hJ") == "hi room"


def test_undecryptable_is_none_never_an_error():
    key = os.urandom(32)
    sealed = bot2bot.seal(key, "secret")
    assert bot2bot.open_sealed(os.urandom(32), sealed["ciphertext"], sealed["nonce"]) is None
    assert bot2bot.open_sealed(key, "not base64!", sealed["nonce"]) is None
    assert bot2bot.open_sealed(key, sealed["ciphertext"], "AAAA") is None
    assert bot2bot.open_sealed(key, None, None) is None
    bad_utf8 = bot2bot.nacl.secret.SecretBox(key).encrypt(b"\xff\xfe", os.urandom(24))
    assert bot2bot.open_sealed(key, bot2bot.b64(bad_utf8.ciphertext), bot2bot.b64(bad_utf8.nonce)) is None


def test_room_message_decoding_marks_undecryptable_and_self():
    room = bot2bot.Room(f"http://127.0.0.1:9/room/abcd#k={ROOM_KEY_B64U}", name="me",
                        heartbeat=False)
    rec = {"type": "message", "seq": 5, "id": "i", "sender": "me", "sender_verified": False,
           "ts": 1500, **bot2bot.seal(os.urandom(32), "other key")}
    msg = room._message(rec)
    assert msg.text is None and msg.is_self and msg.ts == 1.5 and msg.seq == 5
    assert room._message({**rec, "sender": ""}).sender == "agent"


# -- identities (IDENTITY.md §2.6, §8) --------------------------------------------------------------

def test_vector_public_keys():
    assert ALICE.sign_pub == "A6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg="
    assert ALICE.box_pub == "NYBy1jZYgNGu6jKa35EhODhR7SGijjt16WXQ0s0WYlQ="
    assert BOB.sign_pub == "JUO5L/EJVRFHatyDadtt3JM2ZaEZeN2hQE7hBmypVZ0="
    assert BOB.box_pub == "Z13VdO13iTELPS52gfN5C0ZsdzsVIf7PNld5WDcepS8="


def test_vector_t1_register():
    body = ALICE.register_body(ts=TS)
    assert body["register_sig"] == ("MSzkzjteAx2yZ0Pxsdr8hxkNIz1J8Gabl+SViAOciiKCxru49M7x+8QfTqMT"
                                    "pF7DZsTTojPQWiEM3TGo8I0uCA==")


def test_vector_t2_request_signature():
    header = ALICE.auth_header("GET", "/api/dm/alice-bot/inbox/wait?after=0&timeout=30", ts=TS,
                               nonce=bot2bot.b64u(bytes(range(0x12))))
    assert header == ("Bot2Bot ts=1767225600000,n=AAECAwQFBgcICQoLDA0ODxAR,sig=6AxSyyg9pYIRMZyoaLy"
                      "C8Oj/3506zuK5kfshVQ+/1R/6ujqTojtr9M/R4wz8U7gbQatWEYsQ1ikM0ZyFL0qdBQ==")


def test_vector_t3_dm_and_opening_it():
    body = bot2bot.dm_body("alice-bot", ALICE.box_pub, "hello alice", identity=BOB, ts=TS,
                           eph_sk=bytes(range(0x80, 0xA0)), nonce=bytes(range(0xC8, 0xE0)))
    assert body == {
        "ciphertext": "eL7eC1DunxMzLkC6apTioUAMmH3+yL07HaXk",
        "nonce": "yMnKy8zNzs/Q0dLT1NXW19jZ2tvc3d7f",
        "sender_eph_pub": "ST6C/HRGSlkmiBdiPSBTxeuOLMSpiLT+4XnsawENUx0=",
        "from_handle": "bob-bot", "from_ts": TS,
        "from_sig": "JHQuyeFJ7rqRcyeaiLOgBceupPI8XfbA9aYv+weCgY0SwhzYrl5NB7TaqrKolvldjnCyaevCCRBkCgGhg0t7AQ==",
    }
    env = ALICE.open_envelope({**body, "seq": 9, "id": "e", "from_verified": True, "ts": TS})
    assert env.text == "hello alice" and env.from_handle == "bob-bot" and env.from_verified
    assert BOB.open_envelope({**body, "seq": 9, "id": "e", "ts": TS}).text is None


def test_vector_t4_signed_room_post():
    fields = ALICE.room_signature("ROOM1234", "/VOrcf6aBM5u56A9AL3natWxoU4lJnw=", ts=TS,
                                  nonce=bot2bot.b64u(bytes(range(0x12, 0x24))))
    assert fields == {"sender_handle": "alice-bot", "sender_ts": TS,
                      "sender_nonce": "EhMUFRYXGBkaGxwdHh8gISIj",
                      "sender_sig": "JZRyWKgViduQKV/8LSKajCV7U93TWRceCd3fcZLjK3G9TfFblxk53prHgcW+"
                                    "CD6lOsWoilFVZY4IK906UcfPDA=="}


def test_vector_t5_profile():
    profile = {"schema": "bot2bot.agent_profile.v1", "handle": "alice-bot",
               "display_name": "Alice Bot", "framework": "openclaw", "framework_version": "1.2",
               "summary": "Finds Python market-data peers.",
               "capabilities": ["python", "market-data"], "topics": ["trading"],
               "languages": ["en"], "contact_policy": "signed_dm_first",
               "homepage_url": "https://example.com/", "updated_at": TS,
               "expires_at": 1767830400000}
    assert bot2bot.sha256_hex(bot2bot.canonical_json(profile)) == \
        "df0f0d427476f167f920e3944c3e2beda9c44468e7cb1214c15e2943001bceef"
    assert ALICE.profile_signature(profile) == ("gocAyLhAzL0BTzCuGAajk3Os3hR7dJUFP4xSq4mIUpRxO2bug"
                                                "OFlWnk8lt58vfR9+yb1AaRnrLo10FNhGIL3Ag==")


def test_tag_normalisation_matches_the_relay_cleaner():
    assert bot2bot._tags(["Python", "market_data", " Market Data! ", "python", "", "a.b:c+d"]) == \
        ["python", "market-data", "a.b:c+d"]


def test_identity_files_both_formats_round_trip_with_mode_0600(tmp_path):
    key_path = ALICE.save(str(tmp_path / "sub" / "cli_identity.key"))
    blob = open(key_path, "rb").read()
    assert blob == bytes([9]) + b"alice-bot" + bytes(range(0x20, 0x40)) + bytes(range(0x20))
    json_path = ALICE.save(str(tmp_path / "alice.json"))
    obj = json.load(open(json_path))
    assert obj == {"bot2bot_identity_v1": True, "handle": "alice-bot",
                   "box_sk_b64u": bot2bot.b64u(bytes(range(0x20, 0x40))),
                   "sign_seed_b64u": bot2bot.b64u(bytes(range(0x20)))}
    for path in (key_path, json_path):
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        loaded = bot2bot.Identity.load(path)
        assert (loaded.handle, loaded.sign_pub, loaded.box_pub) == \
            ("alice-bot", ALICE.sign_pub, ALICE.box_pub)


def test_identity_json_export_accepts_padded_standard_base64(tmp_path):
    path = tmp_path / "export.json"
    path.write_text(json.dumps({"bot2bot_identity_v1": True, "handle": "alice-bot",
                                "box_sk_b64u": bot2bot.b64(bytes(range(0x20, 0x40))),
                                "sign_seed_b64u": bot2bot.b64(bytes(range(0x20)))}))
    assert bot2bot.Identity.load(str(path)).sign_pub == ALICE.sign_pub


@pytest.mark.parametrize("blob", [b"", bytes([1]) + b"a" + bytes(64), bytes([9]) + b"alice-bot",
                                  bytes([9]) + b"ALICE-BOT" + bytes(64)],
                         ids=["empty", "short-handle", "no-keys", "upper-case"])
def test_bad_key_files_are_refused(tmp_path, blob):
    path = tmp_path / "bad.key"
    path.write_bytes(blob)
    with pytest.raises(ValueError):
        bot2bot.Identity.load(str(path))


def test_tail_line_has_exactly_the_spec_keys_in_order():
    room = bot2bot.Room(f"http://127.0.0.1:9/room/abcd#k={ROOM_KEY_B64U}", name="me",
                        heartbeat=False)
    msg = bot2bot.Message(id="i", seq=7, sender="other", text="h\u00e9 \U0001F600", ts=1.25)
    line = bot2bot._tail_line(msg, room)
    assert line == '{"seq": 7, "ts": 1.25, "sender": "other", "text": "h\u00e9 \U0001F600", "is_self": false}'
    assert list(json.loads(line)) == ["seq", "ts", "sender", "text", "is_self"]


def test_mention_boundaries():
    room = bot2bot.Room(f"http://127.0.0.1:9/room/abcd#k={ROOM_KEY_B64U}", name="bot-1",
                        heartbeat=False)
    assert room._mentions_me("@bot-1 hi") and room._mentions_me("hey (@BOT-1)")
    assert room._mentions_me("ping @bot-1.")
    assert not room._mentions_me("@bot-12 hi") and not room._mentions_me("me@bot-1")
    assert not room._mentions_me(None)
