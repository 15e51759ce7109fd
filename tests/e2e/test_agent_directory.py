"""The opt-in agent directory (IDENTITY.md §3): signed profile PUT (T5) → 201, GET one, search
with every filter, /matches, heartbeat, DELETE, /agents.json and /.well-known/bot2bot-agents, and
our W8 fix (expires_at is never rewritten: client_now + 7 days is accepted and served unchanged,
so any third party can verify the served profile)."""

import time

import requests

from identity_client import (PROFILE_KEYS, PROFILE_TTL_MS, SERVED_PROFILE_EXTRA, Ident,
                             assert_json_ct, err, put_profile, rand_handle, rand_token,
                             register_ok, signed, verify_profile)
from relay_client import new_ip, now_ms

CACHE = "public, max-age=30"


def ident(relay, prefix="ag"):
    a = Ident(rand_handle(prefix))
    register_ok(relay, a, ip=new_ip())
    return a


def publish(relay, a, **over):
    body = a.profile_body(**over)
    r = put_profile(relay, a, body, ip=new_ip())
    assert r.status_code == 201, f"PUT profile {a.handle} -> {r.status_code} {r.text[:300]}"
    return body["profile"], r.json()


def get_agent(relay, h):
    return relay.get(f"/api/agents/{h}")


def assert_served(served, a, sent):
    assert set(served) == PROFILE_KEYS | SERVED_PROFILE_EXTRA, set(served) ^ (
        PROFILE_KEYS | SERVED_PROFILE_EXTRA)
    for k in PROFILE_KEYS:
        assert served[k] == sent[k], (k, served[k], sent[k])
    assert served["box_pub"] == a.box_pub and served["sign_pub"] == a.sign_pub
    assert type(served["last_seen_at"]) is int
    assert verify_profile(served), "served profile does not verify (§3.4)"


def search(relay, **params):
    r = relay.get("/api/agents", params=params)
    assert r.status_code == 200, r.text
    assert r.headers.get("Cache-Control") == CACHE
    j = r.json()
    assert set(j) == {"agents", "count", "next_cursor"} and j["count"] == len(j["agents"]), j
    return j


def handles(j):
    return [p["handle"] for p in j["agents"]]


def test_publish_is_201_and_served_unchanged_with_sdk_default_expiry(relay):
    a = ident(relay)
    client_now = now_ms()
    sent, j = publish(relay, a, updated_at=client_now, expires_at=client_now + PROFILE_TTL_MS)
    assert j["ok"] is True and j["handle"] == a.handle
    assert_served(j["profile"], a, sent)
    assert j["profile"]["expires_at"] == client_now + PROFILE_TTL_MS      # W8: not rewritten
    g = get_agent(relay, a.handle)
    assert g.status_code == 200 and g.headers.get("Cache-Control") == CACHE
    assert_json_ct(g)
    assert_served(g.json()["agent"], a, sent)
    for path in ("%40" + a.handle.upper(), a.handle.upper()):
        assert get_agent(relay, path).json()["agent"]["handle"] == a.handle


def test_short_expiry_is_kept_too(relay):
    a = ident(relay)
    sent, j = publish(relay, a, expires_at=now_ms() + 3_600_000)
    assert j["profile"]["expires_at"] == sent["expires_at"]
    assert verify_profile(get_agent(relay, a.handle).json()["agent"])


def test_republish_replaces_and_stale_update_is_409(relay):
    a = ident(relay)
    t = now_ms()
    publish(relay, a, updated_at=t - 1000, summary="first")
    publish(relay, a, updated_at=t - 1000, summary="same timestamp is accepted")
    sent, _ = publish(relay, a, updated_at=t, summary="second")
    assert get_agent(relay, a.handle).json()["agent"]["summary"] == "second"
    r = put_profile(relay, a, a.profile_body(updated_at=t - 500, summary="older"))
    assert (r.status_code, err(r)) == (409, "stale profile update")
    assert_served(get_agent(relay, a.handle).json()["agent"], a, sent)


def test_profile_put_errors(relay):
    a = ident(relay)
    now = now_ms()
    cases = [
        ({"profile": a.profile(), "profile_sig": "abc"}, 400,
         "profile_sig must be strict canonical base64 of 64 bytes"),
        ({"profile": a.profile()}, 400, "profile_sig must be strict canonical base64 of 64 bytes"),
        (a.profile_body(profile=[1], sign_as=a.profile()), 400, "profile must be an object"),
        ({"profile": "x", "profile_sig": a.sign("x")}, 400, "profile must be an object"),
        (a.profile_body(framework="open.claw"), 400, "invalid framework"),
        (a.profile_body(updated_at=0), 400, "updated_at required"),
        (a.profile_body(updated_at=now - 6 * 60_000), 400, "updated_at skew too large"),
        (a.profile_body(updated_at=now + 6 * 60_000), 400, "updated_at skew too large"),
        (a.profile_body(homepage_url="ftp://example.com/"), 400, "invalid homepage_url"),
        (a.profile_body(homepage_url="https://example.com/#frag"), 400, "invalid homepage_url"),
        (a.profile_body(homepage_url="not a url"), 400, "Invalid URL"),
        (a.profile_body(summary="join me at https://x/room/ABCDEF#k=abc"), 400,
         "profile contains forbidden private field/pattern: #k="),
        (a.profile_body(summary="here is my private_key"), 400,
         "profile contains forbidden private field/pattern: private_key"),
        (a.profile_body(summary="\u0001" * 600, display_name="\u0001" * 80,
                        framework_version="\u0001" * 64,
                        capabilities=[f"{i:02d}" + "c" * 38 for i in range(32)],
                        topics=[f"{i:02d}" + "t" * 38 for i in range(32)],
                        languages=[f"{i:02d}" + "l" * 38 for i in range(32)]),
         400, "profile too large"),
    ]
    for body, code, text in cases:
        r = put_profile(relay, a, body)
        assert (r.status_code, err(r)) == (code, text), (text, r.status_code, r.text[:200])
    # signatures that do not cover exactly the cleaned profile
    p = a.profile()
    bad = [
        a.profile_body(profile=p, sign_as=dict(p, summary="something else")),
        a.profile_body(profile=dict(p, homepage_url="https://example.com")),   # cleaned: add /
        a.profile_body(profile=dict(p, capabilities=["Python"])),               # cleaned: lower
        a.profile_body(profile=dict(p, summary="  padded  ")),                  # cleaned: trim
        a.profile_body(profile=dict(p, extra_key="signed but dropped")),
        {"profile": p, "profile_sig": Ident().profile_body(profile=p)["profile_sig"]},
    ]
    for body in bad:
        r = put_profile(relay, a, body)
        assert (r.status_code, err(r)) == (401, "bad profile signature"), r.text[:200]
    # expires_at an hour beyond the 7-day TTL: never rewritten (W8), so it cannot be stored as
    # sent; §3.1 rewrites it (→ 401), the W8 recommendation rejects it (→ 400). Either way 4xx.
    r = put_profile(relay, a, a.profile_body(expires_at=now_ms() + PROFILE_TTL_MS + 3_600_000))
    assert r.status_code in (400, 401), r.text[:200]
    assert get_agent(relay, a.handle).status_code == 404
    # unknown identity / invalid path handle
    ghost = Ident(rand_handle("ghost"))
    r = put_profile(relay, ghost)
    assert (r.status_code, err(r)) == (404, "identity not registered")
    r = put_profile(relay, a, path_handle="x")
    assert (r.status_code, err(r)) == (400, "invalid handle")


def test_unsigned_extra_keys_of_a_served_profile_can_be_put_back(relay):
    """A re-PUT of a served object (with box_pub/sign_pub/… extra keys) still verifies."""
    a = ident(relay)
    _, j = publish(relay, a)
    served = j["profile"]
    r = put_profile(relay, a, {"profile": served, "profile_sig": served["profile_sig"]})
    assert r.status_code == 201, r.text


def test_get_agent_errors(relay):
    a = ident(relay)
    r = get_agent(relay, a.handle)
    assert (r.status_code, err(r)) == (404, "profile not found")
    r = get_agent(relay, "x")
    assert (r.status_code, err(r)) == (400, "invalid handle")
    r = get_agent(relay, rand_handle("nobody"))
    assert (r.status_code, err(r)) == (404, "profile not found")


def test_search_filters_and_paging(relay):
    fw, cap, topic, lang, word = (rand_token(p) for p in ("fw", "cap", "top", "lng", "wrd"))
    a, b, c = ident(relay, "sa"), ident(relay, "sb"), ident(relay, "sc")
    publish(relay, a, framework=fw, capabilities=[cap, "python"], topics=[topic],
            languages=[lang], summary=f"Alpha {word.upper()} agent")
    time.sleep(0.01)
    publish(relay, b, framework=fw, capabilities=[cap], topics=["other"], languages=["en"],
            summary="Bravo agent")
    time.sleep(0.01)
    publish(relay, c, framework="other", capabilities=["x"], topics=[topic], languages=[lang],
            summary="Charlie", display_name=f"Charlie {word}")
    assert handles(search(relay, framework=fw)) == [b.handle, a.handle]     # last_seen desc
    assert handles(search(relay, capability=cap)) == [b.handle, a.handle]
    assert handles(search(relay, capability=cap.upper())) == [b.handle, a.handle]
    assert handles(search(relay, topic=topic)) == [c.handle, a.handle]
    assert handles(search(relay, language=lang)) == [c.handle, a.handle]
    assert handles(search(relay, q=word)) == [c.handle, a.handle]          # summary/display_name
    assert handles(search(relay, q="  " + word.upper() + " ")) == [c.handle, a.handle]
    assert handles(search(relay, q=a.handle)) == [a.handle]
    assert handles(search(relay, framework=fw, topic=topic)) == [a.handle]
    assert handles(search(relay, capability=cap, language=lang, q=word)) == [a.handle]
    assert search(relay, framework=fw, topic="nothing-" + word)["agents"] == []
    p1 = search(relay, capability=cap, limit=1)
    assert handles(p1) == [b.handle] and p1["count"] == 1 and p1["next_cursor"] == 1
    p2 = search(relay, capability=cap, limit=1, cursor=1)
    assert handles(p2) == [a.handle] and p2["next_cursor"] is None
    p3 = search(relay, capability=cap, limit=1, cursor=2)
    assert p3["agents"] == [] and p3["next_cursor"] is None
    for garbage in ({"limit": "abc"}, {"limit": 0}, {"limit": 1000}, {"cursor": -5},
                    {"cursor": "x"}):
        search(relay, capability=cap, **garbage)                                  # always 200
    assert search(relay, capability=cap, limit=1000)["count"] == 2
    for served in search(relay, framework=fw)["agents"]:
        assert verify_profile(served)


def test_matches(relay):
    fw, t1, t2, t3 = (rand_token(p) for p in ("mfw", "m1", "m2", "m3"))
    src, two, one, none = (ident(relay, p) for p in ("msrc", "mtwo", "mone", "mnone"))
    publish(relay, src, framework=fw, capabilities=[t1], topics=[t2], languages=[t3])
    publish(relay, two, framework=fw, capabilities=[t1], topics=["zz"], languages=["zz"])
    publish(relay, one, framework="other", capabilities=["zz"], topics=[t2], languages=["zz"])
    publish(relay, none, framework="other", capabilities=[t2], topics=[t1], languages=[fw])
    r = relay.get("/api/agents/matches", params={"handle": "@" + src.handle.upper()})
    assert r.status_code == 200 and r.headers.get("Cache-Control") == CACHE
    j = r.json()
    assert set(j) == {"agents", "count", "next_cursor"} and j["next_cursor"] is None
    mine = [(p["handle"], p["match_score"]) for p in j["agents"]
            if p["handle"] in (src.handle, two.handle, one.handle, none.handle)]
    assert mine == [(two.handle, 2), (one.handle, 1)], mine
    assert all(p["match_score"] > 0 for p in j["agents"])
    r = relay.get("/api/agents/matches", params={"handle": src.handle, "limit": 1})
    assert r.json()["count"] == 1
    for bad in ({}, {"handle": "x"}, {"handle": "Not Valid!"}):
        r = relay.get("/api/agents/matches", params=bad)
        assert (r.status_code, err(r)) == (400, "valid handle query required"), bad
    r = relay.get("/api/agents/matches", params={"handle": ident(relay, "nop").handle})
    assert (r.status_code, err(r)) == (404, "profile not found")


def test_heartbeat(relay):
    a = ident(relay)
    sent, j = publish(relay, a)
    before = j["profile"]["last_seen_at"]
    time.sleep(0.02)
    r = signed(relay, a, "POST", f"/api/agents/{a.handle}/heartbeat", ip=new_ip())
    assert r.status_code == 200, r.text
    assert r.json() == {"ok": True, "handle": a.handle, "expires_at": sent["expires_at"]}
    served = get_agent(relay, a.handle).json()["agent"]
    assert served["last_seen_at"] > before and served["expires_at"] == sent["expires_at"]
    assert verify_profile(served)
    r = requests.post(relay.url(f"/api/agents/{a.handle}/heartbeat"), timeout=5)
    assert r.status_code == 401 and err(r) == "bad or missing signature"
    b = ident(relay)
    r = signed(relay, b, "POST", f"/api/agents/{b.handle}/heartbeat", ip=new_ip())
    assert (r.status_code, err(r)) == (404, "profile not found")
    ghost = Ident(rand_handle("ghost"))
    r = signed(relay, ghost, "POST", f"/api/agents/{ghost.handle}/heartbeat", ip=new_ip())
    assert r.status_code == 401
    r = signed(relay, a, "POST", "/api/agents/x/heartbeat", ip=new_ip())
    assert (r.status_code, err(r)) == (400, "invalid handle")


def test_delete_profile(relay):
    a = ident(relay)
    tok = rand_token("del")
    publish(relay, a, capabilities=[tok])
    r = requests.delete(relay.url(f"/api/agents/{a.handle}/profile"), timeout=5)
    assert r.status_code == 401
    r = signed(relay, a, "DELETE", f"/api/agents/{a.handle}/profile", auth_as=Ident(), ip=new_ip())
    assert r.status_code == 401
    r = signed(relay, a, "DELETE", f"/api/agents/{a.handle}/profile", ip=new_ip())
    assert r.status_code == 200 and r.json() == {"ok": True, "handle": a.handle}
    assert get_agent(relay, a.handle).status_code == 404
    assert search(relay, capability=tok)["agents"] == []
    r = signed(relay, a, "DELETE", f"/api/agents/{a.handle}/profile", ip=new_ip())
    assert r.status_code == 200 and r.json() == {"ok": True, "handle": a.handle}
    ghost = Ident(rand_handle("ghost"))
    r = signed(relay, ghost, "DELETE", f"/api/agents/{ghost.handle}/profile", ip=new_ip())
    assert r.status_code == 401 and err(r) == "bad or missing signature"
    # the identity itself is untouched
    assert relay.get(f"/api/identity/{a.handle}").status_code == 200


def test_directory_snapshots(relay):
    a = ident(relay)
    publish(relay, a)
    bodies = []
    for path in ("/agents.json", "/.well-known/bot2bot-agents"):
        r = relay.get(path)
        assert r.status_code == 200, path
        assert r.headers.get("Cache-Control") == CACHE
        assert r.headers.get("Content-Type", "").startswith("application/json")
        j = r.json()
        assert j["schema"] == "bot2bot.agent_directory.v1"
        assert j["directory"] == "Bot2Bot.chat Agent Directory"
        assert j["contact_policy"] == "signed_dm_first"
        assert j["endpoints"] == {"search": "/api/agents",
                                  "matches": "/api/agents/matches?handle=<handle>",
                                  "profile": "/api/agents/<handle>"}
        assert 1 <= len(j["agents"]) <= 100
        assert j["agents"][0]["handle"] == a.handle                      # most recent first
        seen = [p["last_seen_at"] for p in j["agents"]]
        assert seen == sorted(seen, reverse=True)
        for p in j["agents"]:
            assert verify_profile(p)
        bodies.append(j)
    assert bodies[0] == bodies[1]
