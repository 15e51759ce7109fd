"""POST /api/report and POST /api/contact (ROOMS.md §12.4, §12.4.1, §12.5, §12.5.1) with our
§20.10–§20.12 fixes: a strict per-IP limit of their own, a secret rotating ip_hash salt,
records appended off the event loop with size rotation, an optional alert webhook, no user
text in the process log.
"""

import http.server
import json
import os
import re
import socket
import threading
import time

import pytest
import requests

from relay_client import metric_sum, new_ip, poll

UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
WHAT_ERROR = 'field "what" required (5\u20134000 chars)'
MESSAGE_ERROR = 'field "message" required (3\u20134000 chars)'
RECORD_FIELDS = {"id", "ts", "what", "where", "repro", "context", "contact", "severity", "ua",
                 "ip_hash"}


def reports_path(relay):
    return os.path.join(relay.data_dir, "reports", "bugs.jsonl")


def read_records(path):
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def record_with_id(path, rid, timeout=5.0):
    def find():
        for rec in read_records(path):
            if rec["id"] == rid:
                return rec
        return None
    return poll(find, timeout)


def report(relay, body, ip, **kw):
    return relay.post("/api/report", body, ip=ip, **kw)


def assert_ok_id(r):
    assert r.status_code == 200, r.text
    j = r.json()
    assert j["ok"] is True and UUID_RE.match(j["id"]), j
    assert set(j) == {"ok", "id"}, j
    return j["id"]


def assert_error(r, status, error):
    assert r.status_code == status, (r.status_code, r.text)
    assert r.headers["Content-Type"].startswith("application/json")
    assert r.json()["error"] == error, r.text


# --------------------------------------------------------------------------------------
# /api/report
# --------------------------------------------------------------------------------------

def test_report_is_recorded_with_every_field_and_no_raw_ip(relay):
    ip = "203.0.113.77"
    body = {"what": "the wait endpoint hangs", "where": "/api/rooms/x/wait", "repro": "step 1",
            "context": "page=/docs\nua=test", "contact": "me@example.org", "severity": "high"}
    r = report(relay, body, ip, headers={"User-Agent": "e2e-agent/1.0"})
    rid = assert_ok_id(r)
    rec = record_with_id(reports_path(relay), rid)
    assert rec is not None, "record not appended"
    assert set(rec) == RECORD_FIELDS
    for k in ("what", "where", "repro", "context", "contact", "severity"):
        assert rec[k] == body[k], k
    assert rec["ua"] == "e2e-agent/1.0"
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", rec["ts"]), rec["ts"]
    assert re.match(r"^[0-9a-f]{12}$", rec["ip_hash"]), rec["ip_hash"]
    with open(reports_path(relay), encoding="utf-8") as f:
        assert ip not in f.read()
    # the same address hashes the same within the process and day; another one differently
    rid2 = assert_ok_id(report(relay, {"what": "second report"}, ip))
    rid3 = assert_ok_id(report(relay, {"what": "third report"}, new_ip()))
    rec2 = record_with_id(reports_path(relay), rid2)
    rec3 = record_with_id(reports_path(relay), rid3)
    assert rec2["ip_hash"] == rec["ip_hash"]
    assert rec3["ip_hash"] != rec["ip_hash"]
    # optional fields default to empty strings, severity to medium
    assert rec2["where"] == rec2["repro"] == rec2["context"] == rec2["contact"] == ""
    assert rec2["severity"] == "medium"


def test_markdown_laden_report_is_exactly_200(relay, ip):
    what = "crash when I click [evil](https://evil.example) * _ ` fmt test"
    rid = assert_ok_id(report(relay, {"what": what, "severity": "low"}, ip))
    assert record_with_id(reports_path(relay), rid)["what"] == what


def test_field_rules(relay):
    # five spaces are a valid `what` (nothing is trimmed)
    rid = assert_ok_id(report(relay, {"what": "     "}, new_ip()))
    assert record_with_id(reports_path(relay), rid)["what"] == "     "
    # over-long fields are truncated and accepted; severity is compared exactly
    long_body = {"what": "w" * 5000, "where": "x" * 600, "repro": "r" * 4100,
                 "context": "c" * 2100, "contact": "k" * 300, "severity": "HIGH"}
    rid = assert_ok_id(report(relay, long_body, new_ip()))
    rec = record_with_id(reports_path(relay), rid)
    assert (len(rec["what"]), len(rec["where"]), len(rec["repro"]), len(rec["context"]),
            len(rec["contact"])) == (4000, 500, 4000, 2000, 200)
    assert rec["severity"] == "medium"
    # truncation counts UTF-16 units and never splits a character
    rid = assert_ok_id(report(relay, {"what": "\U0001F600" * 2001}, new_ip()))
    assert record_with_id(reports_path(relay), rid)["what"] == "\U0001F600" * 2000
    # non-string optional fields count as empty
    rid = assert_ok_id(report(relay, {"what": "fields", "where": 5, "severity": ["high"]},
                              new_ip()))
    rec = record_with_id(reports_path(relay), rid)
    assert rec["where"] == "" and rec["severity"] == "medium"
    relay.health()


@pytest.mark.parametrize("case", ["short", "missing", "number", "array", "text_plain", "form",
                                  "vnd_json", "no_body"])
def test_unusable_what_is_the_exact_400(relay, case):
    ip = new_ip()
    if case == "short":
        r = report(relay, {"what": "four"}, ip)
    elif case == "missing":
        r = report(relay, {"where": "somewhere"}, ip)
    elif case == "number":
        r = report(relay, {"what": 123456}, ip)
    elif case == "array":
        r = report(relay, [{"what": "inside an array"}], ip)
    elif case == "text_plain":
        r = report(relay, {"what": "valid text but wrong type"}, ip, content_type="text/plain")
    elif case == "form":
        r = report(relay, None, ip, raw="what=hello+world",
                   content_type="application/x-www-form-urlencoded")
    elif case == "vnd_json":
        r = report(relay, {"what": "valid text"}, ip, content_type="application/vnd.api+json")
    else:
        r = report(relay, None, ip, raw=b"")
    assert_error(r, 400, WHAT_ERROR)
    relay.health()


def test_charset_parameter_is_fine(relay, ip):
    assert_ok_id(report(relay, {"what": "with a charset"}, ip,
                        content_type="application/json; charset=utf-8"))


def test_malformed_json_is_a_json_400(relay, ip):
    r = report(relay, None, ip, raw=b'{"what": "unterminated')
    assert r.status_code == 400
    assert isinstance(r.json()["error"], str)
    relay.health()


def test_strict_per_ip_limit_answers_429_with_retry_after(relay):
    ip = new_ip()
    statuses = [report(relay, {"what": f"report number {i}"}, ip).status_code for i in range(8)]
    assert statuses[:5] == [200] * 5, statuses  # the default burst
    assert statuses[5:] == [429] * 3, statuses
    r = report(relay, {"what": "one more"}, ip)
    assert_error(r, 429, "rate limited")
    assert int(r.headers["Retry-After"]) >= 1
    # the limit is per address, and rooms share nothing with it (§20.10)
    assert_ok_id(report(relay, {"what": "another address"}, new_ip()))
    r = relay.post("/api/rooms/bugs/messages",
                   {"ciphertext": "QUFB", "nonce": "A" * 32, "sender": "x"}, ip=ip)
    assert r.status_code != 429, r.text
    relay.health()


def test_limit_refills(relay_factory):
    relay = relay_factory("--report-rate-burst", "1", "--report-rate-per-min", "120")
    ip = new_ip()
    assert_ok_id(report(relay, {"what": "first report"}, ip))
    assert report(relay, {"what": "too soon"}, ip).status_code == 429
    time.sleep(0.6)  # 120 per minute = one every 0.5 s
    assert_ok_id(report(relay, {"what": "after refill"}, ip))


def test_reports_counted_in_metrics(relay, ip):
    before = metric_sum(relay.metrics(), "bot2bot_bug_reports_total")
    assert_ok_id(report(relay, {"what": "counted report"}, ip))
    assert report(relay, {"what": "x"}, new_ip()).status_code == 400
    after = metric_sum(relay.metrics(), "bot2bot_bug_reports_total")
    assert after == before + 1


def test_reports_file_flag_and_rotation(relay_factory, tmp_path):
    target = tmp_path / "logs" / "bugs.jsonl"
    relay = relay_factory("--reports-file", str(target), "--reports-max-bytes", "1500",
                          "--report-rate-burst", "100")
    ids = []
    for i in range(12):
        ids.append(assert_ok_id(report(relay, {"what": f"rotation report {i} " + "z" * 200},
                                       new_ip())))
    rotated = str(target) + ".1"
    assert poll(lambda: os.path.exists(rotated) and record_with_id(str(target), ids[-1], 0.1),
                5), "no rotation to .1"
    assert os.path.getsize(rotated) > 1500
    # every record is in exactly one of the two files or was rotated away before them
    current = {r["id"] for r in read_records(str(target))}
    previous = {r["id"] for r in read_records(rotated)}
    assert ids[-1] in current and not (current & previous)
    assert os.path.getsize(str(target)) <= 1500 + 1000
    assert not os.path.exists(os.path.join(relay.data_dir, "reports", "bugs.jsonl"))


def test_concurrent_reports_are_whole_lines(relay_factory):
    relay = relay_factory("--report-rate-burst", "1000")
    ids, errors = [], []

    def worker(n):
        try:
            for i in range(10):
                r = report(relay, {"what": f"concurrent {n}-{i} " + "q" * 500}, new_ip())
                ids.append(assert_ok_id(r))
        except Exception as e:  # surfaced below
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors, errors
    assert len(ids) == 80
    path = reports_path(relay)
    assert poll(lambda: len(read_records(path)) == 80, 5)  # every line parses as JSON
    assert {r["id"] for r in read_records(path)} == set(ids)


def test_ip_hash_salt_is_secret_per_process(relay, relay_factory):
    ip = "198.51.100.23"
    rid = assert_ok_id(report(relay, {"what": "first process"}, ip))
    other = relay_factory()
    rid2 = assert_ok_id(report(other, {"what": "second process"}, ip))
    h1 = record_with_id(reports_path(relay), rid)["ip_hash"]
    h2 = record_with_id(reports_path(other), rid2)["ip_hash"]
    assert h1 != h2  # no fixed public salt: the hash cannot be precomputed or linked


def test_unwritable_reports_file_is_logged_not_reported(relay_factory, tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    relay = relay_factory("--reports-file", str(blocker / "bugs.jsonl"))
    assert_ok_id(report(relay, {"what": "cannot be stored"}, new_ip()))
    assert poll(lambda: "bug report log" in relay.output(), 5), relay.output()[-2000:]
    assert "cannot be stored" not in relay.output()
    relay.health()


# --------------------------------------------------------------------------------------
# The alert webhook
# --------------------------------------------------------------------------------------

class HookServer:
    """A tiny local HTTP server recording the JSON bodies POSTed to it."""

    def __init__(self, status=200, delay=0.0):
        received = self.received = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                n = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(n)
                received.append({"path": self.path, "type": self.headers.get("Content-Type"),
                                 "json": json.loads(body)})
                time.sleep(outer.delay)
                self.send_response(outer.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *a):
                pass

        self.status, self.delay = status, delay
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook?x=1"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hook():
    h = HookServer()
    yield h
    h.close()


def test_webhook_receives_reports_and_contact_messages(relay_factory, hook):
    relay = relay_factory("--alert-webhook", hook.url)
    rid = assert_ok_id(report(relay, {"what": "webhook report", "severity": "critical",
                                      "where": "here"}, new_ip()))
    assert poll(lambda: len(hook.received) >= 1, 5), "webhook not called"
    got = hook.received[0]
    assert got["path"] == "/hook?x=1" and got["type"].startswith("application/json")
    assert set(got["json"]) == {"text", "severity", "id"}
    assert got["json"]["id"] == rid and got["json"]["severity"] == "critical"
    assert "webhook report" in got["json"]["text"] and "here" in got["json"]["text"]
    cid = assert_ok_id(relay.post("/api/contact", {"message": "hello operator", "name": "Ann",
                                                   "email": "ann@example.org"}, ip=new_ip()))
    assert poll(lambda: len(hook.received) >= 2, 5), "webhook not called for contact"
    got = hook.received[1]["json"]
    assert got["id"] == cid and "hello operator" in got["text"] and "Ann" in got["text"]
    assert "hello operator" not in relay.output()


def test_failing_or_slow_webhook_never_delays_answers(relay_factory):
    slow = HookServer(status=500, delay=3.0)
    try:
        relay = relay_factory("--alert-webhook", slow.url)
        t0 = time.monotonic()
        assert_ok_id(report(relay, {"what": "slow webhook"}, new_ip()))
        assert time.monotonic() - t0 < 1.0
        assert poll(lambda: "answered 500" in relay.output(), 8), relay.output()[-2000:]
    finally:
        slow.close()
    # nothing listens here: the failure is logged, the client still gets 200
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead_port = s.getsockname()[1]
    relay = relay_factory("--alert-webhook", f"http://127.0.0.1:{dead_port}/x")
    assert_ok_id(report(relay, {"what": "dead webhook"}, new_ip()))
    assert poll(lambda: "alert webhook" in relay.output(), 8), relay.output()[-2000:]
    relay.health()


def test_webhook_url_must_be_http(relay_factory):
    from relay_client import Relay
    r = Relay(["--alert-webhook", "https://example.org/hook"])
    with pytest.raises(RuntimeError):
        r.start(timeout=3)
    assert r.exit_code == 2 or r.proc.returncode == 2


# --------------------------------------------------------------------------------------
# /api/contact
# --------------------------------------------------------------------------------------

def contact(relay, body, ip, **kw):
    return relay.post("/api/contact", body, ip=ip, **kw)


def test_contact_accepts_and_is_counted(relay, ip):
    before = metric_sum(relay.metrics(), "bot2bot_contact_submissions_total")
    assert_ok_id(contact(relay, {"message": "hi!", "name": "", "email": ""}, ip))
    assert_ok_id(contact(relay, {"message": "with details", "name": "Bo",
                                 "email": "bo@example.com"}, new_ip()))
    after = metric_sum(relay.metrics(), "bot2bot_contact_submissions_total")
    assert after == before + 2


def test_contact_is_not_stored_or_logged(relay, ip):
    secret = "contact-text-7f3a9c-should-never-appear"
    assert_ok_id(contact(relay, {"message": secret, "email": "x@y.zz"}, ip))
    time.sleep(0.3)
    assert secret not in relay.output()
    for root, _dirs, files in os.walk(relay.data_dir):
        for name in files:
            with open(os.path.join(root, name), "rb") as f:
                assert secret.encode() not in f.read(), name


@pytest.mark.parametrize("body,error", [
    ({"message": "hi"}, MESSAGE_ERROR),
    ({}, MESSAGE_ERROR),
    ({"message": 12345}, MESSAGE_ERROR),
    ({"message": "hello", "email": "not-an-email"}, "email looks malformed"),
    ({"message": "hello", "email": "a@b"}, "email looks malformed"),
    ({"message": "hello", "email": "a b@c.de"}, "email looks malformed"),
    ({"message": "hello", "email": "a@@b.cd"}, "email looks malformed"),
])
def test_contact_rejections(relay, body, error):
    assert_error(contact(relay, body, new_ip()), 400, error)
    relay.health()


def test_contact_body_rules(relay):
    # non-string email counts as no email; long fields are truncated and accepted
    assert_ok_id(contact(relay, {"message": "hello", "email": 5}, new_ip()))
    assert_ok_id(contact(relay, {"message": "m" * 5000, "name": "n" * 300}, new_ip()))
    # message length is checked before email shape; nothing is trimmed
    assert_error(contact(relay, {"message": "  ", "email": "bad"}, new_ip()), 400, MESSAGE_ERROR)
    assert_ok_id(contact(relay, {"message": "   "}, new_ip()))
    # only application/json bodies are read
    assert_error(contact(relay, {"message": "hello there"}, new_ip(), content_type="text/plain"),
                 400, MESSAGE_ERROR)
    assert_error(contact(relay, [{"message": "hello there"}], new_ip()), 400, MESSAGE_ERROR)
    relay.health()


def test_contact_rate_limit(relay):
    ip = new_ip()
    statuses = [contact(relay, {"message": f"msg {i}"}, ip).status_code for i in range(7)]
    assert statuses[:5] == [200] * 5 and statuses[5:] == [429, 429], statuses
    r = contact(relay, {"message": "again"}, ip)
    assert_error(r, 429, "rate limited")
    assert int(r.headers["Retry-After"]) >= 1
    # reports keep their own allowance for the same address
    assert_ok_id(report(relay, {"what": "still allowed"}, ip))
    relay.health()


def test_wrong_methods_are_json_404(relay):
    for path in ("/api/report", "/api/contact"):
        r = requests.get(relay.url(path), timeout=5)
        assert r.status_code == 404 and isinstance(r.json()["error"], str)
        r = requests.options(relay.url(path), timeout=5)
        assert r.status_code == 200 and r.headers["Allow"] == "POST"
    relay.health()
