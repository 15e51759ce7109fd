"""Webhooks (issue 10): a handle's DM hook is verified with a challenge GET, then every new DM
is POSTed with an HMAC signature; failures are retried (first retry within 5 s) and pending
deliveries survive a relay restart; room subscriptions deliver message events. Without
--webhook-allow-private, loopback/private/metadata targets and plain http:// are refused."""

import json
import signal
import subprocess
import time

import requests

from identity_client import Ident, inbox_all, rand_handle, register_ok, seal_dm, signed
from relay_client import (message_body, new_ip, poll, rand_room, ws_close, ws_send,
                          ws_until_type)
from webhook_receiver import Receiver, expected_signature

RELAY_FLAGS = ["--webhook-allow-private"]
ALLOW = ["--webhook-allow-private"]


def ident(relay, prefix="wh"):
    a = Ident(rand_handle(prefix))
    register_ok(relay, a, ip=new_ip())
    return a


def set_hook(relay, who, url):
    return signed(relay, who, "PUT", f"/api/identity/{who.handle}/webhook", {"url": url},
                  ip=new_ip())


def send_dm(relay, to, text="hello hook"):
    r = relay.post(f"/api/dm/{to.handle}", seal_dm(to.box_pub, text), ip=new_ip())
    assert r.status_code == 200, r.text
    return r.json()


def test_dm_delivered_with_valid_hmac_after_two_500s(relay):
    alice = ident(relay)
    with Receiver(script=[500, 500]) as rx:
        r = set_hook(relay, alice, rx.url)
        assert r.status_code == 200, r.text
        j = r.json()
        assert j["ok"] is True and j["url"] == rx.url and len(j["secret"]) >= 32
        assert len(rx.challenges) == 1 and "challenge=" in rx.challenges[0]
        secret = j["secret"]

        sent = send_dm(relay, alice)
        posts = rx.wait_posts(3, timeout=30)
        assert [p["status"] for p in posts] == [500, 500, 200]
        assert posts[1]["at"] - posts[0]["at"] < 5.0, "first retry must come within 5 s"
        assert posts[2]["at"] > posts[1]["at"]
        ids = {p["headers"]["X-Bot2Bot-Delivery"] for p in posts}
        assert len(ids) == 1, "every retry is the same delivery"
        for p in posts:
            assert p["headers"]["X-Bot2Bot-Signature"] == expected_signature(secret, p["body"])
            assert int(p["headers"]["X-Bot2Bot-Timestamp"]) > 0
            assert p["headers"]["Content-Type"] == "application/json"
        body = json.loads(posts[2]["body"])
        assert body["type"] == "dm" and body["handle"] == alice.handle
        assert body["delivery_id"] == posts[2]["headers"]["X-Bot2Bot-Delivery"]
        assert body["id"] == sent["id"] and body["seq"] == sent["seq"]

        # The inbox still holds the DM, with exactly the fields the webhook carried.
        inbox = inbox_all(relay, alice, ip=new_ip())
        assert len(inbox) == 1
        for k, v in inbox[0].items():
            assert body[k] == v, k

        # A tampered body does not verify.
        assert expected_signature(secret, posts[2]["body"] + b" ") != \
            posts[2]["headers"]["X-Bot2Bot-Signature"]

        def delivered():  # the receiver saw the POST before the relay read its answer
            g = signed(relay, alice, "GET", f"/api/identity/{alice.handle}/webhook", ip=new_ip())
            assert g.status_code == 200, g.text
            assert "secret" not in g.json(), "the secret is shown once"
            d = g.json()["deliveries"][0]
            return d if d["state"] == "delivered" else None

        d = poll(delivered, timeout=5)
        assert d and d["attempts"] == 3 and d["last_status"] == 200


def test_get_and_delete_need_a_signature_and_delete_stops_deliveries(relay):
    bob = ident(relay)
    with Receiver() as rx:
        assert relay.get(f"/api/identity/{bob.handle}/webhook").status_code == 401
        r = requests.put(relay.url(f"/api/identity/{bob.handle}/webhook"), json={"url": rx.url},
                         timeout=10)
        assert r.status_code == 401 and rx.challenges == []
        assert set_hook(relay, bob, rx.url).status_code == 200
        d = signed(relay, bob, "DELETE", f"/api/identity/{bob.handle}/webhook", ip=new_ip())
        assert d.status_code == 200 and d.json()["removed"] == 1, d.text
        g = signed(relay, bob, "GET", f"/api/identity/{bob.handle}/webhook", ip=new_ip())
        assert g.status_code == 404
        send_dm(relay, bob)
        assert rx.wait_posts(1, timeout=2) == []


def test_failed_challenge_is_refused(relay):
    carol = ident(relay)
    with Receiver(echo_challenge=False) as rx:
        r = set_hook(relay, carol, rx.url)
        assert r.status_code == 400, r.text
        assert r.json()["error"] == "webhook verification failed"
        assert len(rx.challenges) == 1
    g = signed(relay, carol, "GET", f"/api/identity/{carol.handle}/webhook", ip=new_ip())
    assert g.status_code == 404
    # An endpoint that is not listening fails verification too.
    r = set_hook(relay, carol, "http://127.0.0.1:9/hook")
    assert r.status_code == 400 and r.json()["error"] == "webhook verification failed"


def test_metadata_address_refused_even_with_the_flag(relay):
    dave = ident(relay)
    r = set_hook(relay, dave, "http://169.254.169.254/latest/meta-data")
    assert r.status_code == 400, r.text
    assert r.json()["error"] == "webhook address refused"


def test_private_addresses_and_http_refused_without_the_flag(relay_factory):
    strict = relay_factory()
    erin = ident(strict)
    with Receiver() as rx:
        r = set_hook(strict, erin, rx.url)  # http:// to loopback
        assert r.status_code == 400 and r.json()["error"] == "bad webhook URL", r.text
        for url in (f"https://127.0.0.1:{rx.server.server_address[1]}/hook",
                    "https://localhost/hook", "https://10.0.0.1/hook", "https://[::1]/hook",
                    "https://169.254.169.254/", "https://[::ffff:127.0.0.1]/hook"):
            r = set_hook(strict, erin, url)
            assert r.status_code == 400, (url, r.text)
            assert r.json()["error"] == "webhook address refused", (url, r.text)
        assert rx.challenges == [], "a refused address is never contacted"
    for url in ("ftp://example.com/x", "not a url", "https://user:pw@example.com/x"):
        r = set_hook(strict, erin, url)
        assert r.status_code == 400 and r.json()["error"] == "bad webhook URL", (url, r.text)


def test_delivery_survives_a_relay_restart(relay_factory, tmp_path):
    first = relay_factory(*ALLOW, data_dir=str(tmp_path))
    frank = ident(first)
    with Receiver(default_status=503) as rx:
        r = set_hook(first, frank, rx.url)
        assert r.status_code == 200, r.text
        secret = r.json()["secret"]
        sent = send_dm(first, frank)
        failed = rx.wait_posts(1, timeout=10)
        assert failed and failed[0]["status"] == 503
        delivery = failed[0]["headers"]["X-Bot2Bot-Delivery"]
        first.signal(signal.SIGKILL)
        assert first.wait_exit(5) is not None

        rx.default_status = 200
        second = relay_factory(*ALLOW, data_dir=str(tmp_path))
        deadline = time.monotonic() + 30
        ok = []
        while time.monotonic() < deadline and not ok:
            ok = [p for p in rx.wait_posts(len(rx.posts) + 1, timeout=1) if p["status"] == 200]
        assert ok, "the pending delivery resumed after the restart"
        p = ok[0]
        assert p["headers"]["X-Bot2Bot-Delivery"] == delivery
        assert p["headers"]["X-Bot2Bot-Signature"] == expected_signature(secret, p["body"])
        assert json.loads(p["body"])["id"] == sent["id"]

        def state():  # the receiver saw the POST before the relay read its answer
            g = signed(second, frank, "GET", f"/api/identity/{frank.handle}/webhook", ip=new_ip())
            assert g.status_code == 200
            return g.json()["deliveries"][0]["state"] == "delivered" or None

        assert poll(state, timeout=5)


def test_room_webhook_delivers_message_events(relay):
    gina = ident(relay)
    room = rand_room()
    with Receiver() as rx:
        target = f"/api/rooms/{room}/webhooks?handle={gina.handle}"
        unsigned = relay.post(target, {"url": rx.url})
        assert unsigned.status_code == 401
        r = signed(relay, gina, "POST", target, {"url": rx.url}, ip=new_ip())
        assert r.status_code == 200, r.text
        hook_id, secret = r.json()["hook_id"], r.json()["secret"]

        posted = relay.post_ok(room, message_body("to the hook"), ip=new_ip())
        posts = rx.wait_posts(1, timeout=10)
        assert len(posts) == 1
        p = posts[0]
        assert p["headers"]["X-Bot2Bot-Signature"] == expected_signature(secret, p["body"])
        body = json.loads(p["body"])
        assert body["type"] == "message" and body["hook_id"] == hook_id
        assert body["id"] == posted["id"] and body["seq"] == posted["seq"]
        assert "ciphertext" in body and "nonce" in body

        # A message posted over the WebSocket reaches the hook too.
        ws = relay.ws(room, ip=new_ip())
        try:
            ws_until_type(ws, "ready")
            ws_send(ws, message_body("over the socket", sender="ws-user"))
            echoed = ws_until_type(ws, "message")[-1]
        finally:
            ws_close(ws)
        posts = rx.wait_posts(2, timeout=10)
        assert len(posts) == 2
        via_ws = json.loads(posts[1]["body"])
        assert via_ws["type"] == "message" and via_ws["seq"] == echoed["seq"]
        assert via_ws["sender"] == "ws-user"

        other = ident(relay)
        wrong = signed(relay, other, "DELETE",
                       f"/api/rooms/{room}/webhooks/{hook_id}?handle={other.handle}", ip=new_ip())
        assert wrong.status_code == 404, "only the owner removes a hook"
        d = signed(relay, gina, "DELETE",
                   f"/api/rooms/{room}/webhooks/{hook_id}?handle={gina.handle}", ip=new_ip())
        assert d.status_code == 200, d.text
        relay.post_ok(room, message_body("after delete"), ip=new_ip())
        assert len(rx.wait_posts(3, timeout=2)) == 2


def test_room_hook_cap_per_room(relay_factory):
    capped = relay_factory(*ALLOW, "--webhook-hooks-per-room", "2")
    owner = ident(capped)
    room = rand_room()
    with Receiver() as rx:
        target = f"/api/rooms/{room}/webhooks?handle={owner.handle}"
        codes = [signed(capped, owner, "POST", target, {"url": rx.url}, ip=new_ip()).status_code
                 for _ in range(3)]
        assert codes == [200, 200, 429]


def self_signed_cert(tmp_path):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True, timeout=60)
    return str(cert), str(key)


def test_https_delivery_verifies_the_receiver_certificate(relay, relay_factory, tmp_path):
    cert, key = self_signed_cert(tmp_path)
    with Receiver(tls=(cert, key)) as rx:
        assert rx.url.startswith("https://")
        # A certificate the relay does not trust fails verification at the TLS handshake.
        untrusting = ident(relay)
        r = set_hook(relay, untrusting, rx.url)
        assert r.status_code == 400 and r.json()["error"] == "webhook verification failed"
        assert "TLS" in r.json()["detail"], r.text
        # Trusting it (OpenSSL's SSL_CERT_FILE), the whole exchange runs over TLS.
        trusting = relay_factory(*ALLOW, env={"SSL_CERT_FILE": cert})
        who = ident(trusting)
        r = set_hook(trusting, who, rx.url)
        assert r.status_code == 200, r.text
        send_dm(trusting, who)
        posts = rx.wait_posts(1, timeout=10)
        assert len(posts) == 1
        assert posts[0]["headers"]["X-Bot2Bot-Signature"] == \
            expected_signature(r.json()["secret"], posts[0]["body"])
