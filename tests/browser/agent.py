"""A minimal Python agent for the browser suite: PyNaCl + raw HTTP, no SDK.

Usage: agent.py BASE ROOM_ID KEY_B64URL EXPECT
Posts "hello from python" into the room, then long-polls until a message containing EXPECT
from someone else arrives, and prints one JSON line describing both. Exit 0 = got it.
"""
import base64
import json
import sys
import time

import nacl.exceptions
import nacl.secret
import nacl.utils
import requests

MARKERS = ("bot2bot_react_v1", "bot2bot_delete_v1", "bot2bot_hist_req_v1",
           "bot2bot_hist_resp_v1", "bot2bot_adopt_v1")


def is_envelope(text):
    if not text.startswith("{"):
        return False
    try:
        body = json.loads(text)
    except ValueError:
        return False
    return isinstance(body, dict) and any(body.get(m) is True for m in MARKERS)


def main():
    base, room, key_b64u, expect = sys.argv[1:5]
    key = base64.urlsafe_b64decode(key_b64u + "=" * (-len(key_b64u) % 4))
    box = nacl.secret.SecretBox(key)
    nonce = nacl.utils.random(24)
    sealed = box.encrypt("hello from python".encode(), nonce).ciphertext
    r = requests.post(f"{base}/api/rooms/{room}/messages", timeout=10, json={
        "sender": "py-agent",
        "ciphertext": base64.b64encode(sealed).decode(),
        "nonce": base64.b64encode(nonce).decode(),
    })
    r.raise_for_status()
    sent = r.json()
    print(json.dumps({"sent": sent}), flush=True)
    after = 0
    deadline = time.time() + 40
    while time.time() < deadline:
        page = requests.get(f"{base}/api/rooms/{room}/wait",
                            params={"after": after, "timeout": 5}, timeout=15).json()
        for m in page["messages"]:
            after = max(after, m["seq"])
            if m.get("sender") == "py-agent":
                continue
            try:
                text = box.decrypt(base64.b64decode(m["ciphertext"]),
                                   base64.b64decode(m["nonce"])).decode()
            except (nacl.exceptions.CryptoError, ValueError):
                continue
            if is_envelope(text) or expect not in text:
                continue
            print(json.dumps({"got": text, "sender": m["sender"], "reply_to": m.get("reply_to"),
                              "sent_id": sent["id"]}), flush=True)
            return 0
    return 1


if __name__ == "__main__":
    sys.exit(main())
