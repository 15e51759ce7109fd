"""GET /api/rooms/{id}/wait — long-poll (ROOMS.md §6.4, §6.4.1, §6.4.2) with our fixes
§20.2 (records always carry type:"message"; a woken wait re-applies `after`) and §20.9
(a wait on a missing room is held, woken by the creating post, counts against caps)."""

import statistics
import threading
import time

import pytest
import requests

from relay_client import (SSEStream, assert_message_record, message_body, new_ip, rand_room,
                          xff)


class Waiter(threading.Thread):
    """Runs one /wait in the background and records when it returned."""

    def __init__(self, relay, room, after=0, timeout=10, ip=None, session=None, params=None):
        super().__init__(daemon=True)
        self.relay, self.room, self.after, self.timeout = relay, room, after, timeout
        self.ip = ip
        self.session = session or requests.Session()
        self.params = params
        self.resp = None
        self.error = None
        self.t_start = self.t_done = None

    def run(self):
        params = self.params or {"after": self.after, "timeout": self.timeout}
        self.t_start = time.monotonic()
        try:
            self.resp = self.session.get(self.relay.url(f"/api/rooms/{self.room}/wait"),
                                         params=params, headers=xff(self.ip),
                                         timeout=float(self.timeout) + 10)
        except Exception as e:  # noqa: BLE001 - reported by the test
            self.error = e
        self.t_done = time.monotonic()

    def result(self, join_timeout=15):
        self.join(join_timeout)
        assert not self.is_alive(), "wait did not return"
        assert self.error is None, self.error
        return self.resp

    @property
    def elapsed(self):
        return self.t_done - self.t_start


def wait_get(relay, room, ip=None, **params):
    t0 = time.monotonic()
    r = relay.get(f"/api/rooms/{room}/wait", ip=ip, params=params, timeout=100)
    return r, time.monotonic() - t0


def test_wait_bad_room_id(relay):
    for rid in ["ab", "X" * 65, "a b c d"]:
        r = relay.get(f"/api/rooms/{rid}/wait", params={"timeout": 1})
        assert r.status_code == 400
        assert r.json()["error"] == "bad roomId"


def test_wait_returns_all_newer_messages_at_once(relay, room, ip):
    first = relay.post_ok(room, ip=ip)
    posted = [relay.post_ok(room, message_body(f"m{i}"), ip=ip) for i in range(44)]
    r, elapsed = wait_get(relay, room, after=first["seq"], timeout=10)
    assert r.status_code == 200 and elapsed < 2
    j = r.json()
    assert [m["seq"] for m in j["messages"]] == [p["seq"] for p in posted]
    assert j["last_seq"] == posted[-1]["seq"]
    assert j.get("exists", True) is True
    for m in j["messages"]:
        assert_message_record(m)  # "type":"message" on immediate answers too (§20.2)


def test_wait_immediate_batch_is_capped_at_500(relay, room):
    ips = [new_ip(), new_ip()]  # the per-(IP, room) bucket holds 300
    posted = [relay.post_ok(room, message_body(f"m{i}"), ip=ips[i % 2]) for i in range(501)]
    seqs = [p["seq"] for p in posted]
    r, _ = wait_get(relay, room, after=0, timeout=5)
    j = r.json()
    assert [m["seq"] for m in j["messages"]] == seqs[:500]
    assert j["last_seq"] == seqs[-1]
    r, _ = wait_get(relay, room, after=seqs[499], timeout=5)
    assert [m["seq"] for m in r.json()["messages"]] == [seqs[500]]


def test_wait_on_missing_room_is_held_and_does_not_create_it(relay, ip):
    rid = rand_room("ghost")
    rooms_before = relay.health()["rooms"]
    r, elapsed = wait_get(relay, rid, ip=ip, timeout=1)
    assert r.status_code == 200
    assert r.json() == {"messages": [], "last_seq": 0, "exists": False}
    assert 0.9 <= elapsed < 4, elapsed
    assert relay.status(rid) == {"exists": False, "roomId": rid}
    assert relay.health()["rooms"] <= rooms_before  # nothing created by the wait


def test_wait_on_missing_room_is_woken_by_the_creating_post(relay, ip):
    rid = rand_room("late")
    w = Waiter(relay, rid, after=0, timeout=10, ip=ip)
    w.start()
    time.sleep(0.3)
    assert w.is_alive()
    assert relay.status(rid)["exists"] is False
    posted = relay.post_ok(rid, message_body("first"), ip=new_ip())
    t_post = time.monotonic()
    r = w.result()
    assert r.status_code == 200
    assert w.t_done - t_post < 1.0
    j = r.json()
    assert [m["seq"] for m in j["messages"]] == [posted["seq"]]
    assert_message_record(j["messages"][0])
    assert j["last_seq"] == posted["seq"]


def test_wait_with_nothing_new_is_held_for_its_timeout(relay, room, ip):
    last = relay.post_ok(room, ip=ip)
    r, elapsed = wait_get(relay, room, ip=ip, after=last["seq"], timeout=2)
    assert r.status_code == 200
    assert 1.5 <= elapsed < 5, elapsed
    j = r.json()
    assert j["messages"] == [] and j["last_seq"] == last["seq"]


def test_wait_answers_promptly_after_a_post_500ms_later(relay, room, ip):
    last = relay.post_ok(room, ip=ip)
    w = Waiter(relay, room, after=last["seq"], timeout=10, ip=ip)
    w.start()
    time.sleep(0.5)
    posted = relay.post_ok(room, message_body("late"), ip=ip)
    r = w.result()
    assert 0.45 <= w.elapsed <= 0.75, w.elapsed  # §6.4.1 window of the reference edge test
    j = r.json()
    assert [m["seq"] for m in j["messages"]] == [posted["seq"]]
    assert j["last_seq"] == posted["seq"]


def test_wait_wakes_within_50ms_of_a_post(relay, room, ip):
    poster = requests.Session()
    last = relay.post_ok(room, ip=ip, session=poster)["seq"]
    latencies = []
    for i in range(7):
        waiter_session = requests.Session()
        waiter_session.get(relay.url("/api/health"), timeout=5)  # warm the connection
        w = Waiter(relay, room, after=last, timeout=10, ip=ip, session=waiter_session)
        w.start()
        time.sleep(0.25)
        assert w.is_alive(), "wait returned before the post"
        posted = relay.post_ok(room, message_body(f"wake{i}"), ip=ip, session=poster)
        t_post_returned = time.monotonic()
        r = w.result()
        assert [m["seq"] for m in r.json()["messages"]] == [posted["seq"]]
        latencies.append(max(0.0, w.t_done - t_post_returned))
        last = posted["seq"]
        waiter_session.close()
    median = statistics.median(latencies)
    assert median < 0.050, f"median wake latency {median * 1000:.1f} ms, all: {latencies}"


def test_woken_wait_carries_exactly_one_message_and_repoll_gets_the_rest(relay, room, ip):
    last = relay.post_ok(room, ip=ip)["seq"]
    w = Waiter(relay, room, after=last, timeout=10, ip=ip)
    w.start()
    time.sleep(0.25)
    a = relay.post_ok(room, message_body("a"), ip=ip)
    b = relay.post_ok(room, message_body("b"), ip=ip)
    j = w.result().json()
    assert len(j["messages"]) == 1
    got = j["messages"][0]
    assert_message_record(got)
    assert got["seq"] == a["seq"]
    r, elapsed = wait_get(relay, room, ip=ip, after=got["seq"], timeout=10)
    assert elapsed < 2
    assert [m["seq"] for m in r.json()["messages"]] == [b["seq"]]


def test_every_parked_waiter_is_woken(relay, room):
    last = relay.post_ok(room, ip=new_ip())["seq"]
    waiters = [Waiter(relay, room, after=last, timeout=10, ip=new_ip()) for _ in range(8)]
    for w in waiters:
        w.start()
    time.sleep(0.3)
    posted = relay.post_ok(room, message_body("all"), ip=new_ip())
    for w in waiters:
        j = w.result().json()
        assert [m["seq"] for m in j["messages"]] == [posted["seq"]]


def test_woken_wait_reapplies_after_filter(relay, room, ip):
    last = relay.post_ok(room, ip=ip)["seq"]
    far = last + 1_000_000
    w = Waiter(relay, room, after=far, timeout=2, ip=ip)
    w.start()
    time.sleep(0.3)
    relay.post_ok(room, message_body("not for you"), ip=ip)
    r = w.result()
    assert w.elapsed >= 1.5, "woken by a message whose seq <= after (§20.2)"
    assert r.json()["messages"] == []


@pytest.mark.parametrize("timeout", ["-5", "1", "1.9", "1e3"])
def test_wait_timeout_clamps_to_one_second(relay, room, ip, timeout):
    last = relay.post_ok(room, ip=ip)["seq"]
    r, elapsed = wait_get(relay, room, ip=ip, after=last, timeout=timeout)
    assert r.status_code == 200
    assert 0.9 <= elapsed < 2.5, (timeout, elapsed)


@pytest.mark.parametrize("timeout", ["0", "abc", ""])
def test_wait_timeout_zero_or_garbage_means_default(relay, room, timeout):
    ip = new_ip()
    last = relay.post_ok(room, ip=ip)["seq"]
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.get(relay.url(f"/api/rooms/{room}/wait"),
                     params={"after": last, "timeout": timeout}, headers=xff(ip), timeout=2.5)
    relay.health()


def _park(relay, room, ip, n, timeout=5):
    """Open n parked waits over raw sockets (not read); returns the streams."""
    out = []
    for _ in range(n):
        out.append(SSEStream(relay.port, f"/api/rooms/{room}/wait?after=99999999999999&timeout={timeout}",
                             headers=xff(ip), read_head=False))
    return out


def test_waiter_cap_per_ip(relay, room):
    ip = new_ip()
    relay.post_ok(room, ip=ip)
    parked = [Waiter(relay, room, after=10**14, timeout=3, ip=ip) for _ in range(16)]
    for w in parked:
        w.start()
    time.sleep(0.5)
    r = relay.get(f"/api/rooms/{room}/wait", ip=ip, params={"after": 10**14, "timeout": 3})
    assert r.status_code == 429
    assert r.json()["error"] == "too many concurrent waiters from this IP"
    assert r.headers.get("Retry-After") == "5"
    # another IP is not affected
    r, elapsed = wait_get(relay, room, ip=new_ip(), after=10**14, timeout=1)
    assert r.status_code == 200 and elapsed >= 0.9
    for w in parked:
        assert w.result().status_code == 200
    # slots were released when the waits ended
    r, elapsed = wait_get(relay, room, ip=ip, after=10**14, timeout=1)
    assert r.status_code == 200 and elapsed >= 0.9


def test_held_waits_on_missing_rooms_count_against_the_ip_cap(relay):
    ip = new_ip()
    held = [Waiter(relay, rand_room("ghost"), timeout=2, ip=ip) for _ in range(16)]
    for w in held:
        w.start()
    time.sleep(0.5)
    r = relay.get(f"/api/rooms/{rand_room('ghost')}/wait", ip=ip, params={"timeout": 2})
    assert r.status_code == 429
    assert r.json()["error"] == "too many concurrent waiters from this IP"
    assert r.headers.get("Retry-After") == "5"
    for w in held:
        assert w.result().json() == {"messages": [], "last_seq": 0, "exists": False}


def test_disconnected_waiters_release_their_slots(relay, room):
    ip = new_ip()
    relay.post_ok(room, ip=ip)
    socks = _park(relay, room, ip, 16, timeout=30)
    time.sleep(0.3)
    r = relay.get(f"/api/rooms/{room}/wait", ip=ip, params={"after": 10**14, "timeout": 1})
    assert r.status_code == 429
    for s in socks:
        s.abort()
    ok = False
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        r, elapsed = wait_get(relay, room, ip=ip, after=10**14, timeout=1)
        if r.status_code == 200:
            ok = True
            break
        time.sleep(0.2)
    assert ok, "per-IP waiter slots were not released after the clients disconnected"


def test_room_waiter_cap(relay_factory):
    relay = relay_factory("--room-waiters-max", "3")
    room = rand_room()
    relay.post_ok(room, ip=new_ip())
    for rid, after in [(room, 10**14), (rand_room("ghost"), 0)]:
        ws = [Waiter(relay, rid, after=after, timeout=2, ip=new_ip()) for _ in range(3)]
        for w in ws:
            w.start()
        time.sleep(0.4)
        r = relay.get(f"/api/rooms/{rid}/wait", ip=new_ip(), params={"after": after, "timeout": 2})
        assert r.status_code == 429, rid
        assert r.json()["error"] == "too many concurrent waiters for this room"
        assert r.headers.get("Retry-After") == "5"
        for w in ws:
            assert w.result().status_code == 200
    relay.health()


def test_ten_long_pollers_and_posters_without_429(relay):
    """§19 load pattern: 10 concurrent long-pollers + posters from one IP, zero 429s."""
    rooms = [rand_room("lp") for _ in range(10)]
    per_room = 20
    results = {rid: [] for rid in rooms}
    statuses = []
    errors = []

    def poller(rid):
        s = requests.Session()
        after = 0
        deadline = time.monotonic() + 30
        while len(results[rid]) < per_room and time.monotonic() < deadline:
            r = s.get(relay.url(f"/api/rooms/{rid}/wait"), params={"after": after, "timeout": 5},
                      timeout=15)
            statuses.append(r.status_code)
            if r.status_code != 200:
                errors.append(r.text)
                time.sleep(0.1)
                continue
            for m in r.json()["messages"]:
                results[rid].append(m["seq"])
                after = max(after, m["seq"])

    def poster(rid):
        s = requests.Session()
        for i in range(per_room):
            r = relay.post_msg(rid, message_body(f"{i}"), session=s)
            statuses.append(r.status_code)
            time.sleep(0.01)

    threads = [threading.Thread(target=poller, args=(rid,)) for rid in rooms]
    for t in threads:
        t.start()
    time.sleep(0.2)
    posters = [threading.Thread(target=poster, args=(rid,)) for rid in rooms]
    for t in posters:
        t.start()
    for t in threads + posters:
        t.join(40)
    assert 429 not in statuses, "429 during the long-poll load pattern"
    assert not errors, errors[:3]
    for rid in rooms:
        seqs = results[rid]
        assert len(seqs) == per_room, (rid, len(seqs))
        assert seqs == list(range(seqs[0], seqs[0] + per_room)), rid
