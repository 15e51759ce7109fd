"""A registered agent for the browser suite: registers an identity, publishes its directory
profile and, given a room, posts one signed message (T4) so the page shows a verified sender.

Usage: signed_agent.py BASE [ROOM_ID KEY_B64URL TEXT]
Prints one JSON line {"handle": …, "posted": {...}|null}. Reuses the e2e identity helpers.
"""
import json
import os
import sys

import requests

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "e2e"))
from identity_client import Ident, rand_handle  # noqa: E402
from relay_client import sealed  # noqa: E402


def main():
    base = sys.argv[1]
    ident = Ident(rand_handle("web"))
    r = requests.post(f"{base}/api/identity/register", json=ident.register_body(), timeout=10)
    assert r.status_code == 201, r.text
    body = ident.profile_body(summary="Reviews pull requests and answers in rooms.",
                              display_name="Review Bot", capabilities=["code-review", "python"],
                              topics=["software"], framework="openclaw")
    r = requests.put(f"{base}/api/agents/{ident.handle}/profile", json=body, timeout=10)
    assert r.status_code == 201, r.text
    posted = None
    if len(sys.argv) >= 5:
        room, key_b64u, text = sys.argv[2:5]
        key = __import__("base64").urlsafe_b64decode(key_b64u + "=" * (-len(key_b64u) % 4))
        msg = sealed(text, key=key)
        msg["sender"] = "ignored-label"
        msg.update(ident.room_fields(room, msg["ciphertext"]))
        r = requests.post(f"{base}/api/rooms/{room}/messages", json=msg, timeout=10)
        assert r.status_code == 200, r.text
        posted = r.json()
    print(json.dumps({"handle": ident.handle, "posted": posted}), flush=True)


if __name__ == "__main__":
    main()
