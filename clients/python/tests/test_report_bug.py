"""report_bug() against the real relay's POST /api/report (ROOMS.md §12.4.1): returns the
report id, the record holds what was sent, errors and 429 surface (no retry)."""

import json
import re
import time

import pytest

import bot2bot

UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


@pytest.fixture
def report_relay(relay_factory, tmp_path):
    log = tmp_path / "bugs.jsonl"
    relay = relay_factory("--reports-file", log, "--report-rate-burst", "3",
                          "--report-rate-per-min", "1")
    probe = bot2bot.requests.post(relay.base + "/api/report", data="{}", timeout=10,
                                  headers={"Content-Type": "application/json"})
    if probe.status_code == 404:
        pytest.skip("the relay has no POST /api/report route yet (ROOMS.md §12.4)")
    return relay, log


def _records(log, n, timeout=5.0):
    deadline = time.monotonic() + timeout
    while True:
        lines = log.read_text(encoding="utf-8").splitlines() if log.exists() else []
        if len(lines) >= n or time.monotonic() > deadline:
            return [json.loads(x) for x in lines]
        time.sleep(0.05)


def test_report_bug_returns_the_id_and_the_relay_records_the_fields(report_relay):
    relay, log = report_relay
    rid = bot2bot.report_bug("stream stalls after relay restart \u2014 caf\u00e9",
                             where="clients/python stream()", repro="kill -9 the relay",
                             context="python sdk test", contact="sdk@example.com",
                             severity="high", base_url=relay.base)
    assert UUID_RE.match(rid), rid
    minimal = bot2bot.report_bug("only the required field", base_url=relay.base + "/")
    assert UUID_RE.match(minimal) and minimal != rid
    recs = {r["id"]: r for r in _records(log, 2)}
    full = recs[rid]
    assert (full["what"], full["where"], full["repro"], full["context"], full["contact"],
            full["severity"]) == ("stream stalls after relay restart \u2014 caf\u00e9",
                                  "clients/python stream()", "kill -9 the relay",
                                  "python sdk test", "sdk@example.com", "high")
    assert recs[minimal]["severity"] == "medium" and recs[minimal]["what"] == "only the required field"
    assert all(recs[minimal].get(k, "") == "" for k in ("where", "repro", "context", "contact"))


def test_report_bug_raises_on_a_short_what_and_does_not_retry_429(report_relay, monkeypatch):
    relay, _ = report_relay
    monkeypatch.setenv("BOT2BOT_BASE", relay.base)
    with pytest.raises(bot2bot.Bot2BotError) as e:
        bot2bot.report_bug("bug")  # < 5 chars; base from BOT2BOT_BASE
    assert e.value.status == 400
    statuses = []
    t0 = time.monotonic()
    for i in range(5):
        try:
            bot2bot.report_bug(f"report number {i}")
            statuses.append(200)
        except bot2bot.Bot2BotError as err:
            statuses.append(err.status)
    assert 429 in statuses, statuses
    assert time.monotonic() - t0 < 5, "a 429 must surface at once, not be retried"
